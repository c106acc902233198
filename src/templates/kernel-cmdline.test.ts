import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildKernelCommandLine, usesLegacyKs } from './kernel-cmdline.js';
import { templateVariables } from './variables.js';

const base = {
  http_server: '192.0.2.1',
  autoinstall: 'default.ks',
  kernel_options: { quiet: null },
  autoinstall_meta: { tree: 'http://@@http_server@@/cblr/links/rhel9' },
};

describe('installer kernel command line', () => {
  it('uses inst.ks= for current Red Hat releases and ks= up to RHEL 6 and Fedora 16', () => {
    const current = buildKernelCommandLine(
      {
        ...base,
        breed: 'redhat',
        os_version: 'rhel9',
        autoinstall_meta: { tree: 'http://192.0.2.1/cblr/links/rhel9' },
      },
      { kind: 'system', name: 'vm9' },
    );
    assert.equal(
      current.options,
      'inst.ks.sendmac inst.ks=http://192.0.2.1/cblr/svc/op/autoinstall/system/vm9 inst.repo=http://192.0.2.1/cblr/links/rhel9 quiet',
    );
    const legacy = buildKernelCommandLine(
      { ...base, breed: 'redhat', os_version: 'rhel5' },
      { kind: 'profile', name: 'rhel5-xen' },
    );
    assert.equal(
      legacy.options,
      'kssendmac ks=http://192.0.2.1/cblr/svc/op/autoinstall/profile/rhel5-xen quiet',
    );
    assert.deepEqual(
      [usesLegacyKs('rhel6'), usesLegacyKs('rhel7'), usesLegacyKs('fedora16'), usesLegacyKs('fedora17')],
      [true, false, true, false],
    );
  });

  it('gives debian-installer its preseed, hostname and domain', () => {
    const line = buildKernelCommandLine(
      { ...base, breed: 'debian', os_version: 'bookworm', hostname: 'vm9.example.org', kernel_options: {} },
      { kind: 'system', name: 'vm9' },
    );
    assert.equal(
      line.options,
      'auto-install/enable=true priority=critical netcfg/choose_interface=auto url=http://192.0.2.1/cblr/svc/op/autoinstall/system/vm9 hostname=vm9 domain=example.org suite=bookworm',
    );
  });

  it('points SUSE at its AutoYaST file, lets the user override keys, and adds the serial console', () => {
    const line = buildKernelCommandLine(
      {
        ...base,
        breed: 'suse',
        kernel_options: { autoyast: 'http://198.51.100.5/x.xml' },
        serial_device: '1',
        serial_baud_rate: '9600',
      },
      { kind: 'system', name: 'vm9' },
    );
    assert.equal(line.options, 'autoyast=http://198.51.100.5/x.xml console=ttyS1,9600');
  });

  it('warns when the line is longer than boot loaders or Linux accept', () => {
    const long = { ...base, breed: 'redhat', os_version: 'rhel9', kernel_options: { pad: 'x'.repeat(1100) } };
    assert.match(
      buildKernelCommandLine(long, { kind: 'system', name: 'vm9' }).warnings[0] ?? '',
      /some boot loaders cut lines over 1023/,
    );
    const longer = { ...long, kernel_options: { pad: 'x'.repeat(2100) } };
    assert.match(
      buildKernelCommandLine(longer, { kind: 'system', name: 'vm9' }).warnings[0] ?? '',
      /over the Linux limit of 2048/,
    );
  });
});

describe('template variables', () => {
  it('puts autoinstall_meta keys at the top level with @@ substitution and kernel options as text', () => {
    const variables = templateVariables(
      {
        ...base,
        breed: 'redhat',
        os_version: 'rhel9',
        kernel_options_post: { nomodeset: null },
        repo_data: [{ name: 'epel', mirror: 'http://198.51.100.9/epel', mirror_locally: false }],
      },
      { kind: 'system', name: 'vm9' },
    );
    assert.equal(variables.tree, 'http://192.0.2.1/cblr/links/rhel9');
    assert.equal(variables.kernel_options, 'quiet');
    assert.equal(variables.kernel_options_post, 'nomodeset');
    assert.equal(variables.yum_repo_stanza, 'repo --name=epel --baseurl=http://198.51.100.9/epel');
    assert.match(String(variables.yum_config_stanza), /\/cblr\/svc\/op\/yum\/system\/vm9/);
    assert.deepEqual(variables.interfaces, {});
  });
});
