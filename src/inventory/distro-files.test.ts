// A distro's kernel or initrd on this server that is a directory or is not there is refused when written, as Cobbler
// 3.3 refuses both at add (issue 18, item 6; items/distro.py and utils.find_kernel), with one sentence naming the path
// and what to give instead; on the CLI, over REST and over Cobbler's XML-RPC with Python's xmlrpc.client. A distro
// already stored with a missing kernel (an older store) keeps being reported by `check`.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { apiFixture } from '../../test/support/api-fixture.js';
import { type BootFilePaths, makeBootFiles } from '../../test/support/boot-files.js';
import { runCli } from '../../test/support/cli.js';
import { pythonXmlRpc } from '../../test/support/python-xmlrpc.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { setUserPassword } from '../auth/password.js';
import { dataPaths } from '../config/paths.js';
import { startServer } from '../serve.js';
import { openStore } from '../store/open-store.js';
import { UsersFile } from '../store/users-file.js';

/** `distro add --name=d` with these kernel and initrd flags. */
function addDistro(dataDir: string, kernel: string, initrd: string) {
  return runCli(dataDir, 'distro', 'add', '--name=d', kernel, initrd);
}

function bootFiles(t: TestContext): BootFilePaths {
  return makeBootFiles(join(tempDir(t), 'images'));
}

describe('a distro kernel or initrd that is a directory', () => {
  it('is refused at add and edit on the CLI, naming the file to give', async (t: TestContext) => {
    const dataDir = tempDir(t);
    const files = bootFiles(t);
    assert.equal((await runCli(dataDir, ...serveTestRootsCommand)).code, 0);
    const kernelDir = await addDistro(dataDir, `--kernel=${files.dir}`, `--initrd=${files.initrd}`);
    assert.equal(kernelDir.code, 2);
    assert.equal(
      kernelDir.stderr,
      `bootwright: Distro "d": kernel "${files.dir}" is a directory; give the kernel file itself, such as ${files.dir}/vmlinuz.\n`,
    );
    const initrdDir = await addDistro(dataDir, `--kernel=${files.kernel}`, `--initrd=${files.dir}`);
    assert.equal(initrdDir.code, 2);
    assert.match(
      initrdDir.stderr,
      /initrd ".*" is a directory; give the initrd file itself, such as .*\/initrd\.img\.\n$/,
    );
    assert.equal((await runCli(dataDir, 'distro', 'list')).stdout, '', 'nothing was written');

    const added = await addDistro(dataDir, `--kernel=${files.kernel}`, `--initrd=${files.initrd}`);
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

describe('a distro kernel or initrd that does not exist', () => {
  it('is refused at add and edit on the CLI, naming the path and the fix; URLs are taken as they are', async (t: TestContext) => {
    const dataDir = tempDir(t);
    const files = bootFiles(t);
    const missing = join(files.dir, 'vmlinuz-6.1');
    assert.equal((await runCli(dataDir, ...serveTestRootsCommand)).code, 0);
    const added = await addDistro(dataDir, `--kernel=${missing}`, `--initrd=${files.initrd}`);
    assert.equal(added.code, 2);
    assert.equal(
      added.stderr,
      `bootwright: Distro "d": kernel "${missing}" does not exist on this server; copy the kernel file there first, or give its http:// or https:// URL.\n`,
    );
    const underAFile = join(files.kernel, 'initrd.img');
    const initrdMissing = await addDistro(dataDir, `--kernel=${files.kernel}`, `--initrd=${underAFile}`);
    assert.equal(initrdMissing.code, 2);
    assert.match(
      initrdMissing.stderr,
      /^bootwright: Distro "d": initrd ".*\/vmlinuz\/initrd\.img" does not exist on this server; copy the initrd file there first/,
    );
    assert.equal((await runCli(dataDir, 'distro', 'list')).stdout, '', 'nothing was written');

    const remote = await runCli(
      dataDir,
      'distro',
      'add',
      '--name=remote',
      '--kernel=http://192.0.2.1/images/vmlinuz',
      '--initrd=https://192.0.2.1/images/initrd.img',
    );
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal((await addDistro(dataDir, `--kernel=${files.kernel}`, `--initrd=${files.initrd}`)).code, 0);
    const edited = await runCli(dataDir, 'distro', 'edit', '--name=d', `--initrd=${missing}`);
    assert.equal(edited.code, 2);
    assert.match(edited.stderr, /initrd ".*vmlinuz-6\.1" does not exist on this server/);
    assert.match((await runCli(dataDir, 'distro', 'report', '--name=d')).stdout, /initrd\.img/);
  });

  it('is refused over REST with the same sentence', async (t: TestContext) => {
    const fixture = await apiFixture(t);
    const files = bootFiles(t);
    const missing = join(files.dir, 'initrd-6.1.img');
    const response = await fixture.app.request('/api/v1/distros', {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'd', kernel: files.kernel, initrd: missing }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'E_INVALID');
    assert.equal(
      body.error.message,
      `Distro "d": initrd "${missing}" does not exist on this server; copy the initrd file there first, or give its http:// or https:// URL.`,
    );
  });

  it("is refused by XML-RPC save_distro, as Cobbler's own scripts make distros", async (t: TestContext) => {
    const dataDir = tempDir(t);
    const files = bootFiles(t);
    assert.equal((await runCli(dataDir, ...serveTestRootsCommand)).code, 0);
    await setUserPassword(new UsersFile(dataPaths(dataDir).usersFile), 'cobbler', 'cobbler-pass');
    const running = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => running.stop());
    const missing = join(files.dir, 'vmlinuz-6.1');
    const out = await pythonXmlRpc(
      `http://127.0.0.1:${running.port}/cobbler_api`,
      `
token = s.login('cobbler', 'cobbler-pass')
h = s.new_distro(token)
s.modify_distro(h, 'name', 'd', token)
s.modify_distro(h, 'kernel', ${JSON.stringify(missing)}, token)
s.modify_distro(h, 'initrd', ${JSON.stringify(files.initrd)}, token)
refused = fault(lambda: s.save_distro(h, token))
s.modify_distro(h, 'kernel', ${JSON.stringify(files.kernel)}, token)
out = [refused, s.save_distro(h, token), s.get_distro('d')['kernel']]
`,
    );
    assert.match(
      out[0],
      new RegExp(
        `Distro "d": kernel "${missing}" does not exist on this server; copy the kernel file there first`,
      ),
    );
    assert.deepEqual(out.slice(1), [true, files.kernel]);
  });

  it('stored by an older bootwright, is still named by check, and other edits of the distro go through', async (t: TestContext) => {
    const dataDir = tempDir(t);
    const files = bootFiles(t);
    const missing = join(files.dir, 'vmlinuz-5.14');
    assert.equal((await runCli(dataDir, ...serveTestRootsCommand)).code, 0);
    // Written straight into the store, as a bootwright from before this rule would have left it.
    const store = openStore(dataPaths(dataDir).storeUrl);
    try {
      await store.transaction((tx) =>
        tx.put({
          kind: 'distro',
          name: 'old',
          uid: 'old',
          ctime: 0,
          mtime: 0,
          fields: { kernel: missing, initrd: files.initrd, breed: 'redhat' },
        }),
      );
    } finally {
      await store.close();
    }
    const check = await runCli(dataDir, 'check');
    assert.match(
      check.stdout,
      new RegExp(`Distro old: its kernel ${missing} is not a readable file on this server\\.`),
    );
    const edited = await runCli(dataDir, 'distro', 'edit', '--name=old', '--comment=kept');
    assert.equal(edited.code, 0, edited.stderr);
  });
});
