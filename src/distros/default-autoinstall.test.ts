// One rule picks the built-in template of a distro's installs (issue 18, item 6): a RHEL 5 distro added by hand
// gets legacy.ks, as `import` gives the profile it makes from a RHEL 5 tree, not default.ks's RHEL 7+ syntax; an
// object or setting that names a template still wins.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { runCli } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';

/** A RHEL 5.5 tree as on its DVD, enough for import to know it. */
function rhel55Tree(t: TestContext): string {
  const tree = join(tempDir(t), 'rhel-5.5');
  for (const [path, content] of Object.entries({
    '.discinfo': '1272044302.784649\nRed Hat Enterprise Linux Server 5.5\ni386\n1,2,3,4,5,6\n',
    'images/pxeboot/vmlinuz': 'pxe kernel',
    'images/pxeboot/initrd.img': 'pxe initrd',
    'Server/repodata/repomd.xml': '<repomd/>',
  })) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), content);
  }
  return tree;
}

async function cli(dataDir: string, ...argv: string[]): Promise<string> {
  const result = await runCli(dataDir, ...argv);
  assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function autoinstallOf(dataDir: string, kind: string, name: string): Promise<string> {
  const vars = JSON.parse(await cli(dataDir, kind, 'dumpvars', `--name=${name}`, '--format=json')) as {
    autoinstall: string;
  };
  return vars.autoinstall;
}

describe('the built-in template of a distro', () => {
  it('is the same for a RHEL 5 distro added by hand as for one imported: legacy.ks', async (t: TestContext) => {
    const dataDir = tempDir(t);
    const tree = rhel55Tree(t);
    await cli(dataDir, ...serveTestRootsCommand);
    await cli(dataDir, 'import', `--path=${tree}`, '--name=imported');
    const imported = await autoinstallOf(dataDir, 'profile', 'imported');
    assert.equal(imported, 'legacy.ks');

    await cli(
      dataDir,
      'distro',
      'add',
      '--name=rhel-5.5-by-hand',
      `--kernel=${tree}/images/pxeboot/vmlinuz`,
      `--initrd=${tree}/images/pxeboot/initrd.img`,
      '--arch=i386',
      '--breed=redhat',
      '--os-version=rhel5',
    );
    await cli(dataDir, 'profile', 'add', '--name=by-hand', '--distro=rhel-5.5-by-hand');
    await cli(dataDir, 'system', 'add', '--name=vm5', '--profile=by-hand', '--mac=52:54:00:00:05:05');
    assert.equal(await autoinstallOf(dataDir, 'profile', 'by-hand'), imported);
    assert.equal(await autoinstallOf(dataDir, 'system', 'vm5'), imported);
    const kickstart = await cli(dataDir, 'system', 'get-autoinstall', '--name=vm5');
    // RHEL 5's Anaconda: `install` and `key --skip`, and no `%end` it would stop on.
    assert.match(kickstart, /^install\n(?:.*\n)*key --skip$/m);
    assert.doesNotMatch(kickstart, /^%end$|--vckeymap/m);

    // A RHEL 9 distro keeps default.ks; a template named on the profile, or in the setting, still wins.
    await cli(
      dataDir,
      'distro',
      'add',
      '--name=rhel9',
      `--kernel=${tree}/images/pxeboot/vmlinuz`,
      `--initrd=${tree}/images/pxeboot/initrd.img`,
      '--breed=redhat',
      '--os-version=rhel9',
    );
    await cli(dataDir, 'profile', 'add', '--name=p9', '--distro=rhel9');
    assert.equal(await autoinstallOf(dataDir, 'profile', 'p9'), 'default.ks');
    await cli(dataDir, 'profile', 'edit', '--name=by-hand', '--autoinstall=default.ks');
    assert.equal(await autoinstallOf(dataDir, 'system', 'vm5'), 'default.ks');
    await cli(dataDir, 'profile', 'edit', '--name=by-hand', '--autoinstall=<<inherit>>');
    await cli(dataDir, 'setting', 'edit', '--name=autoinstall', '--value=sample.ks');
    assert.equal(await autoinstallOf(dataDir, 'system', 'vm5'), 'sample.ks');
  });
});
