import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BootwrightError, type ErrorCode } from '../errors.js';
import { INHERIT } from '../model/kinds.js';
import { openStore } from '../store/open-store.js';
import { Inventory } from './inventory.js';

let dir: string;
let counter = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bootwright-inventory-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function freshPath(): string {
  counter += 1;
  return join(dir, `inventory-${counter}.db`);
}

/** An inventory on its own SQLite file, with distro rhel9 and profile web on it. */
async function withInventory(
  work: (inventory: Inventory) => Promise<void>,
  path = freshPath(),
): Promise<void> {
  const store = openStore(`sqlite:${path}`);
  const inventory = new Inventory(store);
  try {
    if (!(await store.get('distro', 'rhel9'))) {
      await inventory.add('distro', {
        name: 'rhel9',
        kernel: '/srv/rhel9/vmlinuz',
        initrd: '/srv/rhel9/initrd.img',
        os_version: 'rhel9',
      });
      await inventory.add('profile', { name: 'web', distro: 'rhel9' });
    }
    await work(inventory);
  } finally {
    await store.close();
  }
}

async function assertFails(promise: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BootwrightError, `expected a BootwrightError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

function iface(object: { interfaces?: Record<string, unknown> }, name: string): Record<string, unknown> {
  const found = object.interfaces?.[name];
  assert.ok(found, `interface ${name} exists`);
  return found as Record<string, unknown>;
}

describe('Inventory add', () => {
  it('stores a distro, a profile and a system with canonical values', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('distro', {
        name: 'deb12',
        kernel: '/srv/deb12/linux',
        initrd: '/srv/deb12/initrd.gz',
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

describe('Inventory uniqueness', () => {
  it('refuses a MAC, IP, hostname or DNS name that another system has', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('system', {
        name: 'vm1',
        profile: 'web',
        hostname: 'vm1.example',
        mac_address: '52:54:00:00:00:01',
        ip_address: '192.0.2.1',
        dns_name: 'vm1.dns.example',
      });
      const other = { name: 'vm2', profile: 'web' };
      await assertFails(
        inventory.add('system', { ...other, mac_address: '52:54:00:00:00:01' }),
        'E_DUPLICATE_MAC',
        /^MAC address "52:54:00:00:00:01" is already used by system "vm1"; .*allow_duplicate_macs/,
      );
      await assertFails(
        inventory.add('system', { ...other, mac_address: '5254.0000.0001' }),
        'E_DUPLICATE_MAC',
        /"vm1"/,
      );
      await assertFails(
        inventory.add('system', { ...other, ip_address: '192.0.2.1' }),
        'E_DUPLICATE_IP',
        /IP address "192.0.2.1" is already used by system "vm1"/,
      );
      await assertFails(
        inventory.add('system', { ...other, hostname: 'VM1.example' }),
        'E_DUPLICATE_HOSTNAME',
        /hostname "VM1.example" is already used by system "vm1"/i,
      );
      await assertFails(
        inventory.add('system', { ...other, dns_name: 'vm1.dns.example' }),
        'E_DUPLICATE_HOSTNAME',
        /DNS name "vm1.dns.example"/,
      );
      await assertFails(
        inventory.add('system', {
          ...other,
          interfaces: {
            eth0: { mac_address: '52:54:00:00:00:09' },
            eth1: { mac_address: '52:54:00:00:00:09' },
          },
        }),
        'E_DUPLICATE_MAC',
        /on two interfaces/,
      );
      assert.equal(await inventory.count('system'), 1);
      // Editing a system does not trip over its own values.
      await inventory.edit('system', 'vm1', { comment: 'still unique', mac_address: '52:54:00:00:00:01' });
    });
  });

  it('lets exactly one of several simultaneous adds with the same MAC through', async () => {
    await withInventory(async (inventory) => {
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, index) =>
          inventory.add('system', { name: `vm${index}`, profile: 'web', mac: '52:54:00:00:00:01' }),
        ),
      );
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      for (const result of results) {
        if (result.status === 'rejected')
          assert.equal((result.reason as BootwrightError).code, 'E_DUPLICATE_MAC');
      }
      assert.equal(await inventory.count('system'), 1);
    });
  });

  it('allows duplicates once the matching allow_duplicate_* setting is on', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('system', {
        name: 'vm1',
        profile: 'web',
        hostname: 'vm1.example',
        mac_address: '52:54:00:00:00:01',
        ip_address: '192.0.2.1',
      });
      await inventory.setSetting('allow_duplicate_macs', true);
      await inventory.add('system', { name: 'vm2', profile: 'web', mac_address: '52:54:00:00:00:01' });
      await assertFails(
        inventory.add('system', { name: 'vm3', profile: 'web', ip_address: '192.0.2.1' }),
        'E_DUPLICATE_IP',
        /"vm1"/,
      );
      await inventory.setSetting('allow_duplicate_ips', 'yes');
      await inventory.add('system', { name: 'vm3', profile: 'web', ip_address: '192.0.2.1' });
      await inventory.setSetting('allow_duplicate_hostnames', 'on');
      await inventory.add('system', { name: 'vm4', profile: 'web', hostname: 'vm1.example' });
      assert.deepEqual(
        (await inventory.systemsWithKey('mac', '52:54:00:00:00:01')).map((ref) => ref.name),
        ['vm1', 'vm2'],
      );
    });
  });
});

describe('Inventory remove', () => {
  it('refuses to orphan profiles, naming them, and removes the whole tree with recursive', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('profile', { name: 'web-sub', parent: 'web' });
      await inventory.add('system', { name: 'vm1', profile: 'web', mac: '52:54:00:00:00:01' });
      await inventory.add('system', { name: 'vm2', profile: 'web-sub' });
      await inventory.add('distro', { name: 'other', kernel: '/srv/k', initrd: '/srv/i' });
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

describe('Inventory settings', () => {
  it('overrides a setting, uses it in views, and resets it to the default', async () => {
    await withInventory(async (inventory) => {
      assert.equal((await inventory.settings()).http_port, 80);
      const changed = await inventory.setSetting('http-port', '8080');
      assert.equal(changed.http_port, 8080);
      await inventory.setSetting('server', 'boot.example');
      await inventory.setSetting('default_virt_ram', 1024);
      const view = await inventory.blended('profile', 'web');
      assert.equal(view.http_server, 'boot.example:8080');
      assert.equal(view.virt_ram, 1024);

      const reset = await inventory.resetSetting('http_port');
      assert.equal(reset.http_port, 80);
      assert.equal(reset.server, 'boot.example');
      assert.equal((await inventory.blended('profile', 'web')).http_server, 'boot.example');
    });
  });

  it('refuses unknown settings and bad values', async () => {
    await withInventory(async (inventory) => {
      await assertFails(
        inventory.setSetting('colour', 'red'),
        'E_NOT_FOUND',
        /Setting "colour" does not exist/,
      );
      await assertFails(inventory.resetSetting('colour'), 'E_NOT_FOUND', /"colour"/);
      await assertFails(inventory.setSetting('http_port', 'eighty'), 'E_INVALID', /"eighty"/);
      await assertFails(inventory.setSetting('default_virt_type', 'bhyve'), 'E_INVALID', /"bhyve"/);
      await assertFails(inventory.setSetting('server', INHERIT), 'E_INVALID', /cannot be "<<inherit>>"/);
      assert.equal((await inventory.settings()).http_port, 80);
    });
  });
});

describe('Inventory views', () => {
  it('renders a system on a sub-profile for koan', async () => {
    await withInventory(async (inventory) => {
      await inventory.edit('profile', 'web', {
        kernel_options: 'foo=1 bar=3 not-wanted',
        autoinstall_meta: 'tree=http://@@http_server@@/cblr/links/rhel9',
        virt_bridge: 'br0',
      });
      await inventory.add('profile', { name: 'web-sub', parent: 'web', kernel_options: '!not-wanted bar=2' });
      await inventory.add('system', { name: 'vm1', profile: 'web-sub', mac: '52:54:00:00:00:01' });
      const rendered = await inventory.rendered('system', 'vm1');
      assert.equal(rendered.kernel_options, 'foo=1 bar=2');
      assert.equal(rendered.profile, 'web-sub');
      assert.equal(rendered.distro, 'rhel9');
      assert.equal(rendered.kickstart, 'default.ks');
      assert.deepEqual(rendered.autoinstall_meta, { tree: 'http://127.0.0.1/cblr/links/rhel9' });
      const interfaces = rendered.interfaces as Record<string, Record<string, unknown>>;
      assert.equal(interfaces.default?.virt_bridge, 'br0');
      await assertFails(inventory.rendered('system', 'nope'), 'E_NOT_FOUND', /"nope"/);
    });
  });

  it('blends and renders a repo with its own fields over the settings', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('repo', {
        name: 'extras',
        mirror: 'http://mirror.example/extras',
        priority: 10,
        rpm_list: 'httpd mod_ssl',
      });
      const view = await inventory.blended('repo', 'extras');
      assert.equal(view.name, 'extras');
      assert.equal(view.mirror, 'http://mirror.example/extras');
      assert.equal(view.priority, 10);
      assert.deepEqual(view.owners, ['admin']);
      const rendered = await inventory.rendered('repo', 'extras');
      assert.equal(rendered.name, 'extras');
      assert.equal(rendered.rpm_list, 'httpd mod_ssl');
    });
  });

  it('shows a distro on its own', async () => {
    await withInventory(async (inventory) => {
      await inventory.edit('distro', 'rhel9', { kernel_options: 'inst.text' });
      const rendered = await inventory.rendered('distro', 'rhel9');
      assert.equal(rendered.name, 'rhel9');
      assert.equal(rendered.distro_name, 'rhel9');
      assert.equal(rendered.kernel, '/srv/rhel9/vmlinuz');
      assert.equal(rendered.kernel_options, 'inst.text');
      assert.equal(rendered.profile_name, '');
    });
  });
});
