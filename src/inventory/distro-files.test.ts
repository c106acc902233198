// A distro's kernel or initrd on this server that is a directory is refused when written, as Cobbler refuses it at
// add (issue 18, item 6), with one sentence naming the path and the file to give instead; on the CLI and over REST.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { apiFixture } from '../../test/support/api-fixture.js';
import { runCli } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';

function bootFiles(t: TestContext): { dir: string; kernel: string; initrd: string } {
  const dir = join(tempDir(t), 'images');
  mkdirSync(dir);
  writeFileSync(join(dir, 'vmlinuz'), 'kernel');
  writeFileSync(join(dir, 'initrd.img'), 'initrd');
  return { dir, kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
}

describe('a distro kernel or initrd that is a directory', () => {
  it('is refused at add and edit on the CLI, naming the file to give', async (t: TestContext) => {
    const dataDir = tempDir(t);
    const files = bootFiles(t);
    assert.equal((await runCli(dataDir, ...serveTestRootsCommand)).code, 0);
    const kernelDir = await runCli(
      dataDir,
      'distro',
      'add',
      '--name=d',
      `--kernel=${files.dir}`,
      `--initrd=${files.initrd}`,
    );
    assert.equal(kernelDir.code, 2);
    assert.equal(
      kernelDir.stderr,
      `bootwright: Distro "d": kernel "${files.dir}" is a directory; give the kernel file itself, such as ${files.dir}/vmlinuz.\n`,
    );
    const initrdDir = await runCli(
      dataDir,
      'distro',
      'add',
      '--name=d',
      `--kernel=${files.kernel}`,
      `--initrd=${files.dir}`,
    );
    assert.equal(initrdDir.code, 2);
    assert.match(
      initrdDir.stderr,
      /initrd ".*" is a directory; give the initrd file itself, such as .*\/initrd\.img\.\n$/,
    );
    assert.equal((await runCli(dataDir, 'distro', 'list')).stdout, '', 'nothing was written');

    const added = await runCli(
      dataDir,
      'distro',
      'add',
      '--name=d',
      `--kernel=${files.kernel}`,
      `--initrd=${files.initrd}`,
    );
    assert.equal(added.code, 0, added.stderr);
    const edited = await runCli(dataDir, 'distro', 'edit', '--name=d', `--kernel=${files.dir}`);
    assert.equal(edited.code, 2);
    assert.match(edited.stderr, /is a directory/);
  });

  it('is refused over REST with the same sentence', async (t: TestContext) => {
    const fixture = await apiFixture(t);
    const files = bootFiles(t);
    const response = await fixture.app.request('/api/v1/distros', {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'd', kernel: files.dir, initrd: files.initrd }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'E_INVALID');
    assert.equal(
      body.error.message,
      `Distro "d": kernel "${files.dir}" is a directory; give the kernel file itself, such as ${files.dir}/vmlinuz.`,
    );
  });
});
