// The built-in library (library/templates, snippets, scripts) rendered the way installers receive it: from a real
// SQLite inventory, strictly (an undefined variable is an error), then checked for what a user would notice on
// the console of the machine being installed. The shell the templates produce is run with sh where it can be.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { makeBootFiles } from '../../test/support/boot-files.js';
import { serveTestRoots } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { Inventory } from '../inventory/inventory.js';
import { openStore } from '../store/open-store.js';
import { checkAutoyast, checkCloudConfig, checkKickstart, checkPreseed } from './format-checks.js';
import type { AutoinstallTarget } from './install-urls.js';
import { builtinLibraryDir, TemplateLibrary } from './library.js';
import { AutoinstallRenderer } from './render.js';

interface Machine {
  distro: string;
  breed: string;
  template: string;
  check: (text: string) => string[];
  /** The static interface's address; the second interface asks DHCP. */
  ip: string;
  staticMac: string;
  dhcpMac: string;
}

const machines: Machine[] = (
  [
    { distro: 'rhel9', breed: 'redhat', template: 'default.ks', check: (text) => checkKickstart(text) },
    { distro: 'rhel6', breed: 'redhat', template: 'legacy.ks', check: (text) => checkKickstart(text) },
    {
      distro: 'rhel5',
      breed: 'redhat',
      template: 'legacy.ks',
      check: (text) => checkKickstart(text, { sectionEnd: 'forbidden' }),
    },
    { distro: 'bookworm', breed: 'debian', template: 'default.seed', check: checkPreseed },
    { distro: 'noble', breed: 'ubuntu', template: 'ubuntu-autoinstall.yaml', check: checkCloudConfig },
    { distro: 'sles15', breed: 'suse', template: 'autoyast.xml', check: checkAutoyast },
  ] satisfies Omit<Machine, 'ip' | 'staticMac' | 'dhcpMac'>[]
).map((machine, index) => ({
  ...machine,
  ip: `192.0.2.${10 + index}`,
  staticMac: `52:54:00:00:00:${String(10 + index)}`,
  dhcpMac: `52:54:00:00:01:${String(10 + index)}`,
}));

const httpServer = '192.0.2.1:8080';
const systemOf = (machine: Machine) => `${machine.distro}-vm`;
const profileOf = (machine: Machine) => `${machine.distro}-base`;

interface Fixture {
  inventory: Inventory;
  renderer: AutoinstallRenderer;
  library: TemplateLibrary;
  dir: string;
}

/** A SQLite inventory with a distro, a profile and a system per machine; the system powers off when done. */
async function fixture(context: TestContext, settings: Record<string, unknown> = {}): Promise<Fixture> {
  const dir = tempDir(context);
  const store = openStore(`sqlite:${join(dir, 'store.db')}`);
  context.after(() => store.close());
  const inventory = new Inventory(store);
  await serveTestRoots(inventory);
  await inventory.setSetting('server', '192.0.2.1');
  await inventory.setSetting('http_port', 8080);
  for (const [name, value] of Object.entries(settings)) await inventory.setSetting(name, value);
  for (const machine of machines) {
    const files = makeBootFiles(join(dir, machine.distro), 'linux', 'initrd');
    await inventory.add('distro', {
      name: machine.distro,
      kernel: files.kernel,
      initrd: files.initrd,
      breed: machine.breed,
      os_version: machine.distro,
      autoinstall_meta: `tree=http://@@http_server@@/cblr/links/${machine.distro}`,
    });
    await inventory.add('profile', {
      name: profileOf(machine),
      distro: machine.distro,
      autoinstall: machine.template,
      name_servers: ['192.0.2.53'],
      name_servers_search: ['example.org'],
    });
    await inventory.add('system', {
      name: systemOf(machine),
      profile: profileOf(machine),
      hostname: `${machine.distro}-vm.example.org`,
      gateway: '192.0.2.1',
      autoinstall_meta: 'install_finish=poweroff',
      interfaces: {
        eth0: {
          mac_address: machine.staticMac,
          ip_address: machine.ip,
          netmask: '255.255.255.0',
          if_gateway: '192.0.2.254',
          dns_name: `${machine.distro}-vm.example.org`,
          static: true,
        },
        eth1: { mac_address: machine.dhcpMac },
      },
    });
  }
  const library = new TemplateLibrary(join(dir, 'user-library'));
  return { inventory, renderer: new AutoinstallRenderer(inventory, library), library, dir };
}

