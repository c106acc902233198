import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INHERIT } from '../model/kinds.js';
import { assertFails, freshPath, iface, rhel9Files, withInventory } from './inventory.fixture.js';

describe('Inventory add', () => {
  it('stores a distro, a profile and a system with canonical values', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('distro', {
        name: 'deb12',
        kernel: rhel9Files().kernel,
        initrd: rhel9Files().initrd,
        breed: 'debian',
        arch: 'aarch64',
        kopts: 'console=ttyS0 quiet',
      });
      await inventory.add('profile', {
        name: 'deb12-db',
        distro: 'deb12',
        'virt-ram': '2048',
        virt_type: 'kvm',
      });
      await inventory.add('system', {
        name: 'db1',
        profile: 'deb12-db',
        hostname: 'db1.example.com',
        mac: '52-54-00-AB-CD-EF',
        ip_address: '192.0.2.21',
        netmask: '24',
        netboot_enabled: 'yes',
      });

      const distro = await inventory.get('distro', 'deb12');
      assert.equal(distro.fields.breed, 'debian');
      assert.equal(distro.fields.arch, 'aarch64');
      assert.deepEqual(distro.fields.kernel_options, { console: 'ttyS0', quiet: null });
      assert.match(distro.uid, /^[0-9a-f]{32}$/);

      const profile = await inventory.get('profile', 'deb12-db');
      assert.equal(profile.fields.virt_ram, 2048);
      assert.equal(profile.fields.virt_cpus, INHERIT);

      const system = await inventory.get('system', 'db1');
      assert.equal(system.fields.profile, 'deb12-db');
      assert.equal(system.fields.hostname, 'db1.example.com');
      assert.equal(system.fields.netboot_enabled, true);
      assert.deepEqual(Object.keys(system.interfaces ?? {}), ['default']);
      assert.equal(iface(system, 'default').mac_address, '52:54:00:ab:cd:ef');
      assert.equal(iface(system, 'default').ip_address, '192.0.2.21');
      assert.equal(iface(system, 'default').netmask, '255.255.255.0');

      const view = await inventory.blended('system', 'db1');
      assert.equal(view.virt_ram, 2048);
      assert.equal(view.virt_type, 'kvm');
      assert.equal(view.breed, 'debian');
      assert.equal(view.distro, 'deb12');
      const rendered = await inventory.rendered('system', 'db1');
      assert.equal(rendered.kernel_options, 'console=ttyS0 quiet');
      assert.equal(rendered.virt_ram, 2048);
    });
  });

  it('keeps what it stored after the store is closed and opened again', async () => {
    const path = freshPath();
    await withInventory(async (inventory) => {
      await inventory.add('system', { name: 'vm1', profile: 'web', mac_address: '52:54:00:00:00:01' });
    }, path);
    await withInventory(async (inventory) => {
      const system = await inventory.get('system', 'vm1');
      assert.equal(iface(system, 'default').mac_address, '52:54:00:00:00:01');
      await assertFails(
        inventory.add('system', { name: 'vm2', profile: 'web', mac_address: '52:54:00:00:00:01' }),
        'E_DUPLICATE_MAC',
        /"vm1"/,
      );
    }, path);
  });

  it('refuses an unknown profile, naming it, and writes nothing', async () => {
    await withInventory(async (inventory) => {
      await assertFails(
        inventory.add('system', { name: 'vm1', profile: 'nope' }),
        'E_NOT_FOUND',
        /^System "vm1": profile "nope" does not exist/,
      );
      await assertFails(inventory.get('system', 'vm1'), 'E_NOT_FOUND', /^System "vm1" does not exist/);
      await assertFails(
        inventory.add('profile', { name: 'p', distro: 'fedora40' }),
        'E_NOT_FOUND',
        /distro "fedora40" does not exist/,
      );
    });
  });

  it('refuses missing required fields and unknown fields', async () => {
    await withInventory(async (inventory) => {
      await assertFails(inventory.add('system', { name: 'vm1' }), 'E_INVALID', /needs --profile/);
      await assertFails(
        inventory.add('distro', { name: 'd', kernel: '/srv/k' }),
        'E_INVALID',
        /needs --initrd/,
      );
      await assertFails(
        inventory.add('profile', { name: 'p' }),
        'E_INVALID',
        /needs --distro=NAME or --parent/,
      );
      await assertFails(
        inventory.add('system', { name: 'vm1', profile: 'web', colour: 'red' }),
        'E_INVALID',
        /"colour"/,
      );
      await assertFails(
        inventory.add('system', { name: 'bad name', profile: 'web' }),
        'E_INVALID',
        /"bad name"/,
      );
      assert.equal(await inventory.count('system'), 0);
    });
  });

  it('refuses a name that is taken', async () => {
    await withInventory(async (inventory) => {
      await assertFails(
        inventory.add('profile', { name: 'web', distro: 'rhel9' }),
        'E_DUPLICATE_NAME',
        /^Profile "web" already exists/,
      );
      await inventory.add('system', { name: 'web', profile: 'web' });
      await assertFails(
        inventory.add('system', { name: 'web', profile: 'web' }),
        'E_DUPLICATE_NAME',
        /"web"/,
      );
    });
  });

  it('refuses a malformed MAC or IP and writes nothing', async () => {
    await withInventory(async (inventory) => {
      await assertFails(
        inventory.add('system', { name: 'vm1', profile: 'web', mac_address: '52:54:00:12:34' }),
        'E_INVALID',
        /"52:54:00:12:34"/,
      );
      await assertFails(
        inventory.add('system', { name: 'vm1', profile: 'web', ip_address: '192.0.2.300' }),
        'E_INVALID',
        /"192.0.2.300"/,
      );
      assert.equal(await inventory.count('system'), 0);

      await inventory.add('system', { name: 'vm1', profile: 'web', mac_address: '52:54:00:00:00:01' });
      await assertFails(
        inventory.edit('system', 'vm1', { comment: 'changed', ip_address: '10.0.0' }),
        'E_INVALID',
        /"10.0.0"/,
      );
      const system = await inventory.get('system', 'vm1');
      assert.equal(system.fields.comment, '');
      assert.equal(iface(system, 'default').ip_address, '');
    });
  });
});

