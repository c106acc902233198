import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstallEntry } from './boot-entry.js';
import { renderGrubMain, renderGrubSystem } from './grub.js';
import { renderIpxeMenu, renderIpxeSystem } from './ipxe.js';
import {
  ipFromPxelinuxName,
  macFromPxelinuxName,
  pxelinuxNameOfIp,
  pxelinuxNameOfMac,
  renderPxelinuxMenu,
  renderPxelinuxSystem,
} from './pxelinux.js';

const entry: InstallEntry = {
  label: 'vm9',
  kernelPath: '/images/rhel9/vmlinuz',
  initrdPath: '/images/rhel9/initrd.img',
  kernelUrl: 'http://192.0.2.1/cobbler/images/rhel9/vmlinuz',
  initrdUrl: 'http://192.0.2.1/cobbler/images/rhel9/initrd.img',
  options: 'inst.ks.sendmac inst.ks=http://192.0.2.1/cblr/svc/op/autoinstall/system/vm9 quiet',
  warnings: [],
};

describe('pxelinux', () => {
  it('boots the installer for a system with netboot on', () => {
    assert.equal(
      renderPxelinuxSystem({ kind: 'install', entry }),
      `DEFAULT vm9
PROMPT 0
TIMEOUT 1
ONTIMEOUT vm9
LABEL vm9
  MENU LABEL vm9
  KERNEL /images/rhel9/vmlinuz
  APPEND initrd=/images/rhel9/initrd.img inst.ks.sendmac inst.ks=http://192.0.2.1/cblr/svc/op/autoinstall/system/vm9 quiet
  IPAPPEND 2
`,
    );
  });

  it('boots the local disk when netboot is off, with the serial console first', () => {
    assert.equal(
      renderPxelinuxSystem({ kind: 'local' }, { device: 0, baud: 115200 }),
      `SERIAL 0 115200
DEFAULT local
PROMPT 0
TIMEOUT 0
TOTALTIMEOUT 0
ONTIMEOUT local
LABEL local
  MENU LABEL (local)
  LOCALBOOT -1
`,
    );
  });

  it('adds the serial console to the kernel line unless the options name one', () => {
    const text = renderPxelinuxSystem({ kind: 'install', entry }, { device: 1, baud: 9600 });
    assert.match(text, /^SERIAL 1 9600\n/);
    assert.match(text, /quiet console=ttyS1,9600\n/);
    const own = renderPxelinuxSystem(
      { kind: 'install', entry: { ...entry, options: 'console=tty0' } },
      { device: 1, baud: 9600 },
    );
    assert.doesNotMatch(own, /ttyS1/);
  });

  it('offers a menu with local boot first and default', () => {
    const text = renderPxelinuxMenu({ title: 'bootwright', entries: [{ ...entry, label: 'rhel9-x86_64' }] });
    assert.ok(text.indexOf('LABEL local') < text.indexOf('LABEL rhel9-x86_64'));
    assert.match(text, /ONTIMEOUT local\n/);
    assert.match(text, /LOCALBOOT -1\n {2}MENU DEFAULT\n/);
    const withDefault = renderPxelinuxMenu({
      title: 'x',
      entries: [{ ...entry, label: 'p1' }],
      timeoutLabel: 'p1',
    });
    assert.match(withDefault, /ONTIMEOUT p1\n/);
    assert.match(withDefault, /IPAPPEND 2\n {2}MENU DEFAULT\n/);
  });

  it('reads MACs and hex IPs from the names pxelinux asks for, and writes those names', () => {
    assert.equal(macFromPxelinuxName('01-52-54-00-AB-CD-EF'), '52:54:00:ab:cd:ef');
    assert.equal(macFromPxelinuxName('default'), undefined);
    assert.equal(ipFromPxelinuxName('C000020A'), '192.0.2.10');
    assert.equal(ipFromPxelinuxName('C00002'), undefined);
    assert.equal(pxelinuxNameOfMac('52:54:00:AB:CD:EF'), '01-52-54-00-ab-cd-ef');
    assert.equal(pxelinuxNameOfIp('192.0.2.10'), 'C000020A');
  });
});

describe('GRUB', () => {
  it('boots the installer with linux/initrd, never linuxefi', () => {
    const text = renderGrubSystem({ kind: 'install', entry });
    assert.equal(
      text,
      `set timeout=1
set default='vm9'
menuentry 'vm9' --class gnu-linux --class os {
  echo 'Loading vm9 ...'
  linux /images/rhel9/vmlinuz inst.ks.sendmac inst.ks=http://192.0.2.1/cblr/svc/op/autoinstall/system/vm9 quiet
  initrd /images/rhel9/initrd.img
}
`,
    );
  });

  it('hands a machine with netboot off back to the firmware', () => {
    assert.match(
      renderGrubSystem({ kind: 'local' }),
      /set default='Local disk'\nmenuentry 'Local disk' --class os \{\n {2}exit 1\n\}/,
    );
  });

  it('reads the per-MAC file from the shared grub.cfg', () => {
    const text = renderGrubMain([entry]);
    assert.match(text, /configfile "\$\{prefix\}\/system\/\$\{net_default_mac\}"/);
    assert.match(text, /menuentry 'vm9'/);
  });
});

describe('iPXE', () => {
  it('fetches kernel and initrd over HTTP', () => {
    assert.equal(
      renderIpxeSystem({ kind: 'install', entry }),
      `#!ipxe
kernel http://192.0.2.1/cobbler/images/rhel9/vmlinuz initrd=initrd.img inst.ks.sendmac inst.ks=http://192.0.2.1/cblr/svc/op/autoinstall/system/vm9 quiet
initrd http://192.0.2.1/cobbler/images/rhel9/initrd.img
boot
`,
    );
  });

  it('boots the local disk when netboot is off', () => {
    assert.equal(
      renderIpxeSystem({ kind: 'local' }),
      '#!ipxe\niseq ${platform} efi && exit ||\nsanboot --no-describe --drive 0x80\n',
    );
  });

  it('offers a menu that falls back to local boot', () => {
    const text = renderIpxeMenu('bootwright', [entry]);
    assert.match(text, /^#!ipxe\nmenu bootwright\nitem local \(local\)\nitem vm9 vm9\n/);
    assert.match(text, /--default local /);
    assert.match(text, /\n:vm9\nkernel http/);
  });
});
