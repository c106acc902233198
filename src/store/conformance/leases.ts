// What every DHCP lease store does, whatever keeps the leases: run by conformance.test.ts against each backend and
// the in-memory store. DHCP's policy relies on these rules (RFC 2131 §4.3.1: one address per client, a declined
// address kept out of the pool).

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Lease, LeaseStore } from '../lease-store.js';

const lease = (address: string, mac: string, overrides: Partial<Lease> = {}): Lease => ({
  address,
  mac,
  state: 'bound',
  expiresAt: 10_000,
  ...overrides,
});

/** Registers the lease store's tests; `open` gives an empty store for each, which the test closes. */
export function leaseStoreConformance(
  name: string,
  open: (context: TestContext) => LeaseStore | Promise<LeaseStore>,
): void {
  const fresh = async (context: TestContext) => {
    const store = await open(context);
    context.after(() => store.close());
    return store;
  };

  describe(`${name}: leases`, () => {
    it('finds a lease by MAC and by address, with every field kept', async (context) => {
      const store = await fresh(context);
      const full = lease('192.0.2.10', 'aa:bb:cc:dd:ee:01', { hostname: 'vm9', clientId: '01aabbccddee01' });
      await store.upsert(full);
      assert.deepEqual(await store.byMac('aa:bb:cc:dd:ee:01'), full);
      assert.deepEqual(await store.byAddress('192.0.2.10'), full);
      assert.equal(await store.byMac('aa:bb:cc:dd:ee:02'), undefined);
      assert.equal(await store.byAddress('192.0.2.11'), undefined);
    });

    it('keeps one address per client and one client per address', async (context) => {
      const store = await fresh(context);
      await store.upsert(lease('192.0.2.10', 'aa:bb:cc:dd:ee:01', { state: 'offered' }));
      await store.upsert(lease('192.0.2.11', 'aa:bb:cc:dd:ee:01'));
      assert.equal(await store.byAddress('192.0.2.10'), undefined, 'the old offer went with the new lease');
      assert.equal((await store.byMac('aa:bb:cc:dd:ee:01'))?.address, '192.0.2.11');
      await store.upsert(lease('192.0.2.11', 'aa:bb:cc:dd:ee:02'));
      assert.equal(await store.byMac('aa:bb:cc:dd:ee:01'), undefined, 'the address changed hands');
      assert.equal((await store.byAddress('192.0.2.11'))?.mac, 'aa:bb:cc:dd:ee:02');
      assert.equal((await store.all()).length, 1);
    });

    it('keeps a declined address apart from the client that declined it', async (context) => {
      const store = await fresh(context);
      await store.upsert(lease('192.0.2.10', 'aa:bb:cc:dd:ee:01'));
      await store.upsert(lease('192.0.2.10', 'aa:bb:cc:dd:ee:01', { state: 'declined' }));
      assert.equal(await store.byMac('aa:bb:cc:dd:ee:01'), undefined);
      await store.upsert(lease('192.0.2.11', 'aa:bb:cc:dd:ee:01'));
      assert.equal(
        (await store.byAddress('192.0.2.10'))?.state,
        'declined',
        'a new lease does not clear the decline',
      );
      assert.equal((await store.byMac('aa:bb:cc:dd:ee:01'))?.address, '192.0.2.11');
    });

    it('releases and expires', async (context) => {
      const store = await fresh(context);
      await store.upsert(lease('192.0.2.10', 'aa:bb:cc:dd:ee:01', { expiresAt: 100 }));
      await store.upsert(lease('192.0.2.11', 'aa:bb:cc:dd:ee:02', { expiresAt: 200 }));
      await store.upsert(lease('192.0.2.12', 'aa:bb:cc:dd:ee:03', { expiresAt: 300 }));
      await store.release('192.0.2.12');
      assert.equal(await store.byMac('aa:bb:cc:dd:ee:03'), undefined);
      const expired = await store.expire(150);
      assert.deepEqual(
        expired.map((item) => item.address),
        ['192.0.2.10'],
      );
      assert.deepEqual(
        (await store.all()).map((item) => item.address),
        ['192.0.2.11'],
      );
      assert.equal(await store.byMac('aa:bb:cc:dd:ee:01'), undefined);
    });

    it('hands out copies, not its own records', async (context) => {
      const store = await fresh(context);
      await store.upsert(lease('192.0.2.10', 'aa:bb:cc:dd:ee:01'));
      const read = await store.byAddress('192.0.2.10');
      assert.ok(read);
      read.state = 'declined';
      assert.equal((await store.byAddress('192.0.2.10'))?.state, 'bound');
    });
  });
}
