// `serve --port=N` (the README's way to run as another user) and the port in the URLs installers are handed must
// agree (issue 18, item 3): without an http_port setting, --port is that port too; with an http_port that differs
// (a forward from port 80, say), serve and check each say so in one line, naming both ports and the fix.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { runCli } from '../test/support/cli.js';
import { tempDir } from '../test/support/temp-dir.js';
import { dataPaths } from './config/paths.js';
import { startServer } from './serve.js';

/** A TCP port on loopback that nothing holds right now (serve must be given a port of its own, not 0). */
async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function siteWithSystem(t: TestContext): Promise<string> {
  const dataDir = tempDir(t);
  for (const command of [
    ['setting', 'edit', '--name=server', '--value=192.0.2.1'],
    [
      'distro',
      'add',
      '--name=d1',
      '--kernel=http://198.51.100.7/vmlinuz',
      '--initrd=http://198.51.100.7/initrd.img',
      '--breed=redhat',
      '--os-version=rhel9',
    ],
    ['profile', 'add', '--name=p1', '--distro=d1'],
    ['system', 'add', '--name=vm9', '--profile=p1', '--mac=52:54:00:00:00:09'],
  ]) {
    const result = await runCli(dataDir, ...command);
    assert.equal(result.code, 0, `${command.join(' ')}: ${result.stderr}`);
  }
  return dataDir;
}

/** Where koan and the templates are told to find this server (`http_server`, which every install URL starts with). */
async function httpServerSaid(port: number): Promise<string> {
  const rendered = (await (await fetch(`http://127.0.0.1:${port}/api/v1/systems/vm9/rendered`)).json()) as {
    http_server: string;
  };
  return rendered.http_server;
}

describe('serve --port and the port in install URLs', () => {
  it('hands installers the port serve listens on when no http_port is set', async (t: TestContext) => {
    const dataDir = await siteWithSystem(t);
    const port = await freeTcpPort();
    const running = await startServer({ dataDir, host: '127.0.0.1', port, tftpPort: 0 });
    t.after(() => running.stop());
    assert.equal(running.port, port);
    assert.equal(await httpServerSaid(port), `192.0.2.1:${port}`);
    const ipxe = await (await fetch(`http://127.0.0.1:${port}/cblr/svc/op/ipxe/system/vm9`)).text();
    assert.match(ipxe, new RegExp(`http://192\\.0\\.2\\.1:${port}/cblr/svc/op/autoinstall/system/vm9`));
    assert.deepEqual(
      running.notices.filter((notice) => /port/.test(notice)),
      [],
      'nothing to explain when they agree',
    );
    const check = await runCli(dataDir, 'check');
    assert.doesNotMatch(check.stdout, /serve listens on port/);
  });

  it('says in one line, in serve and in check, why an explicit http_port differs', async (t: TestContext) => {
    const dataDir = await siteWithSystem(t);
    assert.equal((await runCli(dataDir, 'setting', 'edit', '--name=http_port', '--value=80')).code, 0);
    const port = await freeTcpPort();
    const running = await startServer({ dataDir, host: '127.0.0.1', port, tftpPort: 0 });
    t.after(() => running.stop());
    assert.equal(await httpServerSaid(port), '192.0.2.1');
    const said = running.notices.filter((notice) => /port/.test(notice));
    assert.equal(said.length, 1, said.join('\n'));
    assert.match(
      said[0] as string,
      new RegExp(`^serve listens on port ${port} but install URLs say port 80 `),
    );
    assert.match(said[0] as string, new RegExp(`setting edit --name=http_port --value=${port}`));

    const check = await runCli(dataDir, 'check');
    assert.equal(check.code, 2);
    const lines = check.stdout.split('\n');
    const problem = lines.findIndex((line) => /port 80 \(the http_port setting\)/.test(line));
    assert.match(
      lines[problem] ?? '',
      new RegExp(`Installers are told port 80 .* serve listens on port ${port}\\.$`),
    );
    assert.match(
      lines[problem + 1] ?? '',
      new RegExp(
        `fix: Forward port 80 to ${port}, or bootwright setting edit --name=http_port --value=${port}`,
      ),
    );

    await running.stop();
    assert.equal(existsSync(dataPaths(dataDir).serveRecord), false, 'serve forgets its ports when it stops');
    const after = await runCli(dataDir, 'check');
    assert.doesNotMatch(after.stdout, /serve listens on port/);
  });
});
