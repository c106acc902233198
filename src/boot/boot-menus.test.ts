// The boot menus grouped by Cobbler 3.3's menu objects, as its tftpgen and boot_loader_conf/*_submenu.template lay
// them out: each menu's own submenus first, then its profiles and images; pxelinux nests MENU BEGIN/MENU END,
// GRUB nests `submenu` blocks (checked with GRUB's own grub-script-check), iPXE chains `menu` sections. Plus images
// in the menus and systems on an image: memdisk boots through syslinux's memdisk, iso images are koan's.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { serveTestRoots } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { Inventory } from '../inventory/inventory.js';
import { openStore } from '../store/open-store.js';
import { BootFiles } from './boot-files.js';
import { ipxeLoader } from './loaders/ipxe.js';
import { imageFileRoute } from './tftp-routes.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

async function setup(t: TestContext) {
  const dir = tempDir(t);
  const store = openStore(`sqlite:${dir}/store.sqlite`);
  t.after(() => store.close());
  const inventory = new Inventory(store);
  await serveTestRoots(inventory);
  await inventory.setSetting('server', '192.0.2.1');
  await inventory.setSetting('next_server', '192.0.2.1');
  await inventory.add('distro', {
    name: 'rhel9',
    kernel: bootFiles.kernel,
    initrd: bootFiles.initrd,
  });
  await inventory.add('menu', { name: 'linux', display_name: 'Linux installs' });
  await inventory.add('menu', { name: 'rhel', parent: 'linux', display_name: 'RHEL family' });
  await inventory.add('menu', { name: 'tools' });
  await inventory.add('profile', { name: 'plain', distro: 'rhel9' });
  await inventory.add('profile', { name: 'rhel9-web', distro: 'rhel9', menu: 'rhel' });
  await inventory.add('profile', { name: 'debian-ish', distro: 'rhel9', menu: 'linux' });
  const memtest = join(dir, 'memtest.img');
  writeFileSync(memtest, 'a floppy image');
  await inventory.add('image', { name: 'memtest', file: memtest, image_type: 'memdisk', menu: 'tools' });
  await inventory.add('image', { name: 'win', file: join(dir, 'win.iso'), image_type: 'iso' });
  writeFileSync(join(dir, 'win.iso'), 'an iso');
  return { inventory, boot: new BootFiles(inventory) };
}

interface PxelinuxLevel {
  title?: string;
  labels: string[];
  menus: Record<string, PxelinuxLevel>;
}

/** Reads the nesting of a pxelinux menu the way menu.c32 does: MENU BEGIN opens a level, MENU END closes it. */
function pxelinuxTree(text: string): PxelinuxLevel {
  const root: PxelinuxLevel = { labels: [], menus: {} };
  const stack = [root];
  for (const line of text.split('\n').map((raw) => raw.trim())) {
    const top = stack.at(-1) as PxelinuxLevel;
    const begin = /^MENU BEGIN (\S+)$/.exec(line);
    if (begin) {
      const level: PxelinuxLevel = { labels: [], menus: {} };
      top.menus[begin[1] as string] = level;
      stack.push(level);
    } else if (line === 'MENU END') stack.pop();
    else if (line.startsWith('MENU TITLE ')) top.title = line.slice('MENU TITLE '.length);
    else if (line.startsWith('LABEL ')) top.labels.push(line.slice('LABEL '.length));
  }
  assert.equal(stack.length, 0, 'every MENU BEGIN has its MENU END, and the menu ends with one');
  return root;
}

