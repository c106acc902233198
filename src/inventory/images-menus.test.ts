// Cobbler 3.3's image and menu kinds in the inventory: image defaults and file rules as in cobbler/items/image.py,
// systems on an image instead of a profile, blending through an image and its parents, menus that nest without
// loops and that let go of their profiles and images when removed, and the mgmtclass/package/file kinds' rules.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INHERIT } from '../model/kinds.js';
import { assertFails, withInventory } from './inventory.fixture.js';

describe('Image objects', () => {
  it("start from Cobbler 3.3's defaults and refuse what Cobbler's file setter refuses", async () => {
    await withInventory(async (inventory) => {
      const image = await inventory.add('image', { name: 'win', file: '/srv/iso/win.iso' });
      assert.equal(image.fields.image_type, 'direct');
      assert.equal(image.fields.arch, 'x86_64');
      assert.equal(image.fields.network_count, 0);
      assert.equal(image.fields.virt_cpus, 1);
      assert.equal(image.fields.virt_disk_driver, 'raw');
      assert.equal(image.fields.virt_ram, INHERIT);
      assert.equal(image.fields.menu, '');

      for (const file of ['nfs1:/exports/w.iso', 'koan@nfs1:/exports/w.iso', 'u:pw@nfs1:/exports/w.iso']) {
        const edited = await inventory.edit('image', 'win', { file });
        assert.equal(edited.fields.file, file);
      }
      const refusals: [string, RegExp][] = [
        ['http://198.51.100.7/w.iso', /it is a URL, and images are files or NFS exports/],
        ['w.iso', /the path is not absolute/],
        ['koan@:/exports/w.iso', /a user needs a host/],
        ['nfs1:exports/w.iso', /the path is not absolute/],
        ['/srv/iso/', /it names a directory, not a file/],
      ];
      for (const [file, reason] of refusals) {
        await assertFails(inventory.edit('image', 'win', { file }), 'E_INVALID', reason);
      }
      await assertFails(
        inventory.edit('image', 'win', { image_type: 'floppy' }),
        'E_INVALID',
        /--image-type "floppy" is not one of: direct, iso, memdisk, virt-clone\./,
      );
      await assertFails(
        inventory.add('image', { name: 'nofile' }),
        'E_INVALID',
        /^Image "nofile" needs --file\.$/,
      );
      await assertFails(
        inventory.edit('image', 'win', { menu: 'nosuch' }),
        'E_NOT_FOUND',
        /Image "win": menu "nosuch" does not exist/,
      );
    });
  });

  it('carry systems: exactly one of profile and image, and giving one drops the other', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('image', { name: 'win', file: '/srv/iso/win.iso', image_type: 'iso' });
      const system = await inventory.add('system', { name: 'w1', image: 'win', mac: '52:54:00:00:01:01' });
      assert.equal(system.fields.image, 'win');
      assert.equal(system.fields.profile, '');
      await assertFails(
        inventory.add('system', { name: 'w2', image: 'win', profile: 'web' }),
        'E_INVALID',
        /^System "w2" has both --profile and --image; give one/,
      );
      await assertFails(
        inventory.add('system', { name: 'w3' }),
        'E_INVALID',
        /^System "w3" needs --profile=NAME or --image=NAME/,
      );
      const onProfile = await inventory.edit('system', 'w1', { profile: 'web' });
      assert.deepEqual([onProfile.fields.profile, onProfile.fields.image], ['web', '']);
      const backOnImage = await inventory.edit('system', 'w1', { image: 'win' });
      assert.deepEqual([backOnImage.fields.profile, backOnImage.fields.image], ['', 'win']);

      await assertFails(
        inventory.remove('image', 'win'),
        'E_IN_USE',
        /Cannot remove image "win": system "w1" depends on it/,
      );
      const renamed = await inventory.rename('image', 'win', 'win2022');
      assert.equal(renamed.name, 'win2022');
      assert.equal((await inventory.get('system', 'w1')).fields.image, 'win2022');
      const removed = await inventory.remove('image', 'win2022', { recursive: true });
      assert.deepEqual(removed.map((ref) => `${ref.kind} ${ref.name}`).sort(), [
        'image win2022',
        'system w1',
      ]);
    });
  });

  it('blend a system on an image as Cobbler does: image, then parent images, then settings; distro N/A', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('image', { name: 'base', file: '/srv/iso/base.iso', virt_ram: 2048, kopts: 'a=1' });
      await inventory.add('image', { name: 'child', parent: 'base', file: '/srv/iso/c.iso', kopts: 'b=2' });
      await inventory.add('system', { name: 'w1', image: 'child', virt_cpus: 4 });
      const view = await inventory.blended('system', 'w1');
      assert.equal(view.virt_ram, 2048, 'from the parent image');
      assert.equal(view.virt_cpus, 4, 'the system wins');
      assert.equal(view.virt_file_size, '5', 'from the settings');
      assert.equal(view.file, '/srv/iso/c.iso');
      assert.deepEqual(view.kernel_options, { a: '1', b: '2' });
      assert.equal(view.distro_name, 'N/A');
      assert.equal(view.image_name, 'child');
      assert.equal(view.profile_name, '');

      const rendered = await inventory.rendered('image', 'child');
      assert.equal(rendered.file, '/srv/iso/c.iso');
      assert.equal(rendered.virt_ram, 2048);
      assert.equal(rendered.image_name, 'child');
      assert.equal(rendered.kernel_options, 'a=1 b=2');
      assert.ok(!JSON.stringify(rendered).includes(INHERIT));

      await assertFails(
        inventory.edit('image', 'base', { parent: 'child' }),
        'E_INVALID',
        /Image "base" cannot have parent "child": that would make a loop/,
      );
    });
  });
});

