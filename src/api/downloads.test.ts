import assert from 'node:assert/strict';
import { mkdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { apiFixture } from '../../test/support/api-fixture.js';
import { tempDir } from '../../test/support/temp-dir.js';
import type { EventBus } from '../events/event-bus.js';
import { listenHttp } from '../http/server.js';
import { mkisofs, needsXorriso, seededBytes } from '../iso9660/iso-images.fixture.js';
import type { EventInput } from '../store/store.js';
import { createApp } from './app.js';

/** A server on loopback whose downloads take the node:http path, beside the same app called without a socket. */
async function setup(t: TestContext) {
  const fixture = await apiFixture(t);
  const dir = tempDir(t);
  mkdirSync(join(dir, 'images'));
  const kernel = seededBytes(3 * 1024 * 1024 + 5, 1);
  const small = seededBytes(2048, 2);
  writeFileSync(join(dir, 'images/vmlinuz'), kernel);
  writeFileSync(join(dir, 'images/initrd.img'), small);
  writeFileSync(join(dir, '.treeinfo'), '[general]\n');
  const { inventory } = fixture.services;
  await inventory.add('distro', {
    name: 'on-disk',
    kernel: join(dir, 'images/vmlinuz'),
    initrd: join(dir, 'images/initrd.img'),
  });
  await inventory.add('distro', {
    name: 'tree',
    tree_source: dir,
    kernel: 'tree:images/vmlinuz',
    initrd: 'tree:images/initrd.img',
  });
  if (!needsXorriso) {
    await inventory.add('distro', {
      name: 'iso',
      tree_source: mkisofs(dir, join(tempDir(t), 'tree.iso'), ['-R', '-J']),
      kernel: 'tree:images/vmlinuz',
      initrd: 'tree:images/initrd.img',
    });
  }
  const events: EventInput[] = [];
  const app = createApp({
    ...fixture.services,
    events: { publish: (event: EventInput) => events.push(event) } as unknown as EventBus,
  });
  const http = await listenHttp(app, { host: '127.0.0.1', port: 0 });
  t.after(() => http.close());
  return { app, base: `http://127.0.0.1:${http.port}`, dir, kernel, small, events };
}

async function answer(response: Response) {
  const headers = Object.fromEntries(response.headers);
  // Set by node:http on a socket only.
  for (const name of ['date', 'connection', 'keep-alive']) delete headers[name];
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

describe('downloads on the node:http listener', () => {
  it('answer as the Hono routes do: whole files, ranges, ETags, HEAD, errors and directories', async (t) => {
    const { app, base } = await setup(t);
    const distros = needsXorriso ? ['on-disk', 'tree'] : ['on-disk', 'tree', 'iso'];
    const paths = distros.flatMap((distro) => [
      `/cobbler/images/${distro}/vmlinuz`,
      `/images/${distro}/initrd.img`,
      `/cobbler/images/${distro}/missing`,
    ]);
    paths.push(
      '/distros/tree/images/initrd.img',
      '/cblr/links/tree/.treeinfo?x=1',
      '/distros/tree/images',
      '/distros/tree/images/',
      '/distros/tree/nothing',
      '/distros/tree/images/%2e%2e/.treeinfo',
      '/distros/nobody/images/vmlinuz',
    );
    if (!needsXorriso) paths.push('/distros/iso/images/vmlinuz', '/distros/iso/.treeinfo');
    for (const path of paths) {
      const first = await fetch(`${base}${path}`, { redirect: 'manual' });
      const etag = first.headers.get('etag') ?? '';
      const requests: RequestInit[] = [
        {},
        { method: 'HEAD' },
        { headers: { range: 'bytes=2040-2100' } },
        { headers: { range: 'bytes=-7' } },
        { headers: { range: 'bytes=99999999-' } },
        { headers: { 'if-none-match': etag } },
        { headers: { range: 'bytes=0-3', 'if-range': '"stale"' } },
      ];
      await first.arrayBuffer();
      for (const init of requests) {
        const overSocket = await answer(await fetch(`${base}${path}`, { ...init, redirect: 'manual' }));
        const withoutSocket = await answer(await app.request(path, init));
        // Framing is the socket's: @hono/node-server measures a buffered body (an error's JSON) only when it writes it
        // to a socket, and node:http sends an empty body (a redirect's) chunked.
        if (!('content-length' in withoutSocket.headers)) delete overSocket.headers['content-length'];
        delete overSocket.headers['transfer-encoding'];
        assert.deepEqual(
          overSocket,
          withoutSocket,
          `${init.method ?? 'GET'} ${path} ${JSON.stringify(init.headers)}`,
        );
      }
    }
  });

  it('serve the whole kernel and report each download as an event', async (t) => {
    const { base, kernel, events } = await setup(t);
    const response = await fetch(`${base}/cobbler/images/on-disk/vmlinuz`);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), kernel);
    await (await fetch(`${base}/distros/tree/images/initrd.img`)).arrayBuffer();
    assert.deepEqual(
      events.map((event) => [event.type, event.detail, event.source]),
      [
        ['http.image', { path: '/cobbler/images/on-disk/vmlinuz', status: 200 }, '127.0.0.1'],
        ['http.tree', { path: '/distros/tree/images/initrd.img', status: 200 }, '127.0.0.1'],
      ],
    );
  });

  it('let a client go mid-download and keep serving', async (t) => {
    const { base, kernel } = await setup(t);
    for (const distro of needsXorriso ? ['on-disk', 'tree'] : ['on-disk', 'tree', 'iso']) {
      const abort = new AbortController();
      const response = await fetch(`${base}/cobbler/images/${distro}/vmlinuz`, { signal: abort.signal });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      abort.abort();
      await reader.read().catch(() => undefined);
      const again = await fetch(`${base}/cobbler/images/${distro}/vmlinuz`);
      assert.deepEqual(Buffer.from(await again.arrayBuffer()), kernel);
    }
  });

  it('serve a changed small file on the next request', async (t) => {
    const { base, dir, small } = await setup(t);
    for (const url of [`${base}/images/on-disk/initrd.img`, `${base}/distros/tree/images/initrd.img`]) {
      assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), small);
    }
    // Same size, same mtime: only the inode or ctime tells the new bytes apart.
    const changed = seededBytes(2048, 3);
    writeFileSync(join(dir, 'images/initrd.img.new'), changed);
    utimesSync(join(dir, 'images/initrd.img.new'), new Date(0), new Date(0));
    renameSync(join(dir, 'images/initrd.img.new'), join(dir, 'images/initrd.img'));
    for (const url of [`${base}/images/on-disk/initrd.img`, `${base}/distros/tree/images/initrd.img`]) {
      assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), changed);
    }
  });
});
