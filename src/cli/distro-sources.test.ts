import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { runMain as bootwright } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { mkisofs, needsXorriso } from '../iso9660/iso-images.fixture.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

function makeTree(t: TestContext): string {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'images/pxeboot'), { recursive: true });
  writeFileSync(join(dir, 'images/pxeboot/vmlinuz'), 'KERNEL');
  return dir;
}

describe('bootwright distro list --sources', { skip: needsXorriso }, () => {
  it("prints each distro's tree_source and whether it can be read", async (t) => {
    const dataDir = tempDir(t);
    const run = async (...argv: string[]) => {
      const result = await bootwright(['--data-dir', dataDir, ...argv]);
      assert.equal(result.stderr, '');
      assert.equal(result.code, 0);
      return result.stdout;
    };
    await run(...serveTestRootsCommand);
    const dir = makeTree(t);
    const iso = mkisofs(dir, join(tempDir(t), 'dvd.iso'), ['-R', '-J']);
    const gone = join(dir, 'gone.iso');
    const tree = 'tree:images/pxeboot/vmlinuz';
    await run(
      'distro',
      'add',
      '--name=alpha',
      `--tree-source=${iso}`,
      `--kernel=${tree}`,
      `--initrd=${tree}`,
    );
    await run('distro', 'add', '--name=beta', `--tree-source=${dir}`, `--kernel=${tree}`, `--initrd=${tree}`);
    await run(
      'distro',
      'add',
      '--name=gamma',
      `--tree-source=${gone}`,
      `--kernel=${tree}`,
      `--initrd=${tree}`,
    );
    await run(
      'distro',
      'add',
      '--name=plain',
      `--kernel=${bootFiles.kernel}`,
      `--initrd=${bootFiles.initrd}`,
    );

    // Without the flag, names only, as Cobbler prints them.
    assert.equal(await run('distro', 'list'), 'alpha\nbeta\ngamma\nplain\n');
    const lines = (await run('distro', 'list', '--sources')).trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0] ?? '', new RegExp(`^alpha  ${iso} +readable$`));
    assert.match(lines[1] ?? '', new RegExp(`^beta   ${dir} +readable$`));
    assert.match(lines[2] ?? '', new RegExp(`^gamma  ${gone} +MISSING \\(".*gone\\.iso" does not exist`));
    assert.match(lines[3] ?? '', /^plain {2}- +\(no tree_source\)$/);

    const json = JSON.parse(await run('distro', 'list', '--sources', '--format=json'));
    assert.deepEqual(
      json.map((entry: { name: string; readable: boolean }) => [entry.name, entry.readable]),
      [
        ['alpha', true],
        ['beta', true],
        ['gamma', false],
        ['plain', false],
      ],
    );
    assert.equal(json[0].tree_source, iso);
    assert.match(await run('distro', 'report', '--name=alpha'), new RegExp(`^Tree Source +: ${iso}$`, 'm'));
  });

  it('is a flag of distro list only', async () => {
    const result = await bootwright(['profile', 'list', '--sources']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown option "--sources"/);
  });
});
