// Cobbler 3.3's image, menu, mgmtclass, package and file methods over XML-RPC, driven by Python's xmlrpc.client
// against a listening server as a Cobbler user's script would: the handle verbs, the reads, a system on an image and
// what koan reads of it. Method names are Cobbler's (remote.py, v3.3.7): get_mgmtclasses, not get_mgmtclasss.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { pythonXmlRpc } from '../../test/support/python-xmlrpc.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { setUserPassword } from '../auth/password.js';
import { dataPaths } from '../config/paths.js';
import { startServer } from '../serve.js';
import { UsersFile } from '../store/users-file.js';

async function server(t: TestContext): Promise<string> {
  const dataDir = tempDir(t);
  await setUserPassword(new UsersFile(dataPaths(dataDir).usersFile), 'cobbler', 'cobbler-pass');
  const running = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
  t.after(() => running.stop());
  return `http://127.0.0.1:${running.port}/cobbler_api`;
}

describe("Cobbler 3.3's image and menu methods with Python xmlrpc.client", () => {
  it('makes, reads, copies, renames and removes images and menus, and a system on an image', async (t) => {
    const url = await server(t);
    const out = await pythonXmlRpc(
      url,
      `
token = s.login('cobbler', 'cobbler-pass')
m = s.new_menu(token)
s.modify_menu(m, 'name', 'windows', token)
s.modify_menu(m, 'display_name', 'Windows installs', token)
s.save_menu(m, token)
h = s.new_image(token)
s.modify_image(h, 'name', 'win2022', token)
s.modify_image(h, 'file', '/srv/iso/win2022.iso', token)
s.modify_image(h, 'image_type', 'iso', token)
s.modify_image(h, 'breed', 'windows', token)
s.modify_image(h, 'virt_ram', 4096, token)
s.modify_image(h, 'virt_file_size', '40', token)
s.modify_image(h, 'menu', 'windows', token)
s.save_image(h, token)
e = s.get_image_handle('win2022', token)
s.modify_image(e, 'comment', 'Windows Server 2022', token)
s.save_image(e, token)
sy = s.new_system(token)
s.modify_system(sy, 'name', 'w1', token)
s.modify_system(sy, 'image', 'win2022', token)
s.modify_system(sy, 'modify_interface', {'macaddress-eth0': '52:54:00:00:02:01'}, token)
s.save_system(sy, token)
image = s.get_image('win2022')
rendered = s.get_image_as_rendered('win2022')
system = s.get_system_as_rendered('w1')
c = s.get_image_handle('win2022', token)
s.copy_image(c, 'win2022-copy', token)
r = s.get_image_handle('win2022-copy', token)
s.rename_image(r, 'win2022-eval', token)
out = {
  'images': sorted(x['name'] for x in s.get_images()),
  'menus': [x['name'] for x in s.get_menus()],
  'menu': s.get_menu('windows')['display_name'],
  'image': {k: image[k] for k in ('name', 'file', 'image_type', 'breed', 'arch', 'menu', 'comment', 'virt_ram', 'network_count')},
  'found': s.find_image({'image_type': 'iso'}),
  'has': [s.has_image('win2022'), s.has_image('nosuch')],
  'missing': s.get_image('nosuch'),
  'item': s.get_item('image', 'win2022')['file'],
  'items': sorted(x['name'] for x in s.get_items('menu')),
  'rendered': {k: rendered[k] for k in ('name', 'file', 'image_type', 'virt_ram', 'virt_file_size', 'distro_name', 'image_name')},
  'system': {k: system[k] for k in ('name', 'image', 'profile', 'file', 'image_type', 'virt_ram', 'distro_name')},
  'both': fault(lambda: s.xapi_object_edit('system', 'w2', 'add', {'profile': 'p', 'image': 'win2022'}, token)),
  'orphan': fault(lambda: s.remove_image('win2022', token, False)),
  'bad_file': fault(lambda: s.xapi_object_edit('image', 'x', 'add', {'file': 'nfs://h/x.iso'}, token)),
  'bad_type': fault(lambda: s.xapi_object_edit('image', 'x', 'add', {'file': '/x.iso', 'image_type': 'floppy'}, token)),
}
s.remove_image('win2022', token)
s.remove_menu('windows', token)
out['after_remove'] = {
  'images': [x['name'] for x in s.get_images()],
  'systems': [x['name'] for x in s.get_systems()],
  'menus': s.get_menus(),
  'eval_menu': s.get_image('win2022-eval')['menu'],
}
`,
    );
    assert.deepEqual(out.images, ['win2022', 'win2022-eval']);
    assert.deepEqual(out.menus, ['windows']);
    assert.equal(out.menu, 'Windows installs');
    assert.deepEqual(out.image, {
      name: 'win2022',
      file: '/srv/iso/win2022.iso',
      image_type: 'iso',
      breed: 'windows',
      arch: 'x86_64',
      menu: 'windows',
      comment: 'Windows Server 2022',
      virt_ram: 4096,
      network_count: 0,
    });
    assert.deepEqual(out.found.sort(), ['win2022', 'win2022-eval']);
    assert.deepEqual(out.has, [true, false]);
    assert.equal(out.missing, '~', 'Cobbler answers "~" for an object it does not have');
    assert.equal(out.item, '/srv/iso/win2022.iso');
    assert.deepEqual(out.items, ['windows']);
    assert.deepEqual(out.rendered, {
      name: 'win2022',
      file: '/srv/iso/win2022.iso',
      image_type: 'iso',
      virt_ram: 4096,
      virt_file_size: 40,
      distro_name: 'N/A',
      image_name: 'win2022',
    });
    assert.deepEqual(out.system, {
      name: 'w1',
      image: 'win2022',
      profile: '',
      file: '/srv/iso/win2022.iso',
      image_type: 'iso',
      virt_ram: 4096,
      distro_name: 'N/A',
    });
    assert.match(out.both, /System "w2" has both --profile and --image/);
    assert.match(out.orphan, /Cannot remove image "win2022": system "w1" depends on it/);
    assert.match(out.bad_file, /it is a URL, and images are files or NFS exports/);
    assert.match(out.bad_type, /"floppy" is not one of: direct, iso, memdisk, virt-clone/);
    // Cobbler's remove_image is recursive unless told otherwise: the system on it goes too.
    assert.deepEqual(out.after_remove, {
      images: ['win2022-eval'],
      systems: [],
      menus: [],
      eval_menu: '',
    });
  });

  it("answers Cobbler's plural for management classes, and keeps packages and files", async (t) => {
    const url = await server(t);
    const out = await pythonXmlRpc(
      url,
      `
token = s.login('cobbler', 'cobbler-pass')
s.xapi_object_edit('package', 'nginx', 'add', {'installer': 'yum', 'version': '1.24'}, token)
s.xapi_object_edit('file', 'motd', 'add', {'path': '/etc/motd', 'owner': 'root', 'group': 'root', 'mode': '0644', 'template': 'motd.template'}, token)
h = s.new_mgmtclass(token)
s.modify_mgmtclass(h, 'name', 'web', token)
s.modify_mgmtclass(h, 'packages', ['nginx'], token)
s.modify_mgmtclass(h, 'files', 'motd', token)
s.save_mgmtclass(h, token)
out = {
  'classes': [(x['name'], x['packages'], x['files']) for x in s.get_mgmtclasses()],
  'packages': [(x['name'], x['action'], x['version']) for x in s.get_packages()],
  'files': [(x['name'], x['path'], x['mode']) for x in s.get_files()],
  'file_rule': fault(lambda: s.xapi_object_edit('file', 'x', 'add', {'path': '/x', 'owner': 'r', 'group': 'r', 'mode': '0600'}, token)),
}
`,
    );
    assert.deepEqual(out.classes, [['web', ['nginx'], ['motd']]]);
    assert.deepEqual(out.packages, [['nginx', 'create', '1.24']]);
    assert.deepEqual(out.files, [['motd', '/etc/motd', '0644']]);
    assert.match(out.file_rule, /File "x" needs --template, unless it is a directory/);
  });
});
