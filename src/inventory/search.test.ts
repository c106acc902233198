import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFails, withInventory } from './inventory.fixture.js';

describe('Inventory list', () => {
  it('finds objects by glob patterns on names, fields and interface fields', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('profile', { name: 'db', distro: 'rhel9' });
      await inventory.add('system', { name: 'vm1', profile: 'web', mac: '52:54:00:00:00:01' });
      await inventory.add('system', { name: 'vm2', profile: 'db', mac: '00:16:3e:00:00:02' });
      await inventory.add('system', { name: 'VM3', profile: 'db' });
      await inventory.edit('system', 'VM3', { mac: '52:54:00:00:00:03' }, { interface: 'eth1' });
      await inventory.add('system', { name: 'host1', profile: 'web', mac: '52:54:00:00:00:04' });

      const names = async (
        criteria: Record<string, string>,
        paging: { offset?: number; limit?: number } = {},
      ) => (await inventory.list('system', { criteria, ...paging })).map((system) => system.name);
      assert.deepEqual(await names({ name: 'vm*' }), ['VM3', 'vm1', 'vm2']);
      assert.deepEqual(await names({ mac_address: '52:54:00:*' }), ['VM3', 'host1', 'vm1']);
      assert.deepEqual(await names({ name: 'vm*', mac_address: '52:54:00:*' }), ['VM3', 'vm1']);
      assert.deepEqual(await names({ profile: 'd?' }), ['VM3', 'vm2']);
      assert.deepEqual(await names({ name: 'vm[12]' }), ['vm1', 'vm2']);
      assert.deepEqual(await names({ name: 'vm[!1]' }), ['VM3', 'vm2']);
      assert.deepEqual(await names({ mac: '*:02' }), ['vm2']);
      assert.deepEqual(await names({ name: 'vm.' }), [], 'a dot is literal');
      assert.deepEqual(await names({ name: '*' }, { offset: 1, limit: 2 }), ['host1', 'vm1']);
      assert.deepEqual(await names({}, { offset: 1, limit: 2 }), ['host1', 'vm1']);
      await assertFails(inventory.list('system', { criteria: { colour: 'red' } }), 'E_INVALID', /"colour"/);
    });
  });
});
