import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFails, iface, withInventory } from './inventory.fixture.js';

describe('Inventory interfaces', () => {
  it('names the first interface "default" and adds others with --interface', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('system', { name: 'vm1', profile: 'web', mac_address: '52:54:00:00:00:01' });
      const edited = await inventory.edit(
        'system',
        'vm1',
        { mac_address: '52:54:00:00:00:02', ip_address: '192.0.2.2' },
        { interface: 'eth1' },
      );
      assert.deepEqual(Object.keys(edited.interfaces ?? {}).sort(), ['default', 'eth1']);
      assert.equal(iface(edited, 'default').mac_address, '52:54:00:00:00:01');
      assert.equal(iface(edited, 'eth1').mac_address, '52:54:00:00:00:02');
      // Without --interface, "default" is meant.
      const again = await inventory.edit('system', 'vm1', { ip_address: '192.0.2.1' });
      assert.equal(iface(again, 'default').ip_address, '192.0.2.1');
      assert.equal(iface(again, 'eth1').ip_address, '192.0.2.2');
      const view = await inventory.blended('system', 'vm1');
      assert.equal(view.mac_address_eth1, '52:54:00:00:00:02');
      assert.equal(view.ip_address_default, '192.0.2.1');
    });
  });

  it('asks which interface is meant when there are two and none is "default"', async () => {
    await withInventory(async (inventory) => {
      await inventory.add(
        'system',
        { name: 'vm1', profile: 'web', mac: '52:54:00:00:00:01' },
        { interface: 'eth0' },
      );
      const one = await inventory.edit('system', 'vm1', { ip_address: '192.0.2.1' });
      assert.deepEqual(Object.keys(one.interfaces ?? {}), ['eth0'], 'a single interface is the one meant');
      await inventory.edit('system', 'vm1', { mac: '52:54:00:00:00:02' }, { interface: 'eth1' });
      await assertFails(
        inventory.edit('system', 'vm1', { ip_address: '192.0.2.9' }),
        'E_INVALID',
        /^System "vm1" has interfaces eth0, eth1; say which one with --interface=NAME/,
      );
      // Non-interface fields need no interface.
      await inventory.edit('system', 'vm1', { comment: 'fine' });
    });
  });

  it('deletes and renames interfaces', async () => {
    await withInventory(async (inventory) => {
      await inventory.add(
        'system',
        { name: 'vm1', profile: 'web', mac: '52:54:00:00:00:01' },
        { interface: 'eth0' },
      );
      await inventory.edit('system', 'vm1', { mac: '52:54:00:00:00:02' }, { interface: 'eth1' });

      const renamed = await inventory.edit(
        'system',
        'vm1',
        {},
        { interface: 'eth1', renameInterface: 'ens4' },
      );
      assert.deepEqual(Object.keys(renamed.interfaces ?? {}).sort(), ['ens4', 'eth0']);
      assert.equal(iface(renamed, 'ens4').mac_address, '52:54:00:00:00:02');
      await assertFails(
        inventory.edit('system', 'vm1', {}, { interface: 'eth0', renameInterface: 'ens4' }),
        'E_INVALID',
        /already has an interface "ens4"/,
      );
      await assertFails(
        inventory.edit('system', 'vm1', {}, { interface: 'eth7', renameInterface: 'eth8' }),
        'E_NOT_FOUND',
        /no interface "eth7"/,
      );

      const deleted = await inventory.edit('system', 'vm1', {}, { interface: 'eth0', deleteInterface: true });
      assert.deepEqual(Object.keys(deleted.interfaces ?? {}), ['ens4']);
      await assertFails(
        inventory.edit('system', 'vm1', {}, { interface: 'eth0', deleteInterface: true }),
        'E_NOT_FOUND',
        /System "vm1" has no interface "eth0"/,
      );
      // The deleted interface's MAC is free for another system.
      await inventory.add('system', { name: 'vm2', profile: 'web', mac: '52:54:00:00:00:01' });
    });
  });

  it('edits interfaces through the JSON form, where null deletes one', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('system', {
        name: 'vm1',
        profile: 'web',
        interfaces: { eth0: { macaddress: '52:54:00:00:00:01' }, eth1: { 'ip-address': '192.0.2.1' } },
      });
      const edited = await inventory.edit('system', 'vm1', {
        interfaces: { eth0: { static: true }, eth1: null },
      });
      assert.deepEqual(Object.keys(edited.interfaces ?? {}), ['eth0']);
      assert.equal(iface(edited, 'eth0').mac_address, '52:54:00:00:00:01');
      assert.equal(iface(edited, 'eth0').static, true);
      await assertFails(
        inventory.edit('system', 'vm1', { interfaces: { eth0: { speed: 10 } } }),
        'E_INVALID',
        /Unknown interface field "speed"/,
      );
    });
  });
});

