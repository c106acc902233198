// The libvirt XML koan writes for the seed's command line
//   koan --server=S --virt --system=vm9 --virt-name=vm9 --virt-type=xenpv --virt-path=... --vm-poll
// pinned by golden files (src/koan/golden/; UPDATE_GOLDEN=1 rewrites them after a deliberate change), checked
// against libvirt's own schema with virt-xml-validate and accepted by `virsh define` on libvirt's test driver.
// Needs the Debian packages libvirt-clients and libxml2-utils.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../test/support/temp-dir.js';
import { domainXml, type VirtType, virtTypes } from './domain-xml.js';
import { kernelArgs, readInstallData } from './install-data.js';
import { domainSpecFor } from './koan.js';
import type { DiskSpec } from './storage.js';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');

/** What a bootwright server answers get_system_as_rendered('vm9') with, for a system made as the seed makes it. */
export const seedSystem = {
  name: 'vm9',
  profile: 'rhel9-x86_64',
  distro: 'rhel9-x86_64',
  arch: 'x86_64',
  breed: 'redhat',
  os_version: 'rhel9',
  http_server: '192.0.2.1',
  kickstart: 'default.ks',
  autoinstall: 'default.ks',
  autoinstall_meta: { tree: 'http://192.0.2.1/cblr/links/rhel9-x86_64' },
  kernel: '/srv/bootwright/distros/rhel9-x86_64/images/pxeboot/vmlinuz',
  initrd: '/srv/bootwright/distros/rhel9-x86_64/images/pxeboot/initrd.img',
  kernel_options: 'console=ttyS0,115200',
  virt_ram: 1024,
  virt_cpus: 2,
  virt_file_size: 10,
  virt_disk_driver: 'raw',
  virt_type: 'xenpv',
  virt_path: '',
  virt_bridge: 'xenbr0',
  virt_auto_boot: true,
  virt_pxe_boot: false,
  hostname: 'vm9.example.org',
  interfaces: {
    eth0: {
      mac_address: '00:16:3e:5a:c1:09',
      ip_address: '192.0.2.9',
      virt_bridge: 'xenbr0',
      interface_type: 'na',
    },
  },
};

function seedXml(virtType: VirtType, phase: 'install' | 'installed'): string {
  const install = readInstallData(seedSystem, 'system', 'vm9');
  const disks: DiskSpec[] = [
    {
      type: 'file',
      path: '/var/lib/xen/images/vm9-disk0',
      sizeGiB: 10,
      format: 'raw',
      create: true,
      nativeIo: false,
    },
  ];
  const spec = domainSpecFor({
    name: 'vm9',
    uuid: '6c1f2b0e-1d9a-4c53-9a51-0b7d2a6e4f09',
    virtType,
    arch: 'x86_64',
    install,
    disks,
    options: { graphics: 'vnc' },
    boot: {
      kernel: '/var/lib/bootwright/koan/vmlinuz',
      initrd: '/var/lib/bootwright/koan/initrd.img',
      cmdline: kernelArgs(install),
    },
    pygrub: '/usr/bin/pygrub',
  });
  return domainXml(spec, phase);
}

