import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import { connect } from 'node:tls';
import { makeBootFiles } from '../test/support/boot-files.js';
import { runCli } from '../test/support/cli.js';
import { logIn } from '../test/support/served.js';
import { serveTestRootsCommand } from '../test/support/served-roots.js';
import { tempDir } from '../test/support/temp-dir.js';
import { readSharedSecret } from './auth/shared-secret.js';
import { dataPaths } from './config/paths.js';
import { parseServeArgs, startServer } from './serve.js';

describe('bootwright serve', () => {
  it('keeps every object across a restart', async (t: TestContext) => {
    const dataDir = tempDir(t);
    const bootFiles = makeBootFiles(tempDir(t), 'linux', 'initrd.gz');
    assert.equal((await runCli(dataDir, ...serveTestRootsCommand)).code, 0);
    const first = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
    let base = `http://127.0.0.1:${first.port}`;
    const token = await logIn(base, readSharedSecret(dataPaths(dataDir).sharedSecret) as string);
    const created = await fetch(`${base}/api/v1/distros`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({
        name: 'debian-12',
        kernel: bootFiles.kernel,
        initrd: bootFiles.initrd,
        breed: 'debian',
      }),
    });
    assert.equal(created.status, 201);
    await first.stop();

    const second = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => second.stop());
    base = `http://127.0.0.1:${second.port}`;
    const fetched = await fetch(`${base}/api/v1/distros/debian-12`);
    assert.equal(fetched.status, 200);
    assert.equal(((await fetched.json()) as { breed: string }).breed, 'debian');
  });

  it('survives a TLS ClientHello on its HTTP port, as koan sends first', async (t: TestContext) => {
    const running = await startServer({ dataDir: tempDir(t), host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => running.stop());
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: running.port, rejectUnauthorized: false });
      socket.on('secureConnect', () => resolve('handshake completed'));
      socket.on('error', (error) => resolve(`refused: ${error.message}`));
      socket.on('close', () => resolve('closed'));
    });
    assert.match(outcome, /refused|closed/);
    const ping = await fetch(`http://127.0.0.1:${running.port}/cobbler_api`, {
      method: 'POST',
      body: "<?xml version='1.0'?><methodCall><methodName>ping</methodName><params></params></methodCall>",
    });
    assert.equal(ping.status, 200);
    assert.match(await ping.text(), /<boolean>1<\/boolean>/);
  });

  it('explains a port it cannot use', async (t: TestContext) => {
    const running = await startServer({ dataDir: tempDir(t), host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => running.stop());
    await assert.rejects(
      startServer({ dataDir: tempDir(t), host: '127.0.0.1', port: running.port, tftpPort: 0 }),
      {
        code: 'E_UNAVAILABLE',
        message: new RegExp(`Cannot listen on 127.0.0.1:${running.port}: another program uses it`),
      },
    );
  });

  it('shuts down cleanly on SIGTERM', async (t: TestContext) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/run.ts', 'serve', '--port=0', '--tftp-port=0', '--host=127.0.0.1'],
      {
        env: { ...process.env, BOOTWRIGHT_DATA_DIR: tempDir(t) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    t.after(() => child.kill('SIGKILL'));
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const match = /serving http on port (\d+)/.exec(stdout);
        if (match) resolve(Number(match[1]));
      });
      child.on('exit', (code) => reject(new Error(`serve exited early with ${code}: ${stdout}`)));
    });
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/version`)).status, 200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.match(stdout, /SIGTERM received, shutting down\nbootwright: stopped\n$/);
  });

  it('rejects unknown options in one sentence', () => {
    assert.throws(() => parseServeArgs(['--prot=80']), { code: 'E_USAGE', message: /"--prot=80"/ });
    assert.deepEqual(parseServeArgs(['--port', '8080', '--host=127.0.0.1']), {
      port: 8080,
      host: '127.0.0.1',
    });
  });
});
