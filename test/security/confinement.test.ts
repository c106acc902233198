// Confinement (issue 10): the real server, listening, with a distro tree and a TFTP file root that each hold
// symlinks pointing out of them. Over HTTP and TFTP, `..`, absolute paths, percent-encoded and backslash traversal,
// NUL bytes and the symlinks are all refused, and no byte of the files outside ever comes back. Requests go out as
// raw bytes (HTTP over a plain socket, TFTP over UDP) so that no client library tidies the path first.

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { startServer } from '../../src/serve.js';
import { parseTftpPacket, serializeTftpPacket } from '../../src/tftp/packet.js';
import { freeUdpPort } from '../support/free-port.js';
import { configureStore } from '../support/guest-run.js';
import { serveTestRootsCommand } from '../support/served-roots.js';
import { tempDir } from '../support/temp-dir.js';

const SECRET = 'root:x:0:0:secret-outside-the-root';

async function serveWithEscapes(t: TestContext) {
  const dataDir = tempDir(t);
  const outside = tempDir(t);
  writeFileSync(join(outside, 'passwd'), SECRET);
  const tree = join(tempDir(t), 'tree');
  mkdirSync(join(tree, 'images'), { recursive: true });
  writeFileSync(join(tree, 'images', 'vmlinuz'), 'kernel');
  writeFileSync(join(tree, 'images', 'initrd.img'), 'initrd');
  symlinkSync(outside, join(tree, 'escape'));
  symlinkSync(join(outside, 'passwd'), join(tree, 'passwd-link'));
  const tftpRoot = tempDir(t);
  writeFileSync(join(tftpRoot, 'hello.txt'), 'loader');
  symlinkSync(outside, join(tftpRoot, 'escape'));
  symlinkSync(join(outside, 'passwd'), join(tftpRoot, 'passwd-link'));
  await configureStore(dataDir, [
    [...serveTestRootsCommand],
    ['setting', 'edit', '--name=tftp_root', `--value=${tftpRoot}`],
    [
      ...['distro', 'add', '--name=d', '--kernel=tree:images/vmlinuz', '--initrd=tree:images/initrd.img'],
      `--tree-source=${tree}`,
    ],
  ]);
  const tftpPort = await freeUdpPort();
  const server = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort });
  t.after(() => server.stop());
  return { port: server.port, tftpPort: server.tftpPort as number, outside };
}

/** Sends one request line exactly as given and returns the status and body. */
async function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
  await once(socket, 'close');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), body: text };
}

async function tftpGet(port: number, filename: string): Promise<string> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  try {
    socket.send(
      serializeTftpPacket({ type: 'RRQ', filename, mode: 'octet', options: new Map() }),
      port,
      '127.0.0.1',
    );
    const received = await Promise.race([
      once(socket, 'message') as Promise<[Buffer, { port: number }]>,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 3000)),
    ]);
    assert.ok(received, `no answer to RRQ ${JSON.stringify(filename)}`);
    const packet = parseTftpPacket(received[0]);
    if (packet.type === 'ERROR') return `ERROR ${packet.code}`;
    if (packet.type === 'DATA') {
      // Answer nothing further: the transfer times out on its own.
      return `DATA ${packet.data.toString('latin1')}`;
    }
    return packet.type;
  } finally {
    socket.close();
  }
}

const httpEscapes = [
  '/distros/d/../../../../../etc/passwd',
  '/distros/d/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/distros/d/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
  '/distros/d/..%2f..%2f..%2fescape/passwd',
  '/distros/d/%2fetc%2fpasswd',
  '/distros/d//etc/passwd',
  '/distros/d/..\\..\\..\\etc\\passwd',
  '/distros/d/..%5c..%5c..%5cetc%5cpasswd',
  '/distros/d/escape/passwd',
  '/distros/d/passwd-link',
  '/distros/d/images/..%00/passwd',
  '/distros/d/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
  '/cblr/links/d/escape/passwd',
  '/cblr/links/d/passwd-link',
  '/distros/..%2f..%2fetc/passwd',
  '/distros/%2e%2e/passwd',
  '/images/../../../etc/passwd',
  '/cobbler/images/d/../../../../etc/passwd',
  '/cobbler/images/d/%2e%2e%2f%2e%2e%2fpasswd',
];

const tftpEscapes = [
  '../../../../etc/passwd',
  '/etc/passwd',
  'escape/passwd',
  'passwd-link',
  'pxelinux.cfg/../../../../../etc/passwd',
  'images/d/../../../../etc/passwd',
  'images/d/..\\..\\..\\etc\\passwd',
  '..\\..\\..\\etc\\passwd',
  './escape/passwd',
  'images/../escape/passwd',
];

describe('file serving stays inside its roots', () => {
  it('refuses every traversal and symlink out of the tree over HTTP', async (t) => {
    const { port, outside } = await serveWithEscapes(t);
    const good = await rawGet(port, '/distros/d/images/vmlinuz');
    assert.equal(good.status, 200);
    assert.match(good.body, /kernel$/);
    for (const path of [...httpEscapes, `/distros/d/${outside}/passwd`]) {
      const { status, body } = await rawGet(port, path);
      assert.doesNotMatch(body, /secret-outside-the-root/, `${path} leaked the file outside`);
      assert.ok(status >= 400 && status < 500, `${path}: status ${status}`);
    }
  });

  it('refuses every traversal and symlink out of its roots over TFTP', async (t) => {
    const { tftpPort, outside } = await serveWithEscapes(t);
    assert.equal(await tftpGet(tftpPort, 'hello.txt'), 'DATA loader');
    assert.equal(await tftpGet(tftpPort, 'images/d/vmlinuz'), 'DATA kernel');
    for (const filename of [...tftpEscapes, join(outside, 'passwd')]) {
      const answer = await tftpGet(tftpPort, filename);
      assert.doesNotMatch(answer, /secret-outside-the-root/, `${filename} leaked the file outside`);
      assert.match(answer, /^ERROR [12]$/, `${filename}: ${answer}`);
    }
  });
});