function checkGolden(name: string, actual: string): void {
  const path = join(goldenDir, name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${name} differs from its golden file`);
}

describe('koan domain XML', () => {
  for (const virtType of virtTypes) {
    for (const phase of ['install', 'installed'] as const) {
      it(`${virtType} ${phase} definition matches its golden file, libvirt's schema and virsh define`, (t: TestContext) => {
        const xml = seedXml(virtType, phase);
        checkGolden(`vm9-${virtType}-${phase}.xml`, xml);
        const file = join(tempDir(t), 'domain.xml');
        writeFileSync(file, xml);
        execFileSync('virt-xml-validate', [file, 'domain'], { stdio: 'pipe' });
        const defined = execFileSync('virsh', ['-c', 'test:///default', 'define', file], {
          encoding: 'utf8',
        });
        assert.match(defined, /Domain 'vm9' defined/);
      });
    }
  }

  it('boots the installer with the kickstart URL, and the installed system from its disk', () => {
    const install = seedXml('xenpv', 'install');
    assert.match(install, /<kernel>\/var\/lib\/bootwright\/koan\/vmlinuz<\/kernel>/);
    assert.match(
      install,
      /<cmdline>inst\.ks=http:\/\/192\.0\.2\.1\/cblr\/svc\/op\/ks\/system\/vm9 console=ttyS0,115200<\/cmdline>/,
    );
    assert.match(install, /<on_reboot>destroy<\/on_reboot>/);
    assert.match(install, /<acpi\/>/);
    const installed = seedXml('xenpv', 'installed');
    assert.match(installed, /<bootloader>\/usr\/bin\/pygrub<\/bootloader>/);
    assert.doesNotMatch(installed, /<kernel>/);
    assert.match(installed, /<on_reboot>restart<\/on_reboot>/);
    for (const type of ['qemu', 'kvm', 'xenfv'] as const) {
      const hvm = seedXml(type, 'installed');
      assert.match(hvm, /<boot dev='hd'\/>/);
      assert.doesNotMatch(hvm, /<kernel>|<bootloader>/);
    }
  });

  it('gives each NIC its bridge and MAC and the VM a VNC console on an automatic port', () => {
    const xml = seedXml('qemu', 'install');
    assert.match(
      xml,
      /<mac address='00:16:3e:5a:c1:09'\/>\s*<source bridge='xenbr0'\/>\s*<model type='virtio'\/>/,
    );
    assert.match(xml, /<graphics type='vnc' port='-1' autoport='yes'\/>/);
    assert.match(xml, /<domain type='qemu'>/);
    assert.match(seedXml('kvm', 'install'), /<domain type='kvm'>/);
    assert.match(seedXml('xenpv', 'install'), /<domain type='xen'>[\s\S]*machine='xenpv'>linux</);
  });

  it('boots an image from its ISO during the install only', (t: TestContext) => {
    const spec = domainSpecFor({
      name: 'win1',
      uuid: '6c1f2b0e-1d9a-4c53-9a51-0b7d2a6e4f0a',
      virtType: 'qemu',
      arch: 'x86_64',
      install: readInstallData({ ...seedSystem, name: 'win1' }, 'image', 'win1'),
      disks: [],
      options: { graphics: 'vnc' },
      boot: { cdrom: '/srv/iso/installer.iso' },
    });
    const install = domainXml(spec, 'install');
    assert.match(install, /<boot dev='cdrom'\/>\s*<boot dev='hd'\/>/);
    assert.match(
      install,
      /<disk type='file' device='cdrom'>[\s\S]*<source file='\/srv\/iso\/installer\.iso'\/>/,
    );
    assert.doesNotMatch(domainXml(spec, 'installed'), /cdrom/);
    const file = join(tempDir(t), 'domain.xml');
    writeFileSync(file, install);
    execFileSync('virt-xml-validate', [file, 'domain'], { stdio: 'pipe' });
  });

  it('escapes what the server sends, so a value cannot add XML', () => {
    const spec = domainSpecFor({
      name: 'vm9',
      uuid: '6c1f2b0e-1d9a-4c53-9a51-0b7d2a6e4f09',
      virtType: 'qemu',
      arch: 'x86_64',
      install: readInstallData({ ...seedSystem, kernel_options: "x='</cmdline><evil/>'" }, 'system', 'vm9'),
      disks: [],
      options: { graphics: 'none' },
      boot: { kernel: '/k', initrd: '/i', cmdline: "x='</cmdline><evil/>'" },
    });
    const xml = domainXml(spec, 'install');
    assert.doesNotMatch(xml, /<evil\/>/);
    assert.match(xml, /&lt;\/cmdline&gt;&lt;evil\/&gt;/);
  });
});
