// Fifty systems whose BMCs take the connection and then never answer: powering them all at once must not hold up
// the server's other work, and each must fail at its deadline with one line naming the system and the BMC. The
// BMCs are one TCP listener here that accepts and stays silent (a hung Redfish service); the server is real and
// answers HTTP and TFTP while every power action waits.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type RunningServer, startServer } from '../../src/serve.js';
import { sharedBootFiles } from '../support/boot-files.js';
import { runMain, succeeded, suiteDir } from '../support/cli.js';
import { freeUdpPort } from '../support/free-port.js';
import { serveTestRootsCommand } from '../support/served-roots.js';
import { tftpFetch } from '../support/tftp-client.js';

const SYSTEMS = 50;
const DEADLINE_SECONDS = 4;

describe('power actions against BMCs that hang', () => {
  const dir = suiteDir('bootwright-power-hang-');
  const run = (...argv: string[]) => runMain(['--data-dir', dir, ...argv]);
  const held: Socket[] = [];
  const silent = createServer((socket) => {
    held.push(socket);
    socket.on('error', () => undefined);
  });
  let server: RunningServer;
  let bmcPort = 0;

  before(async () => {
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    bmcPort = (silent.address() as { port: number }).port;
    const bootFiles = sharedBootFiles();
    succeeded(await run(...serveTestRootsCommand));
    succeeded(
      await run('distro', 'add', '--name=d', `--kernel=${bootFiles.kernel}`, `--initrd=${bootFiles.initrd}`),
    );
    succeeded(await run('profile', 'add', '--name=p', '--distro=d'));
    const systems = Array.from({ length: SYSTEMS }, (_, index) => ({
      name: `rack${index}`,
      profile: 'p',
      power_type: 'redfish',
      power_address: `127.0.0.1:${bmcPort}`,
      power_user: 'admin',
      power_pass: 'hush',
      power_options: `ssl_insecure=1 timeout=${DEADLINE_SECONDS}`,
    }));
    server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, tftpPort: await freeUdpPort() });
    const response = await fetch(`http://127.0.0.1:${server.port}/api/v1/systems`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}` },
      body: JSON.stringify(systems),
    });
    assert.equal(response.status, 201, await response.text());
  });
  after(async () => {
    for (const socket of held) socket.destroy();
    silent.close();
    await server?.stop();
  });

  async function token(): Promise<string> {
    const secret = readFileSync(`${dir}/shared-secret`, 'utf8').trim();
    const login = await fetch(`http://127.0.0.1:${server?.port}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: '', password: secret }),
    });
    return ((await login.json()) as { token: string }).token;
  }

  it('keeps answering HTTP and TFTP while fifty actions wait, and fails each at its deadline', async () => {
    const started = Date.now();
    let settled = false;
    const powering = run(
      `--server=http://127.0.0.1:${server.port}`,
      'system',
      'poweron',
      '--name=rack*',
    ).then((result) => {
      settled = true;
      return result;
    });
    // Every BMC connection is open and silent: the actions are all waiting at once.
    for (let waited = 0; held.length < SYSTEMS && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(held.length, SYSTEMS, 'all fifty actions reached their BMC at once');
    const page = await fetch(`http://127.0.0.1:${server.port}/api/v1/systems/rack7`);
    assert.equal(page.status, 200);
    const loader = await tftpFetch(server.tftpPort as number, 'pxelinux.0', { deadlineMs: 10_000 });
    assert.ok(loader.data.length > 0, 'TFTP answered with the boot loader');
    assert.equal(settled, false, 'HTTP and TFTP answered while every power action still waited');

    const result = await powering;
    const seconds = (Date.now() - started) / 1000;
    assert.equal(result.code, 8);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, SYSTEMS);
    for (const line of lines) {
      assert.match(
        line,
        /^bootwright: System rack\d+: the Redfish BMC at 127\.0\.0\.1:\d+ did not answer in time\.$/,
      );
    }
    assert.ok(
      seconds < DEADLINE_SECONDS * 3,
      `all fifty failed together, not one after another (${seconds} s)`,
    );
    assert.doesNotMatch(result.stderr, /hush/);
  });
});
