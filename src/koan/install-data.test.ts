// How koan reads a server's rendered data: Koan's rules (koan-wire.md) with its pitfalls fixed, checked on the
// answer a Cobbler 3.3 server gives (src/koan/fixtures/), which carries each pitfall.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseMethodResponse } from '../xmlrpc/codec.js';
import {
  kernelArgs,
  parseDiskSizes,
  type RenderedData,
  readInstallData,
  staticInterfaceArgs,
  treeFromKickstart,
  treeOf,
} from './install-data.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'cobbler-3.3-system-vm9.xml');

function cobblerAnswer(): RenderedData {
  const answer = parseMethodResponse(readFileSync(fixture, 'utf8'));
  assert.ok(answer.ok);
  return answer.value as RenderedData;
}

describe('koan install data', () => {
  it("reads a Cobbler 3.3 answer without Koan's pitfalls", () => {
    const data = cobblerAnswer();
    const install = readInstallData(data, 'system', 'vm9');
    // 5.0 is five gigabytes, not Koan's fallback of one.
    assert.deepEqual(install.diskSizesGiB, [5]);
    // `<<inherit>>` is the profile's bridge, not a bridge named "<<inherit>>"; the VLAN gets no NIC of its own.
    assert.deepEqual(install.nics, [{ name: 'default', bridge: 'xenbr0', mac: 'aa:bb:cc:dd:ee:09' }]);
    assert.equal(install.autoinstallUrl, 'http://198.51.100.7/cblr/svc/op/ks/system/vm9');
    assert.equal(
      install.kernelUrl,
      'http://198.51.100.7/cobbler/images/centos7-x86_64/vmlinuz',
      'a server path becomes /cobbler/images/DISTRO/BASENAME',
    );
    assert.equal(install.initrdUrl, 'http://198.51.100.7/cobbler/images/centos7-x86_64/initrd.img');
    // A flattened autoinstall_meta string still gives the tree, with @@http_server@@ filled in.
    assert.equal(treeOf(data), 'http://198.51.100.7/cblr/links/centos7-x86_64');
    assert.equal(
      kernelArgs(install),
      'inst.ks=http://198.51.100.7/cblr/svc/op/ks/system/vm9 ksdevice=link lang=',
      'bootif becomes link and a bare lang gets a value, as Koan rewrites them',
    );
  });

  it('treats "~", "" and "<<inherit>>" as unset and uses the defaults', () => {
    const install = readInstallData(
      { name: 'p', http_server: 'h', virt_ram: '~', virt_cpus: '', virt_file_size: '~', virt_bridge: 'br0' },
      'profile',
      'p',
    );
    assert.equal(install.ramMiB, 512);
    assert.equal(install.vcpus, 1);
    assert.deepEqual(install.diskSizesGiB, [5]);
    assert.deepEqual(install.nics, [{ name: '', bridge: 'br0' }]);
    assert.equal(install.autoinstallUrl, 'http://h/cblr/svc/op/ks/profile/p');
  });

  it('keeps sizes per disk, raises RAM under 64 MB, and names a bad value with its field', () => {
    assert.deepEqual(parseDiskSizes('5,10'), [5, 10]);
    assert.deepEqual(parseDiskSizes(7.5), [7.5]);
    assert.equal(readInstallData({ name: 'p', http_server: 'h', virt_ram: 16 }, 'profile', 'p').ramMiB, 64);
    assert.throws(
      () => readInstallData({ name: 'p', http_server: 'h', virt_ram: 'lots' }, 'profile', 'p'),
      /virt_ram is "lots", not a positive number/,
    );
    assert.throws(() => parseDiskSizes('5,big'), /virt_file_size "5,big" is not a list of sizes/);
    assert.throws(() => readInstallData({ name: 'p' }, 'profile', 'p'), /without http_server/);
  });

  it('names the autoinstall file the way each installer reads it', () => {
    const base = { name: 's', http_server: 'h' };
    const args = (data: RenderedData) => kernelArgs(readInstallData({ ...base, ...data }, 'system', 's'));
    assert.equal(args({ breed: 'redhat', os_version: 'rhel6' }), 'ks=http://h/cblr/svc/op/ks/system/s');
    assert.equal(
      args({ breed: 'redhat', os_version: 'fedora38' }),
      'inst.ks=http://h/cblr/svc/op/ks/system/s',
    );
    assert.equal(args({ breed: 'suse' }), 'autoyast=http://h/cblr/svc/op/ks/system/s');
    assert.equal(
      args({ breed: 'debian' }),
      'auto-install/enable=true priority=critical url=http://h/cblr/svc/op/ks/system/s',
    );
    assert.equal(
      args({ breed: 'redhat', os_version: 'rhel9', autoinst: 'http://other/ks.cfg' }),
      'inst.ks=http://other/ks.cfg',
      'a full URL is used as given',
    );
    // --kopts wins over the server's options; a dict from an old server is read too.
    const install = readInstallData(
      { ...base, kernel_options: { quiet: '~', console: 'tty0' } },
      'system',
      's',
      {
        kopts: 'console=ttyS0',
      },
    );
    assert.equal(kernelArgs(install), 'inst.ks=http://h/cblr/svc/op/ks/system/s quiet console=ttyS0');
  });

  it("puts a static interface on the command line in each installer's syntax", () => {
    const data = { ...cobblerAnswer(), name_servers: '198.51.100.53' };
    const install = readInstallData(data, 'system', 'vm9');
    assert.deepEqual(staticInterfaceArgs(data, install, 'default'), {
      ip: '198.51.100.9::198.51.100.1:255.255.255.0:vm9.example.org:default:none',
      nameserver: ['198.51.100.53'],
    });
    const debian = readInstallData({ ...data, breed: 'debian' }, 'system', 'vm9');
    assert.equal(staticInterfaceArgs(data, debian, 'default')['netcfg/get_ipaddress'], '198.51.100.9');
    assert.throws(
      () => staticInterfaceArgs(data, install, 'eth7'),
      /no interface "eth7".*it has: default, default\.100/,
    );
    assert.throws(() => staticInterfaceArgs(data, install, 'default.100'), /has no ip_address/);
  });

  it("finds the tree in a kickstart's url or nfs line, as Koan does", () => {
    assert.equal(treeFromKickstart('text\nurl --url=http://h/t/\n'), 'http://h/t/');
    assert.equal(treeFromKickstart('url --proxy=x --url "http://h/t"'), 'http://h/t');
    assert.equal(treeFromKickstart('nfs --server=h --dir=/exports/t'), 'nfs://h/exports/t');
    assert.equal(treeFromKickstart('text\n'), undefined);
  });
});
