// `bootwright import-cobbler` on a Cobbler 3.3 site laid out as Cobbler writes it (fixtures/cobbler-3.3: one JSON
// file per object under var/lib/cobbler/collections/, as cobbler/modules/serializers/file.py writes them with
// serializer_pretty_json off, fields in the order of cobbler/items/*.py; etc/cobbler/settings.yaml beside it).

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { convertRecord } from './cobbler-record.js';

const fixture = fileURLToPath(new URL('./fixtures/cobbler-3.3/', import.meta.url));
const cobblerMirror = '/var/www/cobbler/distro_mirror';

/**
 * A copy of the fixture site whose distro files exist: the distro's kernel and initrd paths, as Cobbler's import
 * wrote them under /var/www/cobbler/distro_mirror, are moved into the test's directory, and the files made.
 */
function siteCopy(context: Parameters<typeof tempDir>[0]): { root: string; data: string } {
  const dir = tempDir(context);
  const root = join(dir, 'site');
  cpSync(fixture, root, { recursive: true });
  const mirror = join(dir, 'distro_mirror');
  mkdirSync(join(mirror, 'rhel9-x86_64', 'images', 'pxeboot'), { recursive: true });
  writeFileSync(join(mirror, 'rhel9-x86_64', 'images', 'pxeboot', 'vmlinuz'), 'kernel');
  writeFileSync(join(mirror, 'rhel9-x86_64', 'images', 'pxeboot', 'initrd.img'), 'initrd');
  const distros = join(root, 'var', 'lib', 'cobbler', 'collections', 'distros');
  for (const file of readdirSync(distros)) {
    const path = join(distros, file);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll(cobblerMirror, mirror));
  }
  return { root, data: join(dir, 'data') };
}

async function importedSite(context: Parameters<typeof tempDir>[0]) {
  const site = siteCopy(context);
  assert.equal((await runCli(site.data, ...serveTestRootsCommand)).code, 0);
  const result = await runCli(
    site.data,
    'import-cobbler',
    `--path=${join(site.root, 'var', 'lib', 'cobbler')}`,
  );
  assert.equal(result.code, 0, result.stderr);
  return { ...site, result };
}

