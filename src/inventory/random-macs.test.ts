import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFails, iface, withInventory } from './inventory.fixture.js';

describe('Inventory random MACs', () => {
  it('uses the Xen prefix for the default virt type, xenpv', async () => {
    await withInventory(async (inventory) => {
      const a = await inventory.add('system', { name: 'vm1', profile: 'web', mac_address: 'random' });
      const b = await inventory.add('system', { name: 'vm2', profile: 'web', mac_address: 'RANDOM' });
      const macA = String(iface(a, 'default').mac_address);
      const macB = String(iface(b, 'default').mac_address);
      assert.match(macA, /^00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$/);
      assert.match(macB, /^00:16:3e:/);
      assert.notEqual(macA, macB);
      assert.equal(
        iface(await inventory.get('system', 'vm1'), 'default').mac_address,
        macA,
        'stored, not "random"',
      );
    });
  });

  it("follows the profile's virt type: 52:54:00 for qemu and kvm, 00:50:56 for vmware", async () => {
    await withInventory(async (inventory) => {
      for (const [virtType, pattern] of [
        ['qemu', /^52:54:00:/],
        ['kvm', /^52:54:00:/],
        ['vmware', /^00:50:56:[0-3][0-9a-f]:/],
        ['xenfv', /^00:16:3e:/],
      ] as const) {
        await inventory.add('profile', { name: `p-${virtType}`, distro: 'rhel9', virt_type: virtType });
        const system = await inventory.add('system', {
          name: `vm-${virtType}`,
          profile: `p-${virtType}`,
          mac_address: 'random',
        });
        assert.match(String(iface(system, 'default').mac_address), pattern, virtType);
      }
    });
  });

  it("follows a parent profile's virt type, and the system's own over both", async () => {
    await withInventory(async (inventory) => {
      await inventory.add('profile', { name: 'kvm', distro: 'rhel9', virt_type: 'kvm' });
      await inventory.add('profile', { name: 'kvm-sub', parent: 'kvm' });
      const inherited = await inventory.add('system', { name: 'vm1', profile: 'kvm-sub', mac: 'random' });
      assert.match(String(iface(inherited, 'default').mac_address), /^52:54:00:/);
      const own = await inventory.add('system', {
        name: 'vm2',
        profile: 'kvm-sub',
        virt_type: 'vmware',
        mac: 'random',
      });
      assert.match(String(iface(own, 'default').mac_address), /^00:50:56:/);
    });
  });

  it('gives two random interfaces of one system different MACs', async () => {
    await withInventory(async (inventory) => {
      const system = await inventory.add('system', {
        name: 'vm1',
        profile: 'web',
        interfaces: { eth0: { mac_address: 'random' }, eth1: { mac_address: 'random' } },
      });
      assert.notEqual(iface(system, 'eth0').mac_address, iface(system, 'eth1').mac_address);
      assert.match(String(iface(system, 'eth1').mac_address), /^00:16:3e:/);
    });
  });

  it('offers randomMac() for a virt type, defaulting to the default_virt_type setting', async () => {
    await withInventory(async (inventory) => {
      assert.match(await inventory.randomMac(), /^00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$/);
      assert.match(await inventory.randomMac('kvm'), /^52:54:00:/);
      assert.match(await inventory.randomMac('vmware'), /^00:50:56:[0-3]/);
      const macs = new Set(await Promise.all(Array.from({ length: 20 }, () => inventory.randomMac('qemu'))));
      assert.equal(macs.size, 20);
      await assertFails(inventory.randomMac('openvz'), 'E_INVALID', /virt type "openvz"/);
      await inventory.setSetting('default_virt_type', 'kvm');
      assert.match(await inventory.randomMac(), /^52:54:00:/);
    });
  });
});
