// What only the SQLite lease store does: keep bound and declined leases across a restart, in WAL mode, share its
// file with the inventory's tables, and forget a write whose commit failed. What every lease store does is in
// conformance/leases.ts, run by conformance.test.ts.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from '../../test/support/temp-dir.js';
import type { Lease } from './lease-store.js';
import { SqliteLeaseStore } from './sqlite-lease-store.js';

const lease = (address: string, mac: string, overrides: Partial<Lease> = {}): Lease => ({
  address,
  mac,
  state: 'bound',
  expiresAt: 10_000,
  ...overrides,
});

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

  it('writes a burst of leases larger than one batch holds, every one on disk when its write settles', async (context) => {
    const path = join(tempDir(context), 'leases.db');
    const store = SqliteLeaseStore.open(path);
    context.after(() => store.close());
    // A /19 of clients with long client identifiers: over 2 MiB of leases decided before the first commit.
    const burst = Array.from({ length: 8_000 }, (_, index) =>
      lease(
        `10.0.${index >> 8}.${index & 0xff}`,
        `aa:bb:cc:00:${(index >> 8).toString(16).padStart(2, '0')}:${(index & 0xff).toString(16).padStart(2, '0')}`,
        {
          clientId: 'ff'.repeat(64),
          hostname: `host-${index}`,
        },
      ),
    );
    await Promise.all(burst.map((item) => store.upsert(item)));
    const peek = new Database(path, { readonly: true });
    context.after(() => peek.close());
    const count = peek.prepare('SELECT count(*) AS rows FROM dhcp_leases').get() as { rows: number };
    assert.equal(count.rows, burst.length);
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
