import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { Hono } from 'hono';
import {
  addDownloadRoute,
  type DownloadRoute,
  downloadFastPath,
  type ServedDownload,
} from './download-route.js';
import { setFastPath } from './fast-path.js';
import type { FileSource } from './file-response.js';
import { listenHttp } from './server.js';

const bytes = Buffer.from('kernel bytes\n');
const source: FileSource = {
  size: bytes.length,
  mtimeMs: 1_700_000_000_000,
  read: (start, end) => Readable.from([bytes.subarray(start, end + 1)]),
};

/** `/files/NAME`: `kernel` is a file, `moved` a redirect, anything else nothing. */
async function serve(t: TestContext) {
  const served: [string, ServedDownload][] = [];
  const files: DownloadRoute<string> = {
    paths: ['/files/:name'],
    match: (path) => {
      const name = /^\/files\/([^/]+)$/.exec(path)?.[1];
      return name === undefined ? undefined : decodeURIComponent(name);
    },
    find: async (name) => {
      if (name === 'kernel') return { kind: 'file', source, contentType: 'text/plain' };
      if (name === 'moved')
        return { kind: 'answer', answer: (context) => context.redirect('/files/kernel', 302) };
      throw new Error(`no ${name}`);
    },
    served: (name, answered) => void served.push([name, answered]),
  };
  const app = new Hono();
  app.onError((_, context) => context.text('none', 404));
  addDownloadRoute(app, files);
  setFastPath(app, downloadFastPath([files]));
  const http = await listenHttp(app, { host: '127.0.0.1', port: 0 });
  t.after(() => http.close());
  return { app, base: `http://127.0.0.1:${http.port}`, served };
}

describe('a download route', () => {
  it('answers alike through its Hono route and on the fast path, which alone reports what it sent', async (t) => {
    const { app, base, served } = await serve(t);
    for (const init of [{}, { method: 'HEAD' }, { headers: { range: 'bytes=2-5' } }]) {
      const fast = await fetch(`${base}/files/kernel?x=1`, init);
      const routed = await app.request('/files/kernel?x=1', init);
      assert.equal(fast.status, routed.status);
      assert.equal(fast.headers.get('content-range'), routed.headers.get('content-range'));
      assert.equal(fast.headers.get('etag'), routed.headers.get('etag'));
      assert.equal(await fast.text(), await routed.text());
    }
    assert.deepEqual(
      served.map(([name, { path, status, remote }]) => [name, path, status, remote]),
      [
        ['kernel', '/files/kernel', 200, '127.0.0.1'],
        ['kernel', '/files/kernel', 200, '127.0.0.1'],
        ['kernel', '/files/kernel', 206, '127.0.0.1'],
      ],
    );
  });

  it('leaves to the app what is no file and what is not a plain path', async (t) => {
    const { base, served } = await serve(t);
    const moved = await fetch(`${base}/files/moved`, { redirect: 'manual' });
    assert.equal(moved.status, 302);
    assert.equal((await fetch(`${base}/files/nothing`)).status, 404);
    const escaped = await fetch(`${base}/files/k%65rnel`);
    assert.equal(escaped.status, 200);
    assert.equal(await escaped.text(), bytes.toString());
    assert.deepEqual(served, [], 'the app answered all three');
  });
});
