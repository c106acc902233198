// What only the SQLite store does: survive a reopen, see other processes' writes by the inventory version, and
// refuse a schema it does not know. What every store does is in conformance/objects.ts, run by conformance.test.ts.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BootwrightError } from '../errors.js';
import { object } from './conformance/objects.js';
import { SqliteStore } from './sqlite-store.js';

let dir: string;
let counter = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bootwright-store-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh store file per test, so tests do not see each other's objects. */
function freshPath(): string {
  counter += 1;
  return join(dir, `store-${counter}`, 'bootwright.db');
}

describe('SqliteStore', () => {
  it('keeps everything across close and reopen', async () => {
    const path = freshPath();
    const first = SqliteStore.open(path);
    const system = object('system', 'vm1', { profile: 'p' }, { eth0: { mac_address: '52:54:00:00:00:01' } });
    await first.transaction(async (tx) => {
      await tx.put(object('profile', 'p', { distro: 'd' }));
      await tx.put(system);
      await tx.setSetting('server', 'boot.example');
    });
    await first.close();

    const second = SqliteStore.open(path);
    try {
      assert.deepEqual(await second.get('system', 'vm1'), system);
      assert.deepEqual(await second.findByKey('mac', '52:54:00:00:00:01'), [{ kind: 'system', name: 'vm1' }]);
      assert.deepEqual(await second.dependents('profile', 'p'), [{ kind: 'system', name: 'vm1' }]);
      assert.deepEqual(await second.settingOverrides(), { server: 'boot.example' });
    } finally {
      await second.close();
    }
  });

  it('sees another process change the inventory, by its version, even when written with plain SQL', async () => {
    const path = freshPath();
    const server = SqliteStore.open(path);
    const cli = SqliteStore.open(path);
    try {
      const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
      const before = await server.inventoryVersion();
      await cli.transaction((tx) => tx.setSetting('served_roots', ['/srv']));
      // Another process's change shows from the server's next turn of its event loop, as a request would see it.
      await nextTurn();
      const afterCli = await server.inventoryVersion();
      assert.notEqual(afterCli, before, 'a setting written by another connection left the version alone');
      // An operator's sqlite3 shell goes around bootwright altogether; the triggers still see it.
      const shell = new Database(path);
      shell.prepare("UPDATE settings SET value = '[]' WHERE name = 'served_roots'").run();
      shell.close();
      await nextTurn();
      assert.notEqual(await server.inventoryVersion(), afterCli, 'a plain SQL update left the version alone');
    } finally {
      await cli.close();
      await server.close();
    }
  });

  it('refuses a store written by a newer schema', async () => {
    const path = freshPath();
    await SqliteStore.open(path).close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(99, 'future');
    db.close();
    assert.throws(
      () => SqliteStore.open(path),
      (error: unknown) =>
        error instanceof BootwrightError && error.code === 'E_UNAVAILABLE' && /schema 99/.test(error.message),
    );
  });
});
