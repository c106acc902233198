// Kernel and initrd downloads: served by a real bootwright HTTP stack (Range, Content-Length), resumed after an
// interruption, reused when whole, refused when short; progress as plain lines when stdout is not a terminal.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import { cachePathFor, downloadToCache } from './download.js';

/** Serves `body` with Range support, counting the bytes it sends; `short` makes it send less than it announces. */
async function fileServer(t: TestContext, body: Buffer, short = false) {
  const stats = { sent: 0, ranges: [] as string[] };
  const server = createServer((request, response) => {
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (range) stats.ranges.push(request.headers.range as string);
    response.writeHead(range ? 206 : 200, { 'content-length': String(body.length - start) });
    if (request.method === 'HEAD') return response.end();
    const chunk = body.subarray(start, short ? Math.floor(body.length / 2) : body.length);
    stats.sent += chunk.length;
    if (short) {
      // Half the file, then the connection drops.
      response.write(chunk, () => setTimeout(() => response.destroy(), 50));
      return;
    }
    response.end(chunk);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/images/d1/vmlinuz`, stats };
}

describe('koan downloads', () => {
  it('resumes a partial download with a Range request and reuses a whole one', async (t) => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    body.write('the end', body.length - 7);
    const { url, stats } = await fileServer(t, body);
    const cache = tempDir(t);
    const target = cachePathFor(cache, url);
    writeFileSync(`${target}.part`, body.subarray(0, 1024 * 1024));
    let progress = '';
    const path = await downloadToCache(url, cache, { write: (text: string) => (progress += text) }, 'kernel');
    assert.equal(path, target);
    assert.ok(readFileSync(path).equals(body));
    assert.deepEqual(stats.ranges, ['bytes=1048576-']);
    assert.equal(stats.sent, 2 * 1024 * 1024, 'only the missing part was sent');
    assert.equal(existsSync(`${target}.part`), false);
    assert.match(progress, /^kernel: 1\.0 MB of 3\.0 MB\n[\s\S]*kernel: 3\.0 MB of 3\.0 MB\n$/);
    assert.doesNotMatch(progress, /\r/, 'no redrawing when stdout is not a terminal');

    await downloadToCache(url, cache, { write: () => true }, 'kernel');
    assert.equal(stats.sent, 2 * 1024 * 1024, 'a whole cached copy is not fetched again');
  });

  it('refuses a download that ends short, keeping the part for the next try', async (t) => {
    const body = Buffer.alloc(1024 * 1024, 1);
    const { url } = await fileServer(t, body, true);
    const cache = tempDir(t);
    await assert.rejects(
      downloadToCache(url, cache, { write: () => true }, 'initrd'),
      /Download of http:\/\/127\.0\.0\.1:\d+\/images\/d1\/vmlinuz stopped at \d+ of 1048576 bytes; run the same command again to resume it\./,
    );
    assert.equal(
      existsSync(cachePathFor(cache, url)),
      false,
      'no short file takes the place of the whole one',
    );
  });
});