describe('import-cobbler', () => {
  it("gives system www1 the variables Cobbler 3.3's blender gives it, through a profile chain three deep", async (t) => {
    const { data } = await importedSite(t);
    const dumped = await runCli(data, 'system', 'dumpvars', '--name=www1', '--format=json');
    assert.equal(dumped.code, 0, dumped.stderr);
    const view = JSON.parse(dumped.stdout) as Record<string, unknown>;

    // Worked out by hand from Cobbler v3.3.7's utils.blender/__consolidate over the tree settings → distro
    // rhel9-x86_64 → profile base → profile web → profile web-eu → system www1 (item.grab_tree, reversed); each
    // node's to_dict() is merged in turn: "<<inherit>>" is skipped once the key is present, dicts update, lists
    // extend and are uniquified, scalars are replaced, and after each node dict_annihilate drops "!key" and "key".
    const expected: Record<string, unknown> = {
      // dicts: distro {console=ttyS0,115200 quiet nomodeset} + base {inst.sshd biosdevname=0}
      // + web {!quiet net.ifnames=0} (quiet removed) + web-eu <<inherit>> (skipped)
      // + www1 {!nomodeset console=ttyS1,115200} (nomodeset removed, console replaced in place).
      // Cobbler's dump_vars flattens with dict_to_string, which leaves a trailing space; trimmed here.
      kernel_options: 'console=ttyS1,115200 inst.sshd biosdevname=0 net.ifnames=0',
      // base {tree, lang=en_US} + web {!lang role=web} (lang removed) + web-eu {lang=de_DE} (added back below the
      // removal) + www1 <<inherit>>; flattened the same way.
      autoinstall_meta: 'tree=http://192.0.2.10/cblr/links/rhel9-x86_64 role=web lang=de_DE',
      // lists: base [192.0.2.53] + web [192.0.2.54] + web-eu [192.0.2.53 (a repeat, dropped), 198.51.100.53]
      // + www1 [203.0.113.53]; settings hold default_name_servers, another key, so nothing comes from below.
      name_servers: ['192.0.2.53', '192.0.2.54', '198.51.100.53', '203.0.113.53'],
      name_servers_search: ['eu.example.org'],
      // settings mgmt_classes [] + distro [] + base [base] + web [httpd] + web-eu <<inherit>> + www1 [monitoring].
      mgmt_classes: ['base', 'httpd', 'monitoring'],
      // settings {from_cobbler: true}, then blender adds autoinstall_meta's keys on top.
      mgmt_parameters: {
        from_cobbler: true,
        tree: 'http://192.0.2.10/cblr/links/rhel9-x86_64',
        role: 'web',
        lang: 'de_DE',
      },
      // scalars: base 2048, web <<inherit>> (skipped), web-eu 4096, www1 <<inherit>>: the nearest wins.
      virt_ram: 4096,
      // base 2, then web's own 1 (a Cobbler profile is made with virt_cpus 1, not <<inherit>>), web-eu 1.
      virt_cpus: 1,
      // base's "<<inherit>>" with no virt_bridge below it: Item._resolve reads default_virt_bridge from settings.
      virt_bridge: 'virbr0',
      // base's own value; the rest inherit.
      autoinstall: 'sample.ks',
      // <<inherit>> all the way down to settings.yaml's server; http_port 80 so http_server is the server alone.
      server: '192.0.2.10',
      http_server: '192.0.2.10',
      // Cobbler's next_server_v4 (settings.yaml) is bootwright's next_server.
      next_server: '192.0.2.10',
      // distro owners <<inherit>>, the first in the tree, resolves to settings default_ownership; base and web-eu
      // <<inherit>> (the key is in the results: skipped); web's own list extends it; www1 <<inherit>>.
      owners: ['admin', 'webteam'],
      // system_name from the name, profile_name from "profile", distro_name from "distro", which blender never
      // lets a later node overwrite (web and web-eu say "").
      system_name: 'www1',
      profile_name: 'web-eu',
      distro_name: 'rhel9-x86_64',
      hostname: 'www1.example.org',
      gateway: '192.0.2.1',
      status: 'production',
      // Each interface's to_dict() keys, suffixed with the interface name.
      mac_address_eth0: '52:54:00:aa:bb:01',
      ip_address_eth0: '192.0.2.21',
      dns_name_eth0: 'www1.example.org',
      static_eth0: true,
      mac_address_eth1: '52:54:00:aa:bb:02',
      virt_bridge_eth1: 'virbr1',
    };
    const flattened = (value: unknown) =>
      typeof value === 'string'
        ? value
        : Object.entries(value as Record<string, unknown>)
            .map(([key, item]) => (item === null ? key : `${key}=${item}`))
            .join(' ');
    const actual = Object.fromEntries(
      Object.keys(expected).map((key) => [
        key,
        key === 'kernel_options' || key === 'autoinstall_meta' ? flattened(view[key]) : view[key],
      ]),
    );
    assert.deepEqual(actual, expected);
    // repo_data lists the repos of the chain (base's epel-9), by Cobbler's to_dict field names.
    const repoData = view.repo_data as { name: string; mirror: string; priority: number }[];
    assert.deepEqual(
      repoData.map((repo) => [repo.name, repo.mirror, repo.priority]),
      [['epel-9', 'http://mirror.example.org/epel/9/Everything/x86_64/', 90]],
    );
  });

  it("renders www1's kickstart with its per-system snippet, and the profile's with the shared one", async (t) => {
    const { data } = await importedSite(t);
    const system = await runCli(data, 'system', 'get-autoinstall', '--name=www1');
    assert.equal(system.code, 0, system.stderr);
    assert.match(system.stdout, /^# Kickstart for www1 \(web-eu on rhel9-x86_64\)$/m);
    assert.match(system.stdout, /^part \/ --fstype=xfs --size=20480 --ondisk=vda$/m);
    assert.match(system.stdout, /^lang de_DE$/m);
    assert.doesNotMatch(system.stdout, /autopart/);
    const profile = await runCli(data, 'profile', 'get-autoinstall', '--name=web-eu');
    assert.match(profile.stdout, /^autopart --type=lvm$/m);
  });

  it('lists each thing it could not carry over, one line each', async (t) => {
    const { data, result } = await importedSite(t);
    const lines = result.stdout.split('\n');
    const notCarried = lines.filter((line) => line.includes('not carried over:'));
    for (const expected of [
      'import-cobbler: not carried over: setting manage_dhcp: true: bootwright has no such setting.',
      'import-cobbler: not carried over: setting ldap_server: "ldap.example.com": bootwright has no such setting.',
    ]) {
      assert.ok(notCarried.includes(expected), `missing line: ${expected}\n${result.stdout}`);
    }
    assert.match(result.stdout, /^import-cobbler: created system "www1"$/m);
    assert.match(result.stdout, /^import-cobbler: unchanged setting next_server_v6$/m);
    for (const made of ['menu "servers"', 'image "kiosk-live"', 'mgmtclass "ntp"', 'system "kiosk1"'])
      assert.match(result.stdout, new RegExp(`^import-cobbler: created ${made}$`, 'm'));
    assert.match(result.stdout, /^import-cobbler: created snippet per_system\/partition_select\/www1$/m);
    assert.match(result.stdout, /^import-cobbler: created setting next_server_v4 \(as next_server\)/m);
    assert.equal((await runCli(data, 'system', 'list')).stdout, 'kiosk1\nwww1\n');
    const kiosk = await runCli(data, 'system', 'report', '--name=kiosk1');
    assert.match(kiosk.stdout, /^Image\s*:\s*kiosk-live$/m, kiosk.stdout);
    const base = await runCli(data, 'profile', 'report', '--name=base');
    assert.match(base.stdout, /^Menu\s*:\s*servers$/m, base.stdout);
    assert.equal((await runCli(data, 'profile', 'list')).stdout, 'base\nweb\nweb-eu\n');
  });

  it('shows the plan with --dry-run and changes nothing', async (t) => {
    const site = siteCopy(t);
    await runCli(site.data, ...serveTestRootsCommand);
    const path = `--path=${join(site.root, 'var', 'lib', 'cobbler')}`;
    const plan = await runCli(site.data, 'import-cobbler', path, '--dry-run');
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /^import-cobbler: would create profile "web-eu"$/m);
    assert.match(plan.stdout, /^import-cobbler: would create setting server \("192\.0\.2\.10"\)$/m);
    assert.match(plan.stdout, /^import-cobbler: dry run, nothing changed: /m);
    assert.equal((await runCli(site.data, 'list')).stdout.includes('web-eu'), false);
    const server = await runCli(site.data, 'setting', 'report', '--name=server');
    assert.doesNotMatch(server.stdout, /192\.0\.2\.10/);
  });

  it('runs again without change, names what differs here, and replaces it only with --overwrite', async (t) => {
    const { root, data } = await importedSite(t);
    const path = `--path=${join(root, 'var', 'lib', 'cobbler')}`;
    const again = await runCli(data, 'import-cobbler', path);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /created|overwrote|differs/);
    assert.match(again.stdout, /^import-cobbler: unchanged system "www1"$/m);

    await runCli(data, 'system', 'edit', '--name=www1', '--hostname=renamed.example.org');
    await runCli(
      data,
      'snippet',
      'edit',
      '--name=partition_select',
      `--file=${join(root, 'etc', 'cobbler', 'settings.yaml')}`,
    );
    const differs = await runCli(data, 'import-cobbler', path);
    assert.match(
      differs.stdout,
      /^import-cobbler: differs, left as it is \(--overwrite replaces it\): system "www1" \(fields hostname\)$/m,
    );
    assert.match(differs.stdout, /^import-cobbler: differs, left as it is .*: snippet partition_select \(/m);
    assert.match((await runCli(data, 'system', 'report', '--name=www1')).stdout, /renamed\.example\.org/);

    const overwritten = await runCli(data, 'import-cobbler', path, '--overwrite');
    assert.match(overwritten.stdout, /^import-cobbler: overwrote system "www1" \(fields hostname\)$/m);
    assert.match((await runCli(data, 'system', 'report', '--name=www1')).stdout, /www1\.example\.org/);
    assert.equal(
      (await runCli(data, 'snippet', 'show', '--name=partition_select')).stdout,
      'autopart --type=lvm\n',
    );
  });

  it('lists a distro whose kernel is not on this host, and what depends on it, in a dry run and for real', async (t) => {
    // The fixture as Cobbler wrote it: its distro's files under /var/www/cobbler/distro_mirror, not on this host.
    const kernel = `${cobblerMirror}/rhel9-x86_64/images/pxeboot/vmlinuz`;
    assert.equal(existsSync(kernel), false, `${kernel} must not exist for this test`);
    const dir = tempDir(t);
    const data = join(dir, 'data');
    const root = join(dir, 'site');
    cpSync(fixture, root, { recursive: true });
    await runCli(data, ...serveTestRootsCommand);
    const path = `--path=${join(root, 'var', 'lib', 'cobbler')}`;
    const missingLine = `import-cobbler: not carried over: distro "rhel9-x86_64": its kernel ${kernel} is not on this host; copy it from the Cobbler server to the same path (Cobbler keeps distro files under /var/www/cobbler/distro_mirror/ or in the tree they were imported from), then run this again.`;
    for (const dryRun of [['--dry-run'], []]) {
      const result = await runCli(data, 'import-cobbler', path, ...dryRun);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.split('\n');
      assert.ok(lines.includes(missingLine), result.stdout);
      for (const dependent of [
        'profile "base": its distro "rhel9-x86_64" did not carry over.',
        'profile "web": its profile "base" did not carry over.',
        'profile "web-eu": its profile "web" did not carry over.',
        'system "www1": its profile "web-eu" did not carry over.',
      ])
        assert.ok(lines.includes(`import-cobbler: not carried over: ${dependent}`), result.stdout);
      assert.match(result.stdout, /^import-cobbler: (would create|created) system "kiosk1"$/m);
    }
    assert.equal((await runCli(data, 'distro', 'list')).stdout, '');
    assert.equal((await runCli(data, 'profile', 'list')).stdout, '');
  });

  it('refuses a directory that is not Cobbler 3.x state in one sentence', async (t) => {
    const dir = tempDir(t);
    const result = await runCli(join(dir, 'data'), 'import-cobbler', `--path=${dir}`);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^bootwright: ".*" has no collections\/ directory, so it is not Cobbler 3\.x's \/var\/lib\/cobbler; pass --path=\/var\/lib\/cobbler/,
    );
  });
});

describe('convertRecord', () => {
  it("reads Cobbler's encodings of unset values and keeps a value bootwright refuses out, naming it", () => {
    const converted = convertRecord(
      {
        kind: 'system',
        name: 'db1',
        source: 'test',
        data: {
          name: 'db1',
          profile: 'base',
          // Cobbler's None over XML-RPC, and its "serial console off".
          comment: '~',
          serial_device: -1,
          serial_baud_rate: -1,
          hostname: 'db1 ;reboot',
          virt_file_size: 12.0,
        },
      },
      (value) => value,
    );
    assert.ok(!('unsupported' in converted));
    assert.deepEqual(converted.changes, { name: 'db1', profile: 'base', virt_file_size: '12' });
    assert.equal(converted.losses.length, 1);
    assert.match(converted.losses[0] as string, /^field hostname "db1 ;reboot" is not valid/);
  });
});