describe('Menu objects', () => {
  it('nest without loops, hold profiles and images, and let them go when removed', async () => {
    await withInventory(async (inventory) => {
      await inventory.add('menu', { name: 'linux', display_name: 'Linux installs' });
      await inventory.add('menu', { name: 'rhel', parent: 'linux' });
      await assertFails(
        inventory.edit('menu', 'linux', { parent: 'rhel' }),
        'E_INVALID',
        /Menu "linux" cannot have parent "rhel": that would make a loop/,
      );
      await assertFails(
        inventory.add('menu', { name: 'bad', display_name: 'two\nlines' }),
        'E_INVALID',
        /--display-name "two\\nlines" contains control characters/,
      );
      await inventory.edit('profile', 'web', { menu: 'rhel' });
      await inventory.add('image', {
        name: 'tools',
        file: '/srv/tools.img',
        menu: 'rhel',
        image_type: 'memdisk',
      });

      await inventory.rename('menu', 'rhel', 'rhel-family');
      assert.equal((await inventory.get('profile', 'web')).fields.menu, 'rhel-family');
      await assertFails(
        inventory.remove('menu', 'linux'),
        'E_IN_USE',
        /Cannot remove menu "linux": menu "rhel-family" depends on it/,
      );
      const removed = await inventory.remove('menu', 'linux', { recursive: true });
      assert.deepEqual(removed.map((ref) => `${ref.kind} ${ref.name}`).sort(), [
        'menu linux',
        'menu rhel-family',
      ]);
      assert.equal(
        (await inventory.get('profile', 'web')).fields.menu,
        '',
        'the profile moves to the top menu',
      );
      assert.equal((await inventory.get('image', 'tools')).fields.menu, '');
    });
  });
});

describe('Cobbler 3.3 management kinds', () => {
  it('keep mgmtclasses, packages and files with the rules Cobbler checks', async () => {
    await withInventory(async (inventory) => {
      const klass = await inventory.add('mgmtclass', { name: 'web', packages: 'nginx', params: 'port=80' });
      assert.deepEqual(klass.fields.packages, ['nginx']);
      assert.deepEqual(klass.fields.params, { port: '80' });
      const pkg = await inventory.add('package', { name: 'nginx', installer: 'yum', version: '1.24' });
      assert.equal(pkg.fields.action, 'create');
      await assertFails(
        inventory.add('package', { name: 'x', action: 'purge' }),
        'E_INVALID',
        /--action "purge" is not one of: create, remove\./,
      );
      await assertFails(
        inventory.add('file', { name: 'motd', path: '/etc/motd', owner: 'root', group: 'root' }),
        'E_INVALID',
        /^File "motd" needs --mode\.$/,
      );
      await assertFails(
        inventory.add('file', {
          name: 'motd',
          path: '/etc/motd',
          owner: 'root',
          group: 'root',
          mode: '0644',
        }),
        'E_INVALID',
        /^File "motd" needs --template, unless it is a directory/,
      );
      const dir = await inventory.add('file', {
        name: 'etc',
        path: '/etc/app',
        owner: 'root',
        group: 'root',
        mode: '0755',
        is_dir: true,
      });
      assert.equal(dir.fields.is_dir, true);
    });
  });
});
