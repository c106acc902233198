// `system copy` drops what must stay unique (MACs, addresses, names), as Cobbler does; it says so in one line
// naming each value left behind, so that nobody boots the copy expecting the source's address (issue 18, item 7).

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { runCli } from '../../test/support/cli.js';
import { tempDir } from '../../test/support/temp-dir.js';

async function cli(dataDir: string, ...argv: string[]) {
  const result = await runCli(dataDir, ...argv);
  assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
  return result;
}

describe('system copy', () => {
  it('says in one line which MAC, IP, host name and DNS name it dropped', async (t: TestContext) => {
    const dataDir = tempDir(t);
    await cli(
      dataDir,
      'distro',
      'add',
      '--name=d',
      '--kernel=http://192.0.2.1/vmlinuz',
      '--initrd=http://192.0.2.1/initrd.img',
    );
    await cli(dataDir, 'profile', 'add', '--name=p', '--distro=d');
    await cli(
      dataDir,
      'system',
      'add',
      '--name=vm9',
      '--profile=p',
      '--hostname=vm9',
      '--interface=eth0',
      '--mac=52:54:00:00:00:09',
      '--ip-address=192.0.2.9',
      '--dns-name=vm9.example.org',
    );
    const copied = await cli(dataDir, 'system', 'copy', '--name=vm9', '--newname=vm10');
    assert.equal(copied.stdout, '');
    assert.equal(
      copied.stderr,
      'bootwright: system "vm10" was copied without what must stay unique (hostname vm9, eth0 mac_address 52:54:00:00:00:09, eth0 ip_address 192.0.2.9, eth0 dns_name vm9.example.org); give it its own with "bootwright system edit --name=vm10 --interface=IF --mac=... --ip-address=...".\n',
    );
    const copy = JSON.parse((await cli(dataDir, 'system', 'report', '--name=vm10', '--format=json')).stdout);
    assert.equal(copy.interfaces.eth0.mac_address, '', 'the copy really has none');

    // What the copy is given on the line is not dropped, and a copy that drops nothing says nothing.
    const given = await cli(dataDir, 'system', 'copy', '--name=vm9', '--newname=vm11', '--hostname=vm11');
    assert.match(given.stderr, /\(eth0 mac_address 52:54:00:00:00:09, eth0 ip_address/);
    assert.doesNotMatch(given.stderr, /hostname/);
    assert.equal((await cli(dataDir, 'system', 'copy', '--name=vm10', '--newname=vm12')).stderr, '');
  });
});