describe('boot menus grouped by menu objects', () => {
  it('nests pxelinux menus as menu.c32 reads them, with memdisk images and a way back up', async (t) => {
    const { boot } = await setup(t);
    const text = (await boot.configAt('pxelinux.cfg/default')) ?? '';
    const tree = pxelinuxTree(text);
    assert.deepEqual(Object.keys(tree.menus), ['linux', 'tools']);
    assert.deepEqual(tree.labels, ['local', 'plain'], 'the iso image is for koan, not the menu');
    const linux = tree.menus.linux as PxelinuxLevel;
    assert.equal(linux.title, 'Linux installs');
    assert.deepEqual(linux.labels, ['debian-ish', 'returnlinux']);
    assert.deepEqual(linux.menus.rhel, {
      title: 'RHEL family',
      labels: ['rhel9-web', 'returnrhel'],
      menus: {},
    });
    assert.deepEqual(tree.menus.tools?.labels, ['memtest', 'returntools']);
    assert.match(
      text,
      /\tLABEL memtest\n\t {2}MENU LABEL memtest\n\t {2}KERNEL \/memdisk\n\t {2}APPEND initrd=\/images2\/memtest\n/,
    );
    // Cobbler's pxe_submenu.template: the way back up closes each level, its lines one level in.
    assert.match(
      text,
      /\nLABEL returnlinux\n\tMENU LABEL Return to Linux installs menu\.\n\tMENU EXIT\nMENU END\n/,
    );
  });

  it('nests GRUB submenus that grub-script-check accepts, leaving BIOS-only memdisk images out', async (t) => {
    const { boot } = await setup(t);
    const text = (await boot.configAt('grub/grub.cfg')) ?? '';
    const file = join(tempDir(t), 'grub.cfg');
    writeFileSync(file, text);
    await promisify(execFile)('grub-script-check', [file]);
    assert.match(
      text,
      /submenu 'linux -> \[submenu\]' --class gnu-linux --class gnu --class os \{\n\tsubmenu 'rhel -> \[submenu\]' [^\n]*\{\n\t\tmenuentry 'rhel9-web' [\s\S]*?\n\t\}\n\tmenuentry 'debian-ish'/,
    );
    assert.doesNotMatch(text, /submenu 'tools/, 'a menu with only a memdisk image has nothing for GRUB');
    assert.doesNotMatch(text, /memdisk/);
    assert.match(text, /\nmenuentry 'plain' /);
  });

  it('chains iPXE menus whose every goto lands on a label', async (t) => {
    const { boot } = await setup(t);
    const text = await boot.menuConfig(ipxeLoader);
    const labels = new Set([...text.matchAll(/^:(\S+)$/gm)].map((match) => match[1]));
    const targets = [...text.matchAll(/goto (\S+)/g)]
      .map((match) => match[1])
      .filter((target) => target !== '${target}');
    const items = [...text.matchAll(/^item (?!--gap)(\S+)/gm)].map((match) => match[1]);
    for (const target of [...targets, ...items]) assert.ok(labels.has(target), `label :${target} exists`);
    assert.match(
      text,
      /^#!ipxe\n:top\nmenu bootwright\nitem local \(local\)\nitem menu-linux Linux installs\nitem menu-tools tools\nitem plain plain\n/,
    );
    assert.match(
      text,
      /\n:menu-linux\nmenu Linux installs\nitem menu-rhel RHEL family\nitem debian-ish debian-ish\n/,
    );
    assert.match(
      text,
      /\n:menu-rhel\nmenu RHEL family\nitem rhel9-web rhel9-web\nitem --gap\nitem menu-linux Return/,
    );
    assert.match(
      text,
      /\n:memtest\nkernel tftp:\/\/192\.0\.2\.1\/memdisk initrd=memtest\ninitrd tftp:\/\/192\.0\.2\.1\/images2\/memtest\nboot\n/,
    );
  });

  it('boots a system on a memdisk image through memdisk, serves the image over TFTP, and leaves iso systems to koan', async (t) => {
    const { inventory, boot } = await setup(t);
    await inventory.add('system', { name: 'bios1', image: 'memtest', mac: '52:54:00:00:04:01' });
    await inventory.add('system', { name: 'vm-win', image: 'win', mac: '52:54:00:00:04:02' });
    const bios = (await boot.configAt('pxelinux.cfg/01-52-54-00-00-04-01')) ?? '';
    assert.match(
      bios,
      /^DEFAULT bios1\n[\s\S]*\n {2}KERNEL \/memdisk\n {2}APPEND initrd=\/images2\/memtest\n/,
    );
    const win = (await boot.configAt('pxelinux.cfg/01-52-54-00-00-04-02')) ?? '';
    assert.match(win, /^DEFAULT local\n/);

    const served = await imageFileRoute(boot).resolve('images2/memtest', { address: '192.0.2.9', port: 1 });
    assert.ok(served && 'read' in served);
    assert.equal((await served.read(0, served.size)).toString(), 'a floppy image');
    await served.close?.();
    assert.equal(
      await imageFileRoute(boot).resolve('images2/nosuch', { address: '192.0.2.9', port: 1 }),
      undefined,
    );
  });
});
