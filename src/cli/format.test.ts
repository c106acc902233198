import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interfaceFields } from '../model/fields.js';
import type { InventoryObject, NetworkInterface } from '../model/kinds.js';
import {
  fieldLabel,
  formatDumpvars,
  formatJson,
  formatReport,
  formatReports,
  formatSettings,
  formatValue,
} from './format.js';

const distro: InventoryObject = {
  kind: 'distro',
  name: 'rhel9',
  uid: 'u1',
  ctime: 1,
  mtime: 2,
  fields: {
    kernel: '/srv/rhel9/vmlinuz',
    initrd: '/srv/rhel9/initrd.img',
    arch: 'x86_64',
    breed: 'redhat',
    os_version: 'rhel9',
    boot_loaders: '<<inherit>>',
    remote_boot_kernel: '',
    remote_boot_initrd: '',
    redhat_management_key: '',
    comment: 'lab',
    owners: ['admin', 'ops'],
    kernel_options: { console: 'ttyS0,115200', quiet: null, 'inst.ks': 'http://x/ks cfg' },
    kernel_options_post: {},
    autoinstall_meta: { tree: 'http://@@http_server@@/cblr/links/rhel9' },
    mgmt_classes: [],
    mgmt_parameters: { from_cobbler: true },
    template_files: {},
    boot_files: {},
    fetchable_files: {},
  },
};

describe('formatValue', () => {
  it('prints values the way they are typed back in', () => {
    assert.equal(formatValue({ a: '1', b: null, c: ['x', 'y'] }), 'a=1 b c=x c=y');
    assert.equal(formatValue(['192.0.2.1', '192.0.2.2']), '192.0.2.1 192.0.2.2');
    assert.equal(formatValue('<<inherit>>'), '<<inherit>>');
    assert.equal(formatValue(true), 'True');
    assert.equal(formatValue(false), 'False');
    assert.equal(formatValue(512), '512');
    assert.equal(formatValue(null), '');
    assert.equal(formatValue({}), '');
    assert.equal(formatValue([]), '');
  });

  it('falls back to JSON for what text cannot hold', () => {
    assert.equal(formatValue({ from_cobbler: true }), '{"from_cobbler":true}');
    assert.equal(formatValue([{ name: 'r' }]), '[{"name":"r"}]');
  });
});

describe('fieldLabel', () => {
  it('reads like Cobbler report labels', () => {
    assert.equal(fieldLabel('kernel_options'), 'Kernel Options');
    assert.equal(fieldLabel('mac_address'), 'MAC Address');
    assert.equal(fieldLabel('ipv6_default_gateway'), 'IPv6 Default Gateway');
    assert.equal(fieldLabel('virt_ram'), 'Virt RAM');
    assert.equal(fieldLabel('if_gateway'), 'Interface Gateway');
  });
});

describe('formatReport', () => {
  it('prints a distro in Cobbler layout, field table order', () => {
    assert.equal(
      formatReport(distro),
      [
        'Name                           : rhel9',
        'Kernel                         : /srv/rhel9/vmlinuz',
        'Initrd                         : /srv/rhel9/initrd.img',
        'Arch                           : x86_64',
        'Breed                          : redhat',
        'OS Version                     : rhel9',
        'Boot Loaders                   : <<inherit>>',
        'Remote Boot Kernel             : ',
        'Remote Boot Initrd             : ',
        'Red Hat Management Key         : ',
        'Tree Source                    : ',
        'Comment                        : lab',
        'Owners                         : admin ops',
        "Kernel Options                 : console=ttyS0,115200 quiet 'inst.ks=http://x/ks cfg'",
        'Kernel Options Post            : ',
        'Autoinstall Meta               : tree=http://@@http_server@@/cblr/links/rhel9',
        'Management Classes             : ',
        'Management Parameters          : {"from_cobbler":true}',
        'Template Files                 : ',
        'Boot Files                     : ',
        'Fetchable Files                : ',
        '',
      ].join('\n'),
    );
  });

  it("follows a system's fields with one block per interface", () => {
    const iface = Object.fromEntries(
      interfaceFields.map((field) => [field.name, field.default]),
    ) as unknown as NetworkInterface;
    const system: InventoryObject = {
      kind: 'system',
      name: 'vm9',
      uid: 'u2',
      ctime: 1,
      mtime: 1,
      fields: { profile: 'p', hostname: 'vm9' },
      interfaces: {
        eth0: { ...iface, mac_address: '52:54:00:00:00:09', ip_address: '192.0.2.9', static: true },
        eth1: { ...iface, cnames: ['www', 'ftp'] },
      },
    };
    const lines = formatReport(system).split('\n');
    const eth0 = lines.indexOf('Interface =====                : eth0');
    const eth1 = lines.indexOf('Interface =====                : eth1');
    assert.ok(eth0 > lines.indexOf('Hostname                       : vm9'));
    assert.deepEqual(lines.slice(eth0 + 1, eth0 + 3), [
      'MAC Address                    : 52:54:00:00:00:09',
      'IP Address                     : 192.0.2.9',
    ]);
    assert.ok(lines.slice(eth0, eth1).includes('Static                         : True'));
    assert.ok(lines.slice(eth1).includes('CNAMEs                         : www ftp'));
    assert.equal(eth1 - eth0, interfaceFields.length + 1);
  });

  it('separates objects with a blank line', () => {
    const two = formatReports([distro, { ...distro, name: 'rhel8' }]);
    const [first, second, ...rest] = two.split('\n\n');
    assert.equal(`${first}\n`, formatReport(distro));
    assert.ok(second?.startsWith('Name                           : rhel8\n'));
    assert.deepEqual(rest, []);
  });
});

describe('formatDumpvars', () => {
  it('prints sorted key : value lines', () => {
    assert.equal(
      formatDumpvars({
        virt_ram: 512,
        kernel_options: { foo: '1', bar: '2' },
        name_servers: ['a', 'b'],
        name: 'x',
      }),
      'kernel_options : foo=1 bar=2\nname : x\nname_servers : a b\nvirt_ram : 512\n',
    );
  });
});

describe('formatSettings and formatJson', () => {
  it('prints settings under their own names', () => {
    assert.equal(
      formatSettings({ server: '192.0.2.1', pxe_just_once: true }),
      'server                         : 192.0.2.1\npxe_just_once                  : True\n',
    );
  });

  it('prints indented JSON ending in a newline', () => {
    assert.equal(formatJson(['a']), '[\n  "a"\n]\n');
  });
});
