import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { cutAfter, startOrigin } from '../../test/support/origin-server.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { makeCertificates } from '../../test/support/tls.js';
import { BootwrightError } from '../errors.js';
import { download, Pool } from './download.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function originWith(t: test.TestContext, files: Record<string, Buffer>) {
  const root = tempDir(t);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(root, name), body);
  return startOrigin(t, root);
}

test('a connection cut mid-body resumes with Range on the next try and the file is whole and verified', async (t) => {
  const body = randomBytes(300_000);
  const origin = await originWith(t, { 'big.rpm': body });
  let cut = false;
  origin.hook = (path, _request, response, file) => {
    if (path !== '/big.rpm' || cut || !file) return false;
    cut = true;
    cutAfter(response, file, 100_000);
    return true;
  };
  const target = join(tempDir(t), 'big.rpm');
  const outcome = await download(
    {
      url: `${origin.url}/big.rpm`,
      label: 'big.rpm',
      target,
      size: body.length,
      checksum: { type: 'sha256', value: sha256(body) },
    },
    { retryDelayMs: 10 },
  );
  assert.equal(outcome.kind, 'downloaded');
  assert.deepEqual(readFileSync(target), body);
  const second = origin.requests.filter((r) => r.path === '/big.rpm')[1];
  assert.match(second?.range ?? '', /^bytes=\d+-$/);
  assert.equal(second?.status, 206);
  // Only the missing tail came the second time.
  assert.ok(outcome.kind === 'downloaded' && outcome.received < body.length);
  assert.equal(existsSync(`${target}.part`), false);
});

test('a server that ignores Range sends the whole file again and the result is still right', async (t) => {
  const body = randomBytes(50_000);
  const origin = await originWith(t, { 'a.rpm': body });
  let calls = 0;
  origin.hook = (_path, _request, response, file) => {
    calls += 1;
    if (!file) return false;
    if (calls === 1) cutAfter(response, file, 20_000);
    else response.writeHead(200, { 'content-length': file.length }).end(file);
    return true;
  };
  const target = join(tempDir(t), 'a.rpm');
  await download(
    { url: `${origin.url}/a.rpm`, label: 'a.rpm', target, checksum: { type: 'sha256', value: sha256(body) } },
    { retryDelayMs: 10 },
  );
  assert.deepEqual(readFileSync(target), body);
});

test('a wrong checksum fails with one line naming the file, after one fresh try', async (t) => {
  const body = Buffer.from('not what the metadata says');
  const origin = await originWith(t, { 'foo-1.0.rpm': body });
  const wrong = 'd'.repeat(64);
  const error = await download(
    {
      url: `${origin.url}/foo-1.0.rpm`,
      label: 'Packages/foo-1.0.rpm',
      target: join(tempDir(t), 'foo.rpm'),
      checksum: { type: 'sha256', value: wrong },
    },
    { retryDelayMs: 10 },
  ).catch((e: unknown) => e);
  assert.ok(error instanceof BootwrightError);
  assert.match(
    error.message,
    /^Packages\/foo-1\.0\.rpm from "http:\/\/127\.0\.0\.1:\d+\/foo-1\.0\.rpm" has SHA-256 /,
  );
  assert.ok(error.message.includes(sha256(body)) && error.message.includes(wrong));
  assert.doesNotMatch(error.message, /\n/);
  assert.equal(origin.downloadsOf('/foo-1.0.rpm').length, 2);
});

test('other checksum types are checked too (SHA-1 as createrepo -s sha writes it)', async (t) => {
  const body = Buffer.from('a package');
  const origin = await originWith(t, { 'p.rpm': body });
  const sha1 = createHash('sha1').update(body).digest('hex');
  const target = join(tempDir(t), 'p.rpm');
  const outcome = await download({
    url: `${origin.url}/p.rpm`,
    label: 'p.rpm',
    target,
    checksum: { type: 'sha1', value: sha1 },
  });
  assert.ok(outcome.kind === 'downloaded' && outcome.sha256 === sha256(body));
});

test('503 then 200: the download is retried with back-off and succeeds', async (t) => {
  const body = Buffer.from('repomd');
  const origin = await originWith(t, { 'repomd.xml': body });
  let failures = 1;
  origin.hook = (_path, _request, response) => {
    if (failures === 0) return false;
    failures -= 1;
    response.writeHead(503).end();
    return true;
  };
  const target = join(tempDir(t), 'repomd.xml');
  await download({ url: `${origin.url}/repomd.xml`, label: 'repomd.xml', target }, { retryDelayMs: 10 });
  assert.deepEqual(readFileSync(target), body);
  assert.deepEqual(
    origin.requests.map((r) => r.status),
    [503, 200],
  );
});

