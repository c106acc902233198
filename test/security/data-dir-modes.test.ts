// The data directory holds the store (systems' power_pass, the root password hash) and the keys, yet `serve` made it
// 0755 and the store 0644, so any local user could read them (issue 16 #11). `bootwright serve` as its own process,
// under umask 000 so that nothing but bootwright's own modes counts: a fresh data directory is owner-only, and one
// left open by an older version is tightened at start, with a line saying so.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setUserPassword } from '../../src/auth/password.js';
import { dataPaths } from '../../src/config/paths.js';
import { openStore } from '../../src/store/open-store.js';
import { UsersFile } from '../../src/store/users-file.js';
import { runCli } from '../support/cli.js';
import { exited } from '../support/guest-run.js';
import { startServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';

const modeOf = (path: string) => `0${(statSync(path).mode & 0o777).toString(8)}`;

/** `serve` on loopback under umask 000, where mkdir and open would give 0777 and 0666; stopped when `t` ends. */
async function serveWithOpenUmask(t: TestContext, dataDir: string) {
  const server = await startServeProcess(
    [`--data-dir=${dataDir}`, '--host=127.0.0.1', '--port=0', '--tftp-port=0'],
    (command, args, options) => spawn('sh', ['-c', 'umask 000 && exec "$0" "$@"', command, ...args], options),
  );
  const stop = async () => {
    if (server.child.exitCode === null) server.child.kill('SIGTERM');
    assert.equal(await exited(server.child, 10_000), 0, server.output());
  };
  t.after(stop);
  return { ...server, stop };
}

describe('data directory modes', () => {
  it('creates the data directory 0700 and the store, its journal and the keys 0600, whatever the umask', async (t) => {
    const dataDir = join(tempDir(t), 'state', 'bootwright');
    const paths = dataPaths(dataDir);
    const server = await serveWithOpenUmask(t, dataDir);
    assert.equal((await fetch(`${server.base}/api/v1/version`)).status, 200);
    assert.equal(modeOf(dataDir), '0700');
    for (const path of [paths.store, `${paths.store}-wal`, `${paths.store}-shm`, paths.sharedSecret]) {
      assert.ok(existsSync(path), `${path} exists`);
      assert.equal(modeOf(path), '0600', path);
    }
    assert.doesNotMatch(server.output(), /tightened/);
  });

  it('tightens a data directory, store and users file left readable, and says so in one line each', async (t) => {
    const dataDir = join(tempDir(t), 'bootwright');
    mkdirSync(dataDir);
    const paths = dataPaths(dataDir);
    await openStore(paths.storeUrl).close();
    await setUserPassword(new UsersFile(paths.usersFile), 'admin', 'admin-pass');
    chmodSync(dataDir, 0o755);
    chmodSync(paths.store, 0o644);
    chmodSync(paths.usersFile, 0o644);

    const server = await serveWithOpenUmask(t, dataDir);
    const lines = server.output().split('\n');
    for (const expected of [
      `bootwright: tightened ${dataDir} from 0755 to 0700 (it holds the store, users and keys)`,
      `bootwright: tightened ${paths.store} from 0644 to 0600 (it holds passwords)`,
      `bootwright: tightened ${paths.usersFile} from 0644 to 0600 (it holds password hashes)`,
    ])
      assert.ok(lines.includes(expected), `"${expected}" in:\n${server.output()}`);
    assert.equal(modeOf(dataDir), '0700');
    assert.equal(modeOf(paths.store), '0600');
    assert.equal(modeOf(paths.usersFile), '0600');
    assert.equal((await fetch(`${server.base}/api/v1/distros`)).status, 200);

    // Once tight, a restart has nothing to say.
    await server.stop();
    const again = await serveWithOpenUmask(t, dataDir);
    assert.doesNotMatch(again.output(), /tightened/);
  });

  it('has the CLI tighten them too, on stderr, when it opens the store', async (t) => {
    const dataDir = join(tempDir(t), 'bootwright');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const listed = await runCli(dataDir, 'distro', 'list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(
      listed.stderr,
      `bootwright: tightened ${dataDir} from 0755 to 0700 (it holds the store, users and keys)\n`,
    );
    assert.equal(listed.stdout, '');
    assert.equal(modeOf(dataDir), '0700');
    assert.equal(modeOf(dataPaths(dataDir).store), '0600');
  });
});