describe('Inventory remove', () => {
  it('tells at once that a removed system no longer exists, and that a new one does', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('system', { name: 'vm1', profile: 'web' });
      assert.equal(await inventory.exists('system', 'vm1'), true);
      assert.equal(await inventory.exists('system', 'vm2'), false);
      await inventory.remove('system', 'vm1');
      await inventory.add('system', { name: 'vm2', profile: 'web' });
      assert.equal(await inventory.exists('system', 'vm1'), false);
      assert.equal(await inventory.exists('system', 'vm2'), true);
      assert.equal(await inventory.exists('profile', 'vm2'), false);
    });
  });

  it('refuses to orphan profiles, naming them, and removes the whole tree with recursive', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('profile', { name: 'web-sub', parent: 'web' });
      await inventory.add('system', { name: 'vm1', profile: 'web', mac: '52:54:00:00:00:01' });
      await inventory.add('system', { name: 'vm2', profile: 'web-sub' });
      await inventory.add('distro', {
        name: 'other',
        kernel: rhel9Files().kernel,
        initrd: rhel9Files().initrd,
      });
      await inventory.add('profile', { name: 'keep', distro: 'other' });

      await assertFails(
        inventory.remove('distro', 'rhel9'),
        'E_IN_USE',
        /^Cannot remove distro "rhel9": profile "web" depends on it; .*--recursive/,
      );
      await assertFails(
        inventory.remove('profile', 'web'),
        'E_IN_USE',
        /profile "web-sub", system "vm1" depend on it/,
      );
      assert.equal(await inventory.count('system'), 2);

      const removed = await inventory.remove('distro', 'rhel9', { recursive: true });
      assert.deepEqual(removed.map((ref) => `${ref.kind}:${ref.name}`).sort(), [
        'distro:rhel9',
        'profile:web',
        'profile:web-sub',
        'system:vm1',
        'system:vm2',
      ]);
      assert.deepEqual(
        (await inventory.list('profile')).map((profile) => profile.name),
        ['keep'],
      );
      assert.equal(await inventory.count('system'), 0);
      assert.equal(await inventory.count('distro'), 1);
      // The MAC of a removed system is free again.
      await inventory.add('profile', { name: 'web', distro: 'other' });
      await inventory.add('system', { name: 'vm9', profile: 'web', mac: '52:54:00:00:00:01' });
    });
  });

  it('removes a leaf without recursive and reports a missing object', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('system', { name: 'vm1', profile: 'web' });
      assert.deepEqual(await inventory.remove('system', 'vm1'), [{ kind: 'system', name: 'vm1' }]);
      await assertFails(inventory.remove('system', 'vm1'), 'E_NOT_FOUND', /"vm1"/);
    });
  });

  it('drops a removed repo from the profiles that list it', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('repo', { name: 'extras', mirror: 'http://mirror.example/extras' });
      await inventory.add('repo', { name: 'updates', mirror: 'http://mirror.example/updates' });
      await inventory.edit('profile', 'web', { repos: 'extras updates' });
      await inventory.remove('repo', 'extras');
      assert.deepEqual((await inventory.get('profile', 'web')).fields.repos, ['updates']);
    });
  });
});

