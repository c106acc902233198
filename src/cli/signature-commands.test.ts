// `bootwright sync` and `signature report|update` as Cobbler scripts call them.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../test/support/cli.js';
import { tempDir } from '../../test/support/temp-dir.js';

describe('bootwright sync', () => {
  it('says there is nothing to sync and succeeds, with the flags Cobbler scripts pass', async (t) => {
    const dataDir = tempDir(t);
    for (const argv of [['sync'], ['sync', '--dhcp', '--dns', '--verbose', '--systems=vm9 vm10']]) {
      const result = await runCli(dataDir, ...argv);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Nothing to sync: /);
      assert.equal(result.stderr, '');
    }
  });
});

describe('bootwright signature', () => {
  it("reports the signatures by breed, in Cobbler's layout, and one breed with --name", async (t) => {
    const dataDir = tempDir(t);
    const all = await runCli(dataDir, 'signature', 'report');
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^Currently loaded signatures:\n/);
    assert.match(all.stdout, /^redhat:\n(\t.*\n)*\trhel-treeinfo +os_version rhel\{version\|major\}\n/m);
    assert.match(all.stdout, /\n\d+ breeds with \d+ total signatures loaded\n$/);
    const debian = await runCli(dataDir, 'signature', 'report', '--name=debian');
    assert.doesNotMatch(debian.stdout, /redhat/);
    assert.match(debian.stdout, /^1 breeds with 2 total signatures loaded$/m);
    const unknown = await runCli(dataDir, 'signature', 'report', '--name=beos');
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /^bootwright: No signatures for the breed "beos"; the breeds with some are .*redhat/,
    );
  });

  it('update loads the files again and names a broken one of your own with where it breaks', async (t) => {
    const dataDir = tempDir(t);
    const fine = await runCli(dataDir, 'signature', 'update');
    assert.equal(fine.code, 0, fine.stderr);
    assert.match(fine.stdout, /^\d+ signatures loaded from .*nothing is downloaded/);
    writeFileSync(join(dataDir, 'signatures.json'), JSON.stringify({ signatures: [{ name: 'x' }] }));
    const broken = await runCli(dataDir, 'signature', 'update');
    assert.equal(broken.code, 2);
    assert.match(
      broken.stderr,
      /^bootwright: Signatures file ".*signatures\.json" is not valid at signatures\.0\./,
    );
    assert.equal(broken.stderr.split('\n').length, 2, 'one line');
  });
});
