// The shared secret lets the CLI beside the server log in without a password (issue 16): it must reach only a
// server on this host. `--server=URL` used to send it to any URL, in clear over HTTP, and a redirect from a local
// URL could carry it on. Here the CLI runs in one network namespace and a capturing stand-in for the server in
// another, at 192.0.2.1 (RFC 5737), and the test reads every byte the stand-in received.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { ensureSharedSecret } from '../../src/auth/shared-secret.js';
import { dataPaths } from '../../src/config/paths.js';
import { projectRoot } from '../support/guest-run.js';
import { canCreateNetns, createNetnsPair, type Namespace, type NetnsPair } from '../support/netns.js';
import { tempDir } from '../support/temp-dir.js';

const captureScript = join(projectRoot, 'test', 'support', 'capturing-http-server.fixture.ts');
const cliScript = join(projectRoot, 'src', 'cli', 'run.ts');
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

/** Starts the stand-in in `ns`; the returned function reads what it has received so far. */
async function startCapture(
  t: TestContext,
  pair: NetnsPair,
  ns: Namespace,
  listen: string,
  redirectUrl?: string,
): Promise<() => string> {
  const file = join(tempDir(t), 'captured');
  const [host = '', port = ''] = listen.split(':');
  const child = pair.spawn(
    ns,
    process.execPath,
    ['--import', 'tsx', captureScript, host, port, file, ...(redirectUrl ? [redirectUrl] : [])],
    { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [first] = (await once(child.stdout?.setEncoding('utf8') ?? child, 'data')) as [string];
  assert.equal(first, 'listening\n');
  return () => readFileSync(file, 'latin1');
}

/** The real CLI, from source, as a process inside `ns`. */
async function runCliIn(pair: NetnsPair, ns: Namespace, argv: string[]) {
  const child = pair.spawn(ns, process.execPath, ['--import', 'tsx', cliScript, ...argv], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

const skip = canCreateNetns() ? false : 'needs root to create network namespaces';

describe('the shared secret stays on this host', { skip }, () => {
  const addDistro = ['distro', 'add', '--name=d', '--kernel=/boot/vmlinuz', '--initrd=/boot/initrd.img'];

  it('is not sent to a server at another address, and the CLI says how to log in there', async (t) => {
    const pair = await createNetnsPair(t, { prefix: 'bw-secret' });
    const dataDir = tempDir(t);
    const secret = ensureSharedSecret(dataPaths(dataDir).sharedSecret);
    const remote = await startCapture(t, pair, pair.server, '192.0.2.1:8080');

    const cli = await runCliIn(pair, pair.client, [
      `--data-dir=${dataDir}`,
      '--server=http://192.0.2.1:8080',
      ...addDistro,
    ]);
    assert.ok(!remote().includes(secret), `the server at 192.0.2.1 received the secret:\n${remote()}`);
    assert.notEqual(cli.code, 0);
    assert.equal(
      cli.stderr,
      'bootwright: Changes on http://192.0.2.1:8080 need a login token, as the shared secret of this host goes only to a server on this host (127.0.0.1, ::1 or localhost); log in there with POST http://192.0.2.1:8080/api/v1/login and pass the token with --token or BOOTWRIGHT_TOKEN, or use --server=http://127.0.0.1:PORT on the server itself.\n',
    );
  });

  it('is not carried on by a redirect from a server on this host', async (t) => {
    const pair = await createNetnsPair(t, { prefix: 'bw-secret' });
    const dataDir = tempDir(t);
    const secret = ensureSharedSecret(dataPaths(dataDir).sharedSecret);
    const remote = await startCapture(t, pair, pair.server, '192.0.2.1:8080');
    const local = await startCapture(t, pair, pair.client, '127.0.0.1:8081', 'http://192.0.2.1:8080');

    const cli = await runCliIn(pair, pair.client, [
      `--data-dir=${dataDir}`,
      '--server=http://127.0.0.1:8081',
      ...addDistro,
    ]);
    // The loopback server got the login with the secret, as the CLI beside a real server sends it.
    assert.ok(local().includes(secret), `no login with the secret on loopback:\n${local()}`);
    assert.ok(!remote().includes(secret), `the redirect carried the secret to 192.0.2.1:\n${remote()}`);
    assert.notEqual(cli.code, 0);
    assert.equal(
      cli.stderr,
      'bootwright: The server at http://127.0.0.1:8081 answered POST /api/v1/login with a redirect (HTTP 307) to "http://192.0.2.1:8080/api/v1/login", which the CLI does not follow; give the URL of the bootwright server itself as --server.\n',
    );
  });
});
