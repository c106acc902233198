import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blend } from '../model/blend.js';
import { INHERIT } from '../model/kinds.js';
import { assertFails, freshPath, rhel9Files, withInventory } from './inventory.fixture.js';

describe('Inventory settings', () => {
  it('overrides a setting, uses it in views, and resets it to the default', async () => {
    await withInventory(async (inventory) => {
      assert.equal((await inventory.settings()).http_port, 80);
      // The settings handed out are the caller's own, lists included.
      const mine = await inventory.settings();
      mine.http_port = 1;
      (mine.default_ownership as string[]).push('mallory');
      assert.equal((await inventory.settings()).http_port, 80);
      assert.deepEqual((await inventory.settings()).default_ownership, ['admin']);
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
      assert.equal(rendered.kernel, rhel9Files().kernel);
      assert.equal(rendered.kernel_options, 'inst.text');
      assert.equal(rendered.profile_name, '');
    });
  });
});

describe('Inventory resolution', () => {
  it('blends a system from the remembered stack of its parents exactly as from its whole lineage', async () => {
    await withInventory(async (inventory) => {
      await inventory.setSetting('default_name_servers', '192.0.2.53');
      await inventory.add('repo', { name: 'extras', mirror: 'http://mirror.example/extras', priority: 10 });
      await inventory.edit('profile', 'web', {
        kernel_options: 'a=1 b=2',
        name_servers: '192.0.2.1',
        boot_loaders: 'pxe grub',
        virt_bridge: 'br0',
        autoinstall_meta: 'tree=http://@@http_server@@/cblr/links/rhel9',
      });
      await inventory.add('profile', {
        name: 'web-sub',
        parent: 'web',
        kernel_options: '!a c=3',
        mgmt_classes: 'base',
        repos: 'extras',
      });
      await inventory.add('system', {
        name: 'vm1',
        profile: 'web-sub',
        kernel_options: 'd=4',
        owners: 'alice',
        name_servers: '192.0.2.2',
        interfaces: { eth0: { mac_address: '52:54:00:00:00:01' }, eth1: { virt_bridge: 'br1' } },
      });
      await inventory.add('system', { name: 'vm2', profile: 'web-sub', mac_address: '52:54:00:00:00:02' });
      await inventory.add('system', { name: 'vm3', profile: 'web' });

      const wholeLineage = async (name: string) =>
        blend(await inventory.lineage(await inventory.get('system', name)), await inventory.settings());
      for (const name of ['vm1', 'vm2', 'vm3', 'vm1', 'vm2']) {
        assert.deepEqual(await inventory.blended('system', name), await wholeLineage(name), name);
      }

      // A view is the caller's own: changing it, lists and dictionaries included, changes no later view.
      const changed = await inventory.blended('system', 'vm2');
      (changed.kernel_options as Record<string, unknown>).b = 'changed';
      (changed.name_servers as string[]).push('192.0.2.99');
      (changed.mgmt_classes as string[]).length = 0;
      // boot_loaders and repos the system inherits as they are: the same lists as in the remembered stack.
      (changed.boot_loaders as string[]).push('ipxe');
      (changed.repos as string[]).length = 0;
      assert.deepEqual(await inventory.blended('system', 'vm2'), await wholeLineage('vm2'));

      // Edits below a system show on its next view.
      await inventory.edit('profile', 'web', { kernel_options: 'a=1 b=3' });
      await inventory.setSetting('server', 'boot.example');
      const edited = await inventory.blended('system', 'vm2');
      assert.deepEqual(edited, await wholeLineage('vm2'));
      assert.equal((edited.kernel_options as Record<string, unknown>).b, '3');
      assert.equal(edited.http_server, 'boot.example');
    });
  });

  it("shows another process's edit of a system, its profile or a setting from the next turn on", async () => {
    const path = freshPath();
    await withInventory(async (server) => {
      await server.add('system', { name: 'vm1', profile: 'web', interfaces: { eth0: { mtu: '1500' } } });
      const first = await server.blended('system', 'vm1');
      // Changing a view given out, down to an interface, leaves the next one alone.
      ((first.interfaces as Record<string, Record<string, unknown>>).eth0 as Record<string, unknown>).mtu =
        '9000';
      first.hostname = 'changed';
      const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
      await withInventory(async (cli) => {
        await cli.edit('system', 'vm1', { comment: 'by the CLI' });
        await cli.edit('profile', 'web', { kernel_options: 'edited=1' });
        await cli.setSetting('server', 'boot.example');
      }, path);
      await nextTurn();
      const after = await server.blended('system', 'vm1');
      assert.equal(after.comment, 'by the CLI');
      assert.deepEqual(after.kernel_options, { edited: '1' });
      assert.equal(after.http_server, 'boot.example');
      assert.equal(after.hostname, '');
      assert.equal(after.mtu_eth0, '1500');
      assert.equal((after.interfaces as Record<string, Record<string, unknown>>).eth0?.mtu, '1500');
    }, path);
  });
});