test('5xx on every try fails naming the file and the tries', async (t) => {
  const origin = await originWith(t, {});
  origin.hook = (_path, _request, response) => {
    response.writeHead(502).end();
    return true;
  };
  await assert.rejects(
    download(
      { url: `${origin.url}/x.rpm`, label: 'x.rpm', target: join(tempDir(t), 'x') },
      { tries: 2, retryDelayMs: 5 },
    ),
    /^BootwrightError: x\.rpm from "http:\/\/127\.0\.0\.1:\d+\/x\.rpm" failed 2 times \(HTTP 502\)/,
  );
  assert.equal(origin.requests.length, 2);
});

test('a 404 skips an optional file without retrying, and fails a required one naming it', async (t) => {
  const origin = await originWith(t, {});
  const dir = tempDir(t);
  const skipped = await download({
    url: `${origin.url}/repomd.xml.asc`,
    label: 'repodata/repomd.xml.asc',
    target: join(dir, 'asc'),
    optional: true,
  });
  assert.equal(skipped.kind, 'missing');
  assert.equal(origin.requests.length, 1);
  await assert.rejects(
    download({ url: `${origin.url}/gone.rpm`, label: 'Packages/gone.rpm', target: join(dir, 'gone') }),
    /Packages\/gone\.rpm is not at the origin .* answered HTTP 404/,
  );
});

test('redirects are followed, and an unchanged file answers 304 to its validators', async (t) => {
  const body = Buffer.from('moved');
  const origin = await originWith(t, { 'new.xml': body });
  origin.hook = (path, _request, response) => {
    if (path !== '/old.xml') return false;
    response.writeHead(302, { location: '/new.xml' }).end();
    return true;
  };
  const dir = tempDir(t);
  const first = await download({ url: `${origin.url}/old.xml`, label: 'old.xml', target: join(dir, 'a') });
  assert.deepEqual(readFileSync(join(dir, 'a')), body);
  assert.ok(first.kind === 'downloaded' && first.etag);
  const again = await download({
    url: `${origin.url}/new.xml`,
    label: 'new.xml',
    target: join(dir, 'b'),
    ifNoneMatch: first.kind === 'downloaded' ? first.etag : '',
  });
  assert.equal(again.kind, 'not-modified');
});

test('through an http:// proxy, the request line carries the absolute URL', async (t) => {
  const body = Buffer.from('via proxy');
  const origin = await originWith(t, { 'f.rpm': body });
  const seen: string[] = [];
  const proxy = http.createServer((request, response) => {
    seen.push(request.url ?? '');
    http.get(request.url ?? '', (upstream) => {
      response.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(response);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => proxy.close(resolve)));
  const target = join(tempDir(t), 'f.rpm');
  await download(
    { url: `${origin.url}/f.rpm`, label: 'f.rpm', target },
    { proxy: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` },
  );
  assert.deepEqual(readFileSync(target), body);
  assert.deepEqual(seen, [`${origin.url}/f.rpm`]);
});

test('the pool never runs more than its size at once', async () => {
  const pool = new Pool(3);
  let running = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 12 }, () =>
      pool.run(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
      }),
    ),
  );
  assert.equal(most, 3);
});

test('https:// directly and through an http:// proxy with CONNECT, trusting a given CA', async (t) => {
  const certificates = makeCertificates(tempDir(t));
  const body = randomBytes(40_000);
  const origin = https.createServer(
    { cert: readFileSync(certificates.cert), key: readFileSync(certificates.key) },
    (_request, response) => response.writeHead(200, { 'content-length': body.length }).end(body),
  );
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    origin.closeAllConnections();
    return new Promise((resolve) => origin.close(resolve));
  });
  const url = `https://127.0.0.1:${(origin.address() as AddressInfo).port}/p.rpm`;
  const tunnels: string[] = [];
  const sockets: Socket[] = [];
  const proxy = http.createServer((_request, response) => response.writeHead(405).end());
  proxy.on('connect', (request: http.IncomingMessage, client: Socket) => {
    tunnels.push(request.url ?? '');
    const [host = '', port = ''] = (request.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
    sockets.push(client, upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => proxy.close(resolve));
  });
  const ca = readFileSync(certificates.ca);
  const checksum = { type: 'sha256' as const, value: sha256(body) };
  const dir = tempDir(t);

  await download({ url, label: 'p.rpm', target: join(dir, 'direct'), checksum }, { ca });
  assert.deepEqual(readFileSync(join(dir, 'direct')), body);
  await download(
    { url, label: 'p.rpm', target: join(dir, 'tunnelled'), checksum },
    { ca, proxy: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` },
  );
  assert.deepEqual(readFileSync(join(dir, 'tunnelled')), body);
  assert.deepEqual(tunnels, [new URL(url).host]);
  // Without the CA, the origin's certificate is not trusted: one line, and no retry as if the network had failed.
  await assert.rejects(
    download({ url, label: 'p.rpm', target: join(dir, 'untrusted') }, { retryDelayMs: 60_000 }),
    /^BootwrightError: "https:\/\/127\.0\.0\.1:\d+\/p\.rpm": the origin's certificate is not trusted here \([A-Z_]+\); add its CA/,
  );
});
