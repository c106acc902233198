// What every store of objects and settings does, whatever keeps them: run by conformance.test.ts against each
// backend. The store is the inventory's only way to its objects, so this is the contract a new backend must keep.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FieldValue, InventoryObject, NetworkInterface, ObjectKind } from '../../model/kinds.js';
import type { Store } from '../store.js';

/** An object as a store holds it: only the fields given. */
export function object(
  kind: ObjectKind,
  name: string,
  fields: Record<string, FieldValue> = {},
  interfaces?: Record<string, Partial<NetworkInterface>>,
): InventoryObject {
  const made: InventoryObject = { kind, name, uid: `${kind}-${name}`, ctime: 100, mtime: 100, fields };
  if (interfaces) made.interfaces = interfaces as Record<string, NetworkInterface>;
  return made;
}

/** Registers the object store's tests; `open` gives an empty store for each, which the test closes. */
export function objectStoreConformance(
  name: string,
  open: (context: TestContext) => Store | Promise<Store>,
): void {
  const fresh = async (context: TestContext) => {
    const store = await open(context);
    context.after(() => store.close());
    return store;
  };

  describe(`${name}: objects, settings and transactions`, () => {
    it('returns what was put, and undefined for what was not', async (context) => {
      const store = await fresh(context);
      const system = object(
        'system',
        'vm1',
        { profile: 'p', virt_ram: 1024, name_servers: ['192.0.2.1'], kernel_options: { a: '1', b: null } },
        { eth0: { mac_address: '52:54:00:00:00:01' } },
      );
      await store.transaction((tx) => tx.put(system));
      assert.deepEqual(await store.get('system', 'vm1'), system);
      assert.equal(await store.get('system', 'vm2'), undefined);
      assert.equal(await store.get('profile', 'vm1'), undefined, 'kinds are separate name spaces');
      const distro = object('distro', 'd');
      await store.transaction((tx) => tx.put(distro));
      assert.deepEqual(await store.get('distro', 'd'), distro, 'no interfaces key appears');
    });

    it('updates in place, keeping ctime and taking the new mtime and data', async (context) => {
      const store = await fresh(context);
      await store.transaction((tx) => tx.put(object('distro', 'd', { arch: 'x86_64' })));
      await store.transaction((tx) =>
        tx.put({ ...object('distro', 'd', { arch: 'aarch64' }), ctime: 999, mtime: 200 }),
      );
      const stored = await store.get('distro', 'd');
      assert.equal(stored?.ctime, 100);
      assert.equal(stored?.mtime, 200);
      assert.deepEqual(stored?.fields, { arch: 'aarch64' });
      assert.equal(await store.count('distro'), 1);
    });

    it('lists one kind in name order, with offset and limit', async (context) => {
      const store = await fresh(context);
      await store.transaction(async (tx) => {
        for (const name of ['c', 'a', 'e', 'b', 'd']) await tx.put(object('profile', name));
        await tx.put(object('distro', 'zz'));
      });
      const names = async (options?: { offset?: number; limit?: number }) =>
        (await store.list('profile', options)).map((item) => item.name);
      assert.deepEqual(await names(), ['a', 'b', 'c', 'd', 'e']);
      assert.deepEqual(await names({ limit: 2 }), ['a', 'b']);
      assert.deepEqual(await names({ offset: 2, limit: 2 }), ['c', 'd']);
      assert.deepEqual(await names({ offset: 4 }), ['e']);
      assert.deepEqual(await names({ offset: 9 }), []);
      assert.equal(await store.count('profile'), 5);
      assert.equal(await store.count('system'), 0);
    });

    it('finds systems by MAC, IP, hostname and DNS name, ignoring case', async (context) => {
      const store = await fresh(context);
      await store.transaction(async (tx) => {
        await tx.put(
          object(
            'system',
            'vm1',
            { hostname: 'Web1.Example' },
            {
              eth0: {
                mac_address: '52:54:00:00:00:01',
                ip_address: '192.0.2.1',
                dns_name: 'Web1.Example.Net',
              },
              eth1: { mac_address: 'aa:bb:cc:00:00:02', ip_address: '', dns_name: '' },
            },
          ),
        );
        await tx.put(object('system', 'vm2', {}, { eth0: { mac_address: '52:54:00:00:00:03' } }));
      });
      const vm1 = [{ kind: 'system', name: 'vm1' }];
      assert.deepEqual(await store.findByKey('mac', '52:54:00:00:00:01'), vm1);
      assert.deepEqual(await store.findByKey('mac', 'AA:BB:CC:00:00:02'), vm1);
      assert.deepEqual(await store.findByKey('ip', '192.0.2.1'), vm1);
      assert.deepEqual(await store.findByKey('hostname', 'WEB1.example'), vm1);
      assert.deepEqual(await store.findByKey('dns_name', 'web1.example.net'), vm1);
      assert.deepEqual(await store.findByKey('ip', ''), [], 'empty values are not indexed');
      assert.deepEqual(await store.findByKey('mac', '52:54:00:00:00:03'), [{ kind: 'system', name: 'vm2' }]);
    });

    it('drops the old index entries when a system changes or goes', async (context) => {
      const store = await fresh(context);
      await store.transaction((tx) =>
        tx.put(object('system', 'vm1', {}, { eth0: { mac_address: '52:54:00:00:00:01' } })),
      );
      await store.transaction((tx) =>
        tx.put(object('system', 'vm1', {}, { eth0: { mac_address: '52:54:00:00:00:09' } })),
      );
      assert.deepEqual(await store.findByKey('mac', '52:54:00:00:00:01'), []);
      assert.deepEqual(await store.findByKey('mac', '52:54:00:00:00:09'), [{ kind: 'system', name: 'vm1' }]);
      assert.equal(await store.transaction((tx) => tx.delete('system', 'vm1')), true);
      assert.equal(await store.transaction((tx) => tx.delete('system', 'vm1')), false);
      assert.deepEqual(await store.findByKey('mac', '52:54:00:00:00:09'), []);
    });

    it('lists the dependents of an object and forgets them when they change', async (context) => {
      const store = await fresh(context);
      await store.transaction(async (tx) => {
        await tx.put(object('distro', 'd'));
        await tx.put(object('repo', 'r'));
        await tx.put(object('profile', 'p', { distro: 'd', parent: '', repos: ['r'] }));
        await tx.put(object('profile', 'sub', { distro: '', parent: 'p', repos: [] }));
        await tx.put(object('system', 'vm2', { profile: 'p' }));
        await tx.put(object('system', 'vm1', { profile: 'p' }));
      });
      assert.deepEqual(await store.dependents('distro', 'd'), [{ kind: 'profile', name: 'p' }]);
      assert.deepEqual(await store.dependents('repo', 'r'), [{ kind: 'profile', name: 'p' }]);
      assert.deepEqual(await store.dependents('profile', 'p'), [
        { kind: 'profile', name: 'sub' },
        { kind: 'system', name: 'vm1' },
        { kind: 'system', name: 'vm2' },
      ]);
      await store.transaction(async (tx) => {
        await tx.put(object('system', 'vm1', { profile: 'sub' }));
        await tx.delete('system', 'vm2');
      });
      assert.deepEqual(await store.dependents('profile', 'p'), [{ kind: 'profile', name: 'sub' }]);
      assert.deepEqual(await store.dependents('profile', 'sub'), [{ kind: 'system', name: 'vm1' }]);
    });

    it('keeps, replaces and deletes setting overrides', async (context) => {
      const store = await fresh(context);
      assert.deepEqual(await store.settingOverrides(), {});
      await store.transaction(async (tx) => {
        await tx.setSetting('http_port', 8080);
        await tx.setSetting('default_name_servers', ['192.0.2.53']);
        await tx.setSetting('http_port', 8081);
      });
      assert.deepEqual(await store.settingOverrides(), {
        http_port: 8081,
        default_name_servers: ['192.0.2.53'],
      });
      assert.equal(await store.transaction((tx) => tx.deleteSetting('http_port')), true);
      assert.equal(await store.transaction((tx) => tx.deleteSetting('http_port')), false);
      assert.deepEqual(await store.settingOverrides(), { default_name_servers: ['192.0.2.53'] });
    });

    it('moves the inventory version on with each committed change, not with events or a rollback', async (context) => {
      const store = await fresh(context);
      const versions = [await store.inventoryVersion()];
      const moved = async (what: string) => {
        const now = await store.inventoryVersion();
        assert.ok(!versions.includes(now), `${what} left the version at ${now}, seen before`);
        versions.push(now);
      };
      await store.transaction((tx) => tx.put(object('distro', 'd')));
      await moved('an object added');
      await store.transaction((tx) => tx.put(object('distro', 'd', { arch: 'aarch64' })));
      await moved('an object changed');
      await store.transaction((tx) => tx.setSetting('http_port', 8080));
      await moved('a setting added');
      await store.transaction((tx) => tx.deleteSetting('http_port'));
      await moved('a setting removed');
      await store.transaction((tx) => tx.delete('distro', 'd'));
      await moved('an object removed');
      const before = await store.inventoryVersion();
      await store.events.append([{ type: 'http.image', ip: '192.0.2.9' }]);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.put(object('distro', 'never'));
          throw new Error('rolled back');
        }),
      );
      assert.equal(await store.inventoryVersion(), before, 'an event or a rollback moved the version');
    });

    it('writes nothing from a transaction that throws, and passes the error on', async (context) => {
      const store = await fresh(context);
      await store.transaction((tx) => tx.put(object('distro', 'kept', { arch: 'x86_64' })));
      const failure = new Error('boom');
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.put(object('distro', 'new'));
          await tx.put(object('distro', 'kept', { arch: 'aarch64' }));
          await tx.put(
            object('system', 'vm1', { profile: 'p' }, { eth0: { mac_address: '52:54:00:00:00:01' } }),
          );
          await tx.setSetting('http_port', 1);
          await tx.delete('distro', 'kept');
          assert.equal(await tx.get('distro', 'kept'), undefined, 'a transaction sees its own writes');
          throw failure;
        }),
        (error: unknown) => error === failure,
      );
      assert.equal(await store.get('distro', 'new'), undefined);
      assert.deepEqual((await store.get('distro', 'kept'))?.fields, { arch: 'x86_64' });
      assert.equal(await store.count('system'), 0);
      assert.deepEqual(await store.findByKey('mac', '52:54:00:00:00:01'), []);
      assert.deepEqual(await store.dependents('profile', 'p'), []);
      assert.deepEqual(await store.settingOverrides(), {});
      // The store is still usable after a rollback.
      await store.transaction((tx) => tx.put(object('distro', 'after')));
      assert.ok(await store.get('distro', 'after'));
    });

    it('does not show a transaction to readers before it commits', async (context) => {
      const store = await fresh(context);
      let seenDuring: InventoryObject | undefined;
      await store.transaction(async (tx) => {
        await tx.put(object('distro', 'd'));
        seenDuring = await store.get('distro', 'd');
      });
      assert.equal(seenDuring, undefined);
      assert.ok(await store.get('distro', 'd'));
    });

    it('serializes concurrent transactions', async (context) => {
      const store = await fresh(context);
      const increment = () =>
        store.transaction(async (tx) => {
          const value = Number((await tx.settingOverrides()).counter ?? 0);
          // Yield between read and write, so that unserialized transactions would interleave here.
          await new Promise((resolve) => setImmediate(resolve));
          await tx.setSetting('counter', value + 1);
          return value;
        });
      const seen = await Promise.all(Array.from({ length: 50 }, increment));
      assert.deepEqual((await store.settingOverrides()).counter, 50);
      assert.deepEqual(
        seen,
        Array.from({ length: 50 }, (_, index) => index),
        'each transaction saw the one before it',
      );
    });

    it('keeps serving transactions after one of many concurrent ones fails', async (context) => {
      const store = await fresh(context);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, index) =>
          store.transaction(async (tx) => {
            await tx.put(object('distro', `d${index}`));
            if (index === 3) throw new Error('fail 3');
          }),
        ),
      );
      assert.deepEqual(
        results.map((result) => result.status),
        results.map((_, index) => (index === 3 ? 'rejected' : 'fulfilled')),
      );
      assert.equal(await store.count('distro'), 9);
      assert.equal(await store.get('distro', 'd3'), undefined);
    });
  });
}