async function render(fixture: Fixture, target: AutoinstallTarget): Promise<string> {
  const rendered = await fixture.renderer.autoinstall(target, { strict: true });
  assert.deepEqual(rendered.problems, []);
  return rendered.text;
}

/** Names the templates read or #set; none of them may reach an installer as `$name`. */
async function assertNoTemplateVariables(fixture: Fixture, target: AutoinstallTarget, text: string) {
  const own = [
    'SNIPPET',
    'getVar',
    'fqdn',
    'short_name',
    'domain',
    'fetch',
    'rc_local',
    'section_end',
    'mirror_host',
    'nameservers',
    'dns_servers',
    'dns_search',
    'mask_bits',
    'prefix',
    'gw',
  ];
  const names = [...Object.keys(await fixture.renderer.variables(target)), ...own];
  for (const name of names) {
    assert.doesNotMatch(text, new RegExp(`\\$\\{?${name}\\b`), `"$${name}" was left in the output`);
  }
}

/** The body of a kickstart section, up to its %end (or, on RHEL 5, the next section). */
function section(kickstart: string, header: string): string {
  const lines = kickstart.split('\n');
  const start = lines.findIndex((line) => line === header || line.startsWith(`${header} `));
  assert.notEqual(start, -1, `the kickstart has a ${header} section`);
  const end = lines.findIndex((line, index) => index > start && /^%(end|pre|post|packages)\b/.test(line));
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** `sh -n`: the shell the installer runs parses, heredocs and quotes included. */
function assertShellParses(script: string, what: string): void {
  try {
    execFileSync('sh', ['-n'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    assert.fail(`${what} does not parse as shell: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
}

function trig(mode: string, kind: string, name: string): string {
  return `http://${httpServer}/cblr/svc/op/trig/mode/${mode}/${kind}/${name}`;
}

function nopxe(name: string): string {
  return `http://${httpServer}/cblr/svc/op/nopxe/system/${name}`;
}

describe('the built-in library', () => {
  it('starts every file with a ## comment that says what it is for', () => {
    for (const kind of ['templates', 'snippets', 'scripts']) {
      for (const file of readdirSync(join(builtinLibraryDir, kind))) {
        const first = readFileSync(join(builtinLibraryDir, kind, file), 'utf8').split('\n')[0] ?? '';
        assert.match(first, new RegExp(`^## ${file.replaceAll('.', '\\.')}: \\S`), `${kind}/${file}`);
      }
    }
  });

  for (const machine of machines) {
    it(`renders ${machine.template} for a ${machine.distro} system and profile that pass the ${machine.breed} checks`, async (context) => {
      const f = await fixture(context);
      for (const target of [
        { kind: 'system', name: systemOf(machine) },
        { kind: 'profile', name: profileOf(machine) },
      ] as const) {
        const text = await render(f, target);
        assert.deepEqual(machine.check(text), [], `${target.kind} ${target.name}:\n${text}`);
        await assertNoTemplateVariables(f, target, text);
        if (machine.breed !== 'debian') assert.ok(text.includes(trig('pre', target.kind, target.name)), text);
      }
    });
  }
});

describe('kickstarts', () => {
  const rhel9 = machines[0] as Machine;

  it('configure the static NIC in %pre and include it in the commands', async (context) => {
    const f = await fixture(context);
    const text = await render(f, { kind: 'system', name: 'rhel9-vm' });
    const pre = section(text, '%pre');
    assert.match(pre, /--bootproto=static --ip=192\.0\.2\.10 --netmask=255\.255\.255\.0/);
    assert.match(pre, /--gateway=192\.0\.2\.254/);
    assert.match(pre, /52:54:00:00:00:10/);
    assert.match(text, /^%include \/tmp\/pre_install_network_config$/m);
    assertShellParses(pre, '%pre');
    assertShellParses(section(text, '%post'), '%post');
  });

  it('give a profile DHCP and no NIC script', async (context) => {
    const f = await fixture(context);
    const text = await render(f, { kind: 'profile', name: 'rhel9-base' });
    assert.match(text, /^network --bootproto=dhcp$/m);
    assert.doesNotMatch(text, /pre_install_network_config|nopxe/);
  });

  it('report start and end, turning netboot off for a system only', async (context) => {
    const f = await fixture(context);
    const system = await render(f, { kind: 'system', name: 'rhel9-vm' });
    assert.ok(
      section(system, '%pre').includes(`curl -s -o /dev/null "${trig('pre', 'system', 'rhel9-vm')}"`),
    );
    const post = section(system, '%post');
    assert.ok(post.includes(`curl -s -o /dev/null "${nopxe('rhel9-vm')}"`), post);
    assert.ok(post.indexOf(nopxe('rhel9-vm')) < post.indexOf(trig('post', 'system', 'rhel9-vm')), post);
    const profile = await render(f, { kind: 'profile', name: 'rhel9-base' });
    assert.ok(profile.includes(trig('post', 'profile', 'rhel9-base')));
  });

  it('leave out trigger and nopxe calls when the settings turn them off', async (context) => {
    const f = await fixture(context, { run_install_triggers: false, pxe_just_once: false });
    const text = await render(f, { kind: 'system', name: 'rhel9-vm' });
    assert.doesNotMatch(text, /\/cblr\/svc\/op\/(trig|nopxe)\//);
  });

  it('power off when autoinstall_meta says install_finish=poweroff, and reboot otherwise', async (context) => {
    const f = await fixture(context);
    for (const template of ['default.ks', 'legacy.ks']) {
      const machine = machines.find((candidate) => candidate.template === template) as Machine;
      const commands = (text: string) => text.slice(0, text.indexOf('%packages'));
      const system = commands(await render(f, { kind: 'system', name: systemOf(machine) }));
      assert.match(system, /^poweroff$/m);
      assert.doesNotMatch(system, /^reboot$/m);
      const profile = commands(await render(f, { kind: 'profile', name: profileOf(machine) }));
      assert.match(profile, /^reboot$/m);
      assert.doesNotMatch(profile, /^poweroff$/m);
    }
  });

  it('run puppet once from rc.local on first boot when puppet_auto_setup is on', async (context) => {
    const off = await fixture(context);
    assert.doesNotMatch(await render(off, { kind: 'system', name: 'rhel9-vm' }), /puppet/);
    const f = await fixture(context, { puppet_auto_setup: true, puppet_server: 'puppet.example.org' });
    const text = await render(f, { kind: 'system', name: 'rhel9-vm' });
    assert.match(section(text, '%packages'), /^puppet$/m);
    const post = section(text, '%post');
    assert.match(post, /^cat >> \/etc\/rc\.d\/rc\.local <<'BOOTWRIGHT_EOF'$/m);
    assert.match(post, /^puppet agent --test --waitforcert 60 --server puppet\.example\.org$/m);
    assert.ok(post.includes(`curl -s -o /dev/null "${trig('firstboot', 'system', 'rhel9-vm')}"`), post);
    assert.match(post, /^chmod \+x \/etc\/rc\.d\/rc\.local$/m);
    assertShellParses(post, '%post');
  });

  it('add kernel_options_post with grubby', async (context) => {
    const f = await fixture(context);
    await f.inventory.edit('profile', 'rhel9-base', { kernel_options_post: 'console=ttyS0,115200 quiet' });
    const text = await render(f, { kind: 'system', name: 'rhel9-vm' });
    assert.match(section(text, '%post'), /^grubby --update-kernel=ALL --args="console=ttyS0,115200 quiet"$/m);
  });

  it('skip the installation number on RHEL 5 only and end sections as each anaconda wants', async (context) => {
    const f = await fixture(context);
    const rhel5 = await render(f, { kind: 'system', name: 'rhel5-vm' });
    assert.match(rhel5, /^key --skip$/m);
    assert.doesNotMatch(rhel5, /^%end/m);
    const rhel6 = await render(f, { kind: 'system', name: 'rhel6-vm' });
    assert.doesNotMatch(rhel6, /^key /m);
    assert.equal(rhel6.match(/^%end$/gm)?.length, 3);
  });

  it('write network lines that anaconda takes, for the NICs found by MAC, when %pre runs', async (context) => {
    const f = await fixture(context);
    const target = { kind: 'system', name: systemOf(rhel9) } as const;
    const snippet = f.library.snippet('pre_install_network_config', {});
    assert.ok(snippet);
    const script = f.renderer.renderFile(snippet, await f.renderer.variables(target), target, {
      strict: true,
    });
    const bin = join(f.dir, 'bin');
    mkdirSync(bin);
    // What `ip -o link` prints in the installer: one line per link, with "\" where the detail line was.
    writeFileSync(
      join(bin, 'ip'),
      `#!/bin/sh
cat <<'EOF'
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: enp1s0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\\    link/ether 52:54:00:00:00:10 brd ff:ff:ff:ff:ff:ff
3: enp2s0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/ether 52:54:00:00:01:10 brd ff:ff:ff:ff:ff:ff
EOF
`,
    );
    chmodSync(join(bin, 'ip'), 0o755);
    const output = join(f.dir, 'pre_install_network_config');
    execFileSync('sh', ['-c', script.text.replaceAll('/tmp/pre_install_network_config', output)], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    const lines = readFileSync(output, 'utf8');
    assert.equal(
      lines,
      'network --device=enp1s0 --bootproto=static --ip=192.0.2.10 --netmask=255.255.255.0 --gateway=192.0.2.254 --nameserver=192.0.2.53 --hostname=rhel9-vm.example.org --onboot=yes\n' +
        'network --device=enp2s0 --bootproto=dhcp --hostname=rhel9-vm.example.org --onboot=yes\n',
    );
    assert.deepEqual(checkKickstart(`text\n${lines}`), []);
  });
});

describe('the Debian preseed', () => {
  const bookworm = machines[3] as Machine;
  const lateScriptUrl = `http://${httpServer}/cblr/svc/op/script/system/bookworm-vm?script=preseed_late_default`;

  it('takes the mirror from the tree, the password hash and the host name', async (context) => {
    const f = await fixture(context);
    const text = await render(f, { kind: 'system', name: 'bookworm-vm' });
    assert.match(text, new RegExp(`^d-i mirror/http/hostname string ${httpServer}$`, 'm'));
    assert.match(text, /^d-i mirror\/http\/directory string \/cblr\/links\/bookworm$/m);
    assert.match(
      text,
      /^d-i passwd\/root-password-crypted password \$1\$mF86\/UHC\$WvcIcX2t6crBz2onWxyac\.$/m,
    );
    assert.match(text, /^d-i netcfg\/hostname string bookworm-vm$/m);
    assert.match(text, /^d-i netcfg\/get_domain string example\.org$/m);
  });

  it('reports the start early and fetches the late script', async (context) => {
    const f = await fixture(context);
    const text = await render(f, { kind: 'system', name: 'bookworm-vm' });
    assert.ok(
      text.includes(
        `d-i preseed/early_command string wget -q -O /dev/null "${trig('pre', 'system', 'bookworm-vm')}" || true`,
      ),
    );
    assert.ok(
      text.includes(`wget -q -O /tmp/bootwright-late.sh "${lateScriptUrl}" && sh /tmp/bootwright-late.sh`),
    );
  });

  it('powers off when install_finish=poweroff, and reboots otherwise', async (context) => {
    const f = await fixture(context);
    const poweroff = /^d-i debian-installer\/exit\/poweroff boolean true$/m;
    assert.match(await render(f, { kind: 'system', name: 'bookworm-vm' }), poweroff);
    assert.doesNotMatch(await render(f, { kind: 'profile', name: 'bookworm-base' }), poweroff);
  });

  it('has a late script that parses, reports the end and turns netboot off', async (context) => {
    const f = await fixture(context, { puppet_auto_setup: true });
    const script = await f.renderer.script({ kind: 'system', name: 'bookworm-vm' }, 'preseed_late_default');
    assert.deepEqual(script.problems, []);
    assert.match(script.text, /^#!\/bin\/sh$/m);
    assert.ok(script.text.includes(`wget -q -O /dev/null "${nopxe('bookworm-vm')}" || true`));
    assert.ok(
      script.text.includes(`wget -q -O /dev/null "${trig('post', 'system', 'bookworm-vm')}" || true`),
    );
    assert.match(script.text, /^cat >> \/etc\/rc\.local <<'BOOTWRIGHT_EOF'$/m);
    assertShellParses(script.text, 'preseed_late_default');
  });

  it('writes /etc/network/interfaces for the NICs found by MAC', async (context) => {
    const f = await fixture(context);
    const target = { kind: 'system', name: systemOf(bookworm) } as const;
    const snippet = f.library.snippet('post_install_network_config_deb', {});
    assert.ok(snippet);
    const script = f.renderer.renderFile(snippet, await f.renderer.variables(target), target, {
      strict: true,
    });
    const sys = join(f.dir, 'sys');
    const root = join(f.dir, 'target');
    for (const [nic, mac] of [
      ['ens3', bookworm.staticMac],
      ['ens4', bookworm.dhcpMac],
      ['lo', '00:00:00:00:00:00'],
    ] as const) {
      mkdirSync(join(sys, nic), { recursive: true });
      writeFileSync(join(sys, nic, 'address'), `${mac}\n`);
    }
    mkdirSync(join(root, 'etc', 'network'), { recursive: true });
    execFileSync('sh', ['-c', script.text.replaceAll('/sys/class/net', sys).replaceAll('/target', root)]);
    const interfaces = readFileSync(join(root, 'etc', 'network', 'interfaces'), 'utf8');
    assert.match(
      interfaces,
      /^auto ens3\niface ens3 inet static\n {4}address 192\.0\.2\.13\n {4}netmask 255\.255\.255\.0\n {4}gateway 192\.0\.2\.254\n/m,
    );
    assert.match(interfaces, /^allow-hotplug ens4\niface ens4 inet dhcp$/m);
    assert.equal(readFileSync(join(root, 'etc', 'hostname'), 'utf8'), 'bookworm-vm\n');
    assert.equal(
      readFileSync(join(root, 'etc', 'resolv.conf'), 'utf8'),
      'nameserver 192.0.2.53\nsearch example.org\n',
    );
  });
});

describe('the Ubuntu autoinstall', () => {
  it('gives netplan the static address with its prefix, DHCP for the other NIC, and the end of the install', async (context) => {
    const f = await fixture(context);
    const text = await render(f, { kind: 'system', name: 'noble-vm' });
    assert.match(
      text,
      /^ {6}eth0:\n {8}match:\n {10}macaddress: '52:54:00:00:00:14'\n {8}addresses:\n {10}- 192\.0\.2\.14\/24$/m,
    );
    assert.match(text, /^ {6}eth1:\n {8}match:\n {10}macaddress: '52:54:00:00:01:14'\n {8}dhcp4: true$/m);
    assert.match(text, /^ {4}hostname: noble-vm$/m);
    assert.ok(text.includes(`- curl -s -o /dev/null ${nopxe('noble-vm')} || true`));
    assert.ok(text.includes(`- curl -s -o /dev/null ${trig('post', 'system', 'noble-vm')} || true`));
    assert.match(text, /^ {2}shutdown: poweroff$/m);
    assert.match(await render(f, { kind: 'profile', name: 'noble-base' }), /^ {2}shutdown: reboot$/m);
  });

  it('runs puppet on first boot through cloud-init when puppet_auto_setup is on', async (context) => {
    const f = await fixture(context, { puppet_auto_setup: true, puppet_server: 'puppet.example.org' });
    const text = await render(f, { kind: 'system', name: 'noble-vm' });
    assert.deepEqual(checkCloudConfig(text), []);
    assert.match(text, /puppet agent --test --waitforcert 60 --server puppet\.example\.org/);
    assert.ok(text.includes(trig('firstboot', 'system', 'noble-vm')));
  });
});

describe('the AutoYaST profile', () => {
  it('pins NICs by MAC, halts when install_finish=poweroff, and reports the end before the first reboot', async (context) => {
    const f = await fixture(context);
    const text = await render(f, { kind: 'system', name: 'sles15-vm' });
    assert.match(
      text,
      /<name>eth0<\/name>\s*<startmode>auto<\/startmode>\s*<bootproto>static<\/bootproto>\s*<ipaddr>192\.0\.2\.15<\/ipaddr>/,
    );
    assert.match(
      text,
      /<name>eth0<\/name>\s*<rule>ATTR\{address\}<\/rule>\s*<value>52:54:00:00:00:15<\/value>/,
    );
    assert.match(text, /<final_halt config:type="boolean">true<\/final_halt>/);
    const chrootScripts = text.slice(text.indexOf('<chroot-scripts'), text.indexOf('</chroot-scripts>'));
    assert.ok(chrootScripts.includes(nopxe('sles15-vm')), chrootScripts);
    assert.ok(chrootScripts.includes(trig('post', 'system', 'sles15-vm')), chrootScripts);
    for (const [, source] of text.matchAll(/<source><!\[CDATA\[([\s\S]*?)\]\]><\/source>/g)) {
      assertShellParses(source ?? '', 'an AutoYaST script');
    }
    const profile = await render(f, { kind: 'profile', name: 'sles15-base' });
    assert.match(profile, /<final_reboot config:type="boolean">true<\/final_reboot>/);
    assert.match(profile, /<keep_install_network config:type="boolean">true<\/keep_install_network>/);
  });
});