describe('Inventory edits', () => {
  it('replaces dictionaries by default and changes single keys in place', async () => {
    await withInventory(async (inventory) => {
      await inventory.edit('profile', 'web', { kernel_options: 'a=1 b=2 quiet' });
      const replaced = await inventory.edit('profile', 'web', { kernel_options: 'c=3' });
      assert.deepEqual(replaced.fields.kernel_options, { c: '3' });

      await inventory.edit('profile', 'web', { kernel_options: 'a=1 b=2 quiet' });
      const inPlace = await inventory.edit('profile', 'web', { kopts: 'b=20 ~quiet d' }, { inPlace: true });
      assert.deepEqual(inPlace.fields.kernel_options, { a: '1', b: '20', d: null });
      assert.equal((await inventory.rendered('profile', 'web')).kernel_options, 'a=1 b=20 d');
    });
  });

  it('refuses to change a name through edit', async () => {
    await withInventory(async (inventory) => {
      await assertFails(inventory.edit('profile', 'web', { name: 'other' }), 'E_INVALID', /rename/);
      await assertFails(inventory.edit('profile', 'nope', { comment: 'x' }), 'E_NOT_FOUND', /"nope"/);
    });
  });

  it('refuses a profile with both a distro and a parent', async () => {
    await withInventory(async (inventory) => {
      await assertFails(
        inventory.add('profile', { name: 'sub', distro: 'rhel9', parent: 'web' }),
        'E_INVALID',
        /^Profile "sub" has both --distro and --parent/,
      );
      await inventory.add('profile', { name: 'sub', parent: 'web' });
      await assertFails(
        inventory.edit('profile', 'sub', { distro: 'rhel9', parent: 'web' }),
        'E_INVALID',
        /both/,
      );
    });
  });

  it('turns a sub-profile into a top-level profile and back when only one of distro and parent is given', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('profile', { name: 'sub', parent: 'web' });
      const top = await inventory.edit('profile', 'sub', { distro: 'rhel9' });
      assert.equal(top.fields.parent, '');
      assert.equal(top.fields.distro, 'rhel9');
      const sub = await inventory.edit('profile', 'sub', { parent: 'web' });
      assert.equal(sub.fields.distro, '');
      assert.equal(sub.fields.parent, 'web');
    });
  });

  it('refuses a parent loop', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('profile', { name: 'a', parent: 'web' });
      await inventory.add('profile', { name: 'b', parent: 'a' });
      await assertFails(
        inventory.edit('profile', 'web', { distro: '', parent: 'b' }),
        'E_INVALID',
        /^Profile "web" cannot have parent "b": that would make a loop/,
      );
      await assertFails(inventory.edit('profile', 'a', { parent: 'a' }), 'E_INVALID', /loop/);
      assert.equal((await inventory.get('profile', 'web')).fields.distro, 'rhel9');
      assert.equal((await inventory.blended('profile', 'b')).distro, 'rhel9');
    });
  });
});