describe('Inventory rename and copy', () => {
  it("renames a profile and updates its systems' profile and its sub-profiles' parent", async () => {
    await withInventory(async (inventory) => {
      await inventory.add('profile', { name: 'web-sub', parent: 'web' });
      await inventory.add('system', { name: 'vm1', profile: 'web' });
      await inventory.add('system', { name: 'vm2', profile: 'web-sub' });
      await inventory.add('profile', { name: 'other', distro: 'rhel9' });

      const renamed = await inventory.rename('profile', 'web', 'frontend');
      assert.equal(renamed.name, 'frontend');
      await assertFails(inventory.get('profile', 'web'), 'E_NOT_FOUND', /"web"/);
      assert.equal((await inventory.get('system', 'vm1')).fields.profile, 'frontend');
      assert.equal((await inventory.get('profile', 'web-sub')).fields.parent, 'frontend');
      assert.equal((await inventory.get('system', 'vm2')).fields.profile, 'web-sub');
      assert.equal((await inventory.blended('system', 'vm2')).distro, 'rhel9');

      // The renamed profile still protects its dependents.
      await assertFails(
        inventory.remove('profile', 'frontend'),
        'E_IN_USE',
        /profile "web-sub", system "vm1"/,
      );
      await assertFails(inventory.rename('profile', 'frontend', 'other'), 'E_DUPLICATE_NAME', /"other"/);
    });
  });

  it('renames a distro in its profiles', async () => {
    await withInventory(async (inventory) => {
      await inventory.rename('distro', 'rhel9', 'rhel9.4');
      assert.equal((await inventory.get('profile', 'web')).fields.distro, 'rhel9.4');
      assert.equal((await inventory.blended('profile', 'web')).distro_name, 'rhel9.4');
      await assertFails(inventory.remove('distro', 'rhel9.4'), 'E_IN_USE', /profile "web"/);
    });
  });

  it('copies a system without its MACs, IPs and names', async () => {
    await withInventory(async (inventory) => {
      const original = await inventory.add('system', {
        name: 'vm1',
        profile: 'web',
        hostname: 'vm1.example',
        mac_address: '52:54:00:00:00:01',
        ip_address: '192.0.2.1',
        dns_name: 'vm1.dns.example',
        netmask: '255.255.255.0',
        virt_ram: 1024,
      });
      const copy = await inventory.copy('system', 'vm1', 'vm2');
      assert.notEqual(copy.uid, original.uid);
      assert.equal(copy.fields.hostname, '');
      assert.equal(copy.fields.virt_ram, 1024);
      assert.equal(iface(copy, 'default').mac_address, '');
      assert.equal(iface(copy, 'default').ip_address, '');
      assert.equal(iface(copy, 'default').dns_name, '');
      assert.equal(iface(copy, 'default').netmask, '255.255.255.0');
      assert.equal(iface(await inventory.get('system', 'vm1'), 'default').mac_address, '52:54:00:00:00:01');

      const withMac = await inventory.copy('system', 'vm1', 'vm3', { mac_address: '52:54:00:00:00:03' });
      assert.equal(iface(withMac, 'default').mac_address, '52:54:00:00:00:03');
      await assertFails(inventory.copy('system', 'vm1', 'vm2'), 'E_DUPLICATE_NAME', /"vm2"/);
      await assertFails(
        inventory.copy('system', 'vm1', 'vm4', { mac_address: '52:54:00:00:00:01' }),
        'E_DUPLICATE_MAC',
        /"vm1"/,
      );
    });
  });

  it('copies a profile with its settings', async () => {
    await withInventory(async (inventory) => {
      await inventory.edit('profile', 'web', { kernel_options: 'quiet', virt_ram: 768 });
      const copy = await inventory.copy('profile', 'web', 'web2');
      assert.deepEqual(copy.fields.kernel_options, { quiet: null });
      assert.equal((await inventory.blended('profile', 'web2')).virt_ram, 768);
    });
  });
});
