import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { runMain as bootwright, succeeded, suiteDir } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { checkWith, exampleSettingOverrides, findProgram } from '../external/site.fixture.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

describe('bootwright dhcp-config and dns-config', () => {
  const dataDir = suiteDir('bootwright-cli-external-');
  const run = (...argv: string[]) => bootwright(['--data-dir', dataDir, ...argv]);

  before(async () => {
    for (const argv of [
      [...serveTestRootsCommand],
      [
        'distro',
        'add',
        '--name=debian12',
        `--kernel=${bootFiles.kernel}`,
        `--initrd=${bootFiles.initrd}`,
        '--breed=debian',
      ],
      ['profile', 'add', '--name=debian12', '--distro=debian12'],
      [
        'system',
        'add',
        '--name=web1',
        '--profile=debian12',
        '--hostname=web1',
        '--interface=eth0',
        '--mac=52:54:00:0a:00:01',
        '--ip-address=192.0.2.10',
        '--dns-name=web1.example.org',
        '--cnames=www static.example.org',
      ],
      [
        'system',
        'edit',
        '--name=web1',
        '--interface=eth1',
        '--mac=52:54:00:0a:00:02',
        '--ip-address=192.0.2.11',
        '--if-gateway=192.0.2.253',
        '--dns-name=web1-mgmt.example.org',
      ],
      [
        'system',
        'add',
        '--name=db1',
        '--profile=debian12',
        '--netboot-enabled=false',
        '--mac=52:54:00:0b:00:01',
        '--ip-address=192.0.2.20',
        '--dns-name=db1.example.org',
      ],
      ['system', 'add', '--name=lab1', '--profile=debian12', '--hostname=lab1', '--mac=52:54:00:0c:00:01'],
    ]) {
      succeeded(await run(...argv));
    }
  });

  it('says which setting is missing and how to set it', async () => {
    const result = await run('dhcp-config', '--format', 'isc');
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      'bootwright: Setting dhcp_subnet is empty, so there is no network to configure; set it with "bootwright setting edit --name=dhcp_subnet --value=192.0.2.0/24".\n',
    );
    assert.equal(result.code, 2);
  });

  it('prints the configuration of each DHCP server once the settings are there', async () => {
    for (const [name, value] of Object.entries(exampleSettingOverrides)) {
      succeeded(await run('setting', 'edit', `--name=${name}`, `--value=${value}`));
    }
    const isc = succeeded(await run('dhcp-config', '--format=isc'));
    assert.match(
      isc,
      /^ {2}host web1-eth1 \{\n {4}hardware ethernet 52:54:00:0a:00:02;\n {4}fixed-address 192\.0\.2\.11;$/m,
    );
    assert.match(
      isc,
      /^host db1-default \{\n {2}hardware ethernet 52:54:00:0b:00:01;\n {2}fixed-address 192\.0\.2\.20;\n {2}option host-name "db1\.example\.org";\n\}$/m,
    );
    const dnsmasq = succeeded(await run('dhcp-config', '--format', 'dnsmasq'));
    assert.match(dnsmasq, /^dhcp-host=52:54:00:0c:00:01,set:bw-known,set:bw-5254000c0001,lab1$/m);
    const kea = JSON.parse(succeeded(await run('dhcp-config', '--format=kea'))) as {
      Dhcp4: { subnet4: { reservations: unknown[] }[] };
    };
    assert.equal(kea.Dhcp4.subnet4[0]?.reservations.length, 4);
    if (findProgram('dhcpd')) {
      const dir = mkdtempSync(join(tmpdir(), 'bootwright-cli-external-check-'));
      after(() => rmSync(dir, { recursive: true, force: true }));
      const check = checkWith('dhcpd', ['-4', '-t', '-cf', '{file}'], dir, 'dhcpd.conf', isc);
      assert.equal(check.code, 0, check.output);
    }
  });

  it('prints hosts lines, dnsmasq records and the BIND bundle', async () => {
    assert.match(
      succeeded(await run('dns-config', '--format=hosts')),
      /^192\.0\.2\.10\tweb1\.example\.org\twww\.example\.org\tstatic\.example\.org$/m,
    );
    assert.match(
      succeeded(await run('dns-config', '--format=dnsmasq')),
      /^cname=www\.example\.org,web1\.example\.org$/m,
    );
    const bind = succeeded(await run('dns-config', '--format=bind'));
    assert.match(bind, /^\/\/ ==> named\.conf\.bootwright <==\n/);
    assert.match(bind, /^; ==> db\.example\.org <==\n; Zone example\.org,/m);
    assert.match(bind, /^; ==> db\.2\.0\.192\.in-addr\.arpa <==$/m);
    assert.match(bind, /^20\tIN\tPTR\tdb1\.example\.org\.$/m);
  });

  it('names the unknown format and the choices, in one line', async () => {
    const dhcp = await run('dhcp-config', '--format=bind');
    assert.deepEqual(dhcp, {
      code: 2,
      stdout: '',
      stderr: 'bootwright: "bootwright dhcp-config" has no format "bind"; choose dnsmasq, isc or kea.\n',
    });
    const dns = await run('dns-config', '--format=isc');
    assert.equal(
      dns.stderr,
      'bootwright: "bootwright dns-config" has no format "isc"; choose hosts, bind or dnsmasq.\n',
    );
    const none = await run('dns-config');
    assert.equal(none.stderr, 'bootwright: "bootwright dns-config" needs --format=hosts|bind|dnsmasq.\n');
  });

  it('lists both commands in the help', async () => {
    const help = succeeded(await bootwright(['--help']));
    assert.match(help, /^ {2}dhcp-config +Print a configuration for your own DHCP server/m);
    assert.match(help, /^ {2}dns-config +Print the DNS records of the systems/m);
    assert.match(succeeded(await bootwright(['dhcp-config', '--help'])), /--format=dnsmasq\|isc\|kea/);
  });
});
