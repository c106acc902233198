// The two ways libvirt writes a boot order (domain XML format, "BIOS bootloader" and "Specifying boot order"),
// each rewritten to boot the network first. The interop test (test/interop/redfish-bmc.test.ts) has a real
// libvirtd take the result; these pin down the text.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstBootDevice, withFirstBootDevice } from './libvirt-boot-order.js';

const osForm = `<domain type='qemu'>
  <name>vm9</name>
  <os>
    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
    <boot dev='hd'/>
    <boot dev='cdrom'/>
  </os>
  <devices>
    <interface type='bridge'>
      <source bridge='br0'/>
    </interface>
  </devices>
</domain>
`;

const deviceForm = `<domain type='qemu'>
  <os>
    <type arch='x86_64'>hvm</type>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/var/lib/vm9.img'/>
      <boot order='1'/>
    </disk>
    <disk type='file' device='cdrom'>
      <boot order='2'/>
    </disk>
    <interface type='network'>
      <source network='default'/>
    </interface>
  </devices>
</domain>
`;

describe('withFirstBootDevice', () => {
  it('puts the network first among the <os> boot lines and keeps the others in their order', () => {
    const rewritten = withFirstBootDevice(osForm, 'network');
    assert.equal(
      rewritten,
      osForm.replace(
        "    <boot dev='hd'/>\n    <boot dev='cdrom'/>\n",
        "    <boot dev='network'/>\n    <boot dev='hd'/>\n    <boot dev='cdrom'/>\n",
      ),
    );
    assert.equal(firstBootDevice(rewritten), 'network');
    assert.equal(firstBootDevice(osForm), 'hd');
  });

  it('gives the device boot order 1 and moves the ones before it down a place', () => {
    const rewritten = withFirstBootDevice(deviceForm, 'network');
    assert.match(
      rewritten,
      /<interface type='network'>\s*<source network='default'\/>\s*<boot order='1'\/>\s*<\/interface>/,
    );
    assert.match(rewritten, /device='disk'>\s*<source file='\/var\/lib\/vm9.img'\/>\s*<boot order='2'\/>/);
    assert.match(rewritten, /device='cdrom'>\s*<boot order='3'\/>/);
    assert.equal(firstBootDevice(rewritten), 'network');
    assert.equal(firstBootDevice(withFirstBootDevice(rewritten, 'hd')), 'hd');
  });

  it('says what is missing when there is no device to boot first', () => {
    assert.throws(
      () => withFirstBootDevice(deviceForm.replace(/<interface[\s\S]*<\/interface>\n/, ''), 'network'),
      /The domain has no network interface to boot from first\./,
    );
  });
});
