import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from '../../test/support/temp-dir.js';
import { InMemoryLeaseStore, type Lease, type LeaseStore, SqliteLeaseStore } from './leases.js';

const lease = (address: string, mac: string, overrides: Partial<Lease> = {}): Lease => ({
  address,
  mac,
  state: 'bound',
  expiresAt: 10_000,
  ...overrides,
});

const kinds: [string, (context: TestContext) => LeaseStore][] = [
  ['InMemoryLeaseStore', () => new InMemoryLeaseStore()],
  [
    'SqliteLeaseStore',
    (context) => {
      const store = SqliteLeaseStore.open(join(tempDir(context), 'leases.db'));
      context.after(() => store.close());
      return store;
    },
  ],
];

for (const [name, open] of kinds) {
  describe(name, () => {
    it('finds a lease by MAC and by address, with every field kept', async (context) => {
      const store = open(context);
      const full = lease('192.0.2.10', 'aa:bb:cc:dd:ee:01', { hostname: 'vm9', clientId: '01aabbccddee01' });
      await store.upsert(full);
      assert.deepEqual(await store.byMac('aa:bb:cc:dd:ee:01'), full);
      assert.deepEqual(await store.byAddress('192.0.2.10'), full);
      assert.equal(await store.byMac('aa:bb:cc:dd:ee:02'), undefined);
      assert.equal(await store.byAddress('192.0.2.11'), undefined);
    });

    it('keeps one address per client and one client per address', async (context) => {
      const store = open(context);
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
      const store = open(context);
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
      const store = open(context);
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
      const store = open(context);
      await store.upsert(lease('192.0.2.10', 'aa:bb:cc:dd:ee:01'));
      const read = await store.byAddress('192.0.2.10');
      assert.ok(read);
      read.state = 'declined';
      assert.equal((await store.byAddress('192.0.2.10'))?.state, 'bound');
    });
  });
}

describe('SqliteLeaseStore on disk', () => {
  it('keeps leases across a restart, in WAL mode with synchronous=FULL', async (context) => {
    const path = join(tempDir(context), 'data', 'bootwright.db');
    const first = SqliteLeaseStore.open(path);
    await first.upsert(lease('192.0.2.10', 'aa:bb:cc:dd:ee:01', { hostname: 'vm9' }));
    await first.close();
    const second = SqliteLeaseStore.open(path);
    context.after(() => second.close());
    assert.equal((await second.byMac('aa:bb:cc:dd:ee:01'))?.hostname, 'vm9');
    const peek = new Database(path, { readonly: true });
    context.after(() => peek.close());
    assert.equal(peek.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(
      (peek.prepare("SELECT name FROM sqlite_master WHERE name = 'dhcp_leases'").get() as { name: string })
        .name,
      'dhcp_leases',
    );
  });

  it('keeps bound and declined leases across a restart, but not offers', async (context) => {
    const path = join(tempDir(context), 'leases.db');
    const first = SqliteLeaseStore.open(path);
    await first.upsert(lease('192.0.2.10', 'aa:bb:cc:dd:ee:01'));
    await first.upsert(lease('192.0.2.11', 'aa:bb:cc:dd:ee:02', { state: 'declined' }));
    await first.upsert(lease('192.0.2.12', 'aa:bb:cc:dd:ee:03', { state: 'offered' }));
    assert.equal((await first.byAddress('192.0.2.12'))?.state, 'offered', 'an offer is held in memory');
    await first.close();
    const second = SqliteLeaseStore.open(path);
    context.after(() => second.close());
    assert.deepEqual(
      (await second.all()).map((item) => `${item.address} ${item.state}`),
      ['192.0.2.10 bound', '192.0.2.11 declined'],
    );
  });

  it('forgets a write whose commit failed, and keeps what was on disk before', async (context) => {
    const path = join(tempDir(context), 'leases.db');
    const store = SqliteLeaseStore.open(path);
    context.after(() => store.close());
    await store.upsert(lease('192.0.2.10', 'aa:bb:cc:dd:ee:01'));
    const other = new Database(path);
    context.after(() => other.close());
    other.exec('DROP TABLE dhcp_leases');
    await assert.rejects(store.upsert(lease('192.0.2.11', 'aa:bb:cc:dd:ee:02')), /no such table/);
    assert.equal(await store.byAddress('192.0.2.11'), undefined, 'a lease that is not on disk is not read');
    assert.equal((await store.byAddress('192.0.2.10'))?.mac, 'aa:bb:cc:dd:ee:01');
  });

  it('shares a database file with other tables and says which file it cannot open', async (context) => {
    const dir = tempDir(context);
    const path = join(dir, 'shared.db');
    const other = new Database(path);
    other.exec('CREATE TABLE objects (name TEXT)');
    other.close();
    const store = SqliteLeaseStore.open(path);
    context.after(() => store.close());
    await store.upsert(lease('192.0.2.10', 'aa:bb:cc:dd:ee:01'));
    assert.equal((await store.all()).length, 1);
    assert.throws(() => SqliteLeaseStore.open(dir), /Cannot open the DHCP lease database at ".*"/);
  });
});
