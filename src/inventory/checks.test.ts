import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BootwrightError } from '../errors.js';
import { assertFails, withInventory } from './inventory.fixture.js';

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
