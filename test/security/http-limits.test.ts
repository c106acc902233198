// Limits at the HTTP edge (issue 16), on the real server listening on loopback: a request body is counted as it
// arrives, chunked or not, and the server stops reading at 4 MiB on every route that reads one; event streams,
// connections and page sizes are bounded; requests that name nothing leave no event; an expensive read needs a
// token; a malformed percent-escape is the client's 400, never the server's 500 and stack trace. Bodies go out as
// raw bytes over a plain socket, so that what the server read and when it stopped is what the test sees.

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createApp } from '../../src/api/app.js';
import { maxLimit } from '../../src/api/paging.js';
import { maxEventPathLength } from '../../src/api/request-events.js';
import { readSharedSecret } from '../../src/auth/shared-secret.js';
import { dataPaths } from '../../src/config/paths.js';
import { maxBodyBytes } from '../../src/http/request-body.js';
import { listenHttp } from '../../src/http/server.js';
import { apiFixture } from '../support/api-fixture.js';
import { sharedBootFiles } from '../support/boot-files.js';
import { runCli } from '../support/cli.js';
import { servedWithToken } from '../support/served.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const bodyBytes = 64 * 1024 * 1024;

interface Upload {
  status: number;
  body: string;
  /** Body bytes the client wrote before the server closed the connection (or all of them). */
  sent: number;
  /** Whether the whole body went out. */
  finished: boolean;
}

/** Opens a socket to the server on loopback; its errors (a reset once the server closes) are expected. */
async function open(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('The connection closed before it opened.')));
  });
  return socket;
}

/** Resolves on the first of `events` on `socket`, and forgets the others. */
function firstOf(socket: Socket, events: string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const event of events) socket.off(event, done);
      resolve();
    };
    for (const event of events) socket.on(event, done);
  });
}

/**
 * Sends `total` bytes of body as fast as the server takes them, chunked or with a Content-Length, like a client
 * that does not read the answer until it has sent everything (curl -T), and stops only when the server closes.
 */
async function upload(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  framing: 'chunked' | 'length',
  total = bodyBytes,
): Promise<Upload> {
  const socket = await open(port);
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  let closed = false;
  const gone = firstOf(socket, ['close']).then(() => {
    closed = true;
  });
  const head = Object.entries({
    host: '127.0.0.1',
    ...headers,
    ...(framing === 'chunked' ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(total) }),
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`${method} ${path} HTTP/1.1\r\n${head}\r\n`);
  const chunk = Buffer.alloc(64 * 1024, ' ');
  const frame =
    framing === 'chunked'
      ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
      : chunk;
  let sent = 0;
  while (sent < total && !closed && socket.writable) {
    const more = socket.write(frame);
    sent += chunk.length;
    if (!more) await firstOf(socket, ['drain', 'close']);
  }
  const finished = sent >= total;
  if (finished && framing === 'chunked' && socket.writable) socket.write('0\r\n\r\n');
  // A server that read it all answers and keeps the connection for the next request: wait for the answer only.
  await Promise.race([gone, delay(finished ? 2000 : 10_000)]);
  socket.destroy();
  const text = Buffer.concat(received).toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4), sent, finished };
}

/** The growth of the process's array buffers (where request bodies live) while `work` runs, at its highest. */
async function peakBufferGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  };
  const sampler = setInterval(sample, 5);
  try {
    const result = await work();
    sample();
    return { result, growth: peak - base };
  } finally {
    clearInterval(sampler);
  }
}

/** A served inventory with distro d, profile p, system vm9 and install log upload on. */
async function servedWithSystem(t: TestContext) {
  const served = await servedWithToken(t);
  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${served.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${served.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.text()}`);
  };
  await call('PUT', '/settings/anamon_enabled', { value: true });
  await call('POST', '/distros', { name: 'd', kernel: bootFiles.kernel, initrd: bootFiles.initrd });
  await call('POST', '/profiles', { name: 'p', distro: 'd' });
  await call('POST', '/systems', { name: 'vm9', profile: 'p' });
  return { ...served, port: served.server.port, call };
}

describe('request bodies at the HTTP edge', () => {
  it('stops reading a 64 MiB chunked body at the 4 MiB limit on every route that reads one, with a 413', async (t) => {
    const { port, base, token } = await servedWithSystem(t);
    const routes: [string, string, Record<string, string>][] = [
      ['POST', '/api/v1/login', { 'content-type': 'application/json' }],
      ['POST', '/api/v1/systems', { 'content-type': 'application/json', authorization: `Bearer ${token}` }],
      ['POST', '/api/v1/systems/vm9/koan', { 'content-type': 'application/json' }],
      ['POST', '/cobbler_api', { 'content-type': 'text/xml' }],
      ['PUT', '/api/v1/systems/vm9/logs/anaconda.log', {}],
      ['POST', '/api/v1/systems/vm9/logs/anaconda.log', {}],
    ];
    for (const [method, path, headers] of routes) {
      for (const framing of ['chunked', 'length'] as const) {
        const what = `${method} ${path} (${framing})`;
        const { result, growth } = await peakBufferGrowth(() => upload(port, method, path, headers, framing));
        assert.equal(result.status, 413, `${what}: ${result.body}`);
        assert.match(
          result.body,
          new RegExp(
            `^\\{"error":\\{"code":"E_TOO_LARGE","message":"Request body[^"]* is over the ${maxBodyBytes}-byte limit; send at most ${maxBodyBytes} bytes per request\\."\\}\\}$`,
          ),
          what,
        );
        // It stopped reading: the client could not hand over more than the limit and what the two sockets'
        // kernel buffers hold before the server closed the connection, far from the whole body.
        assert.ok(
          !result.finished && result.sent < bodyBytes / 2,
          `${what}: the client sent ${result.sent} bytes`,
        );
        // And held no more than about the limit: not the 64 MiB (or twice that) of a buffered body.
        assert.ok(growth < 24 * 1024 * 1024, `${what}: array buffers grew by ${growth} bytes`);
      }
    }
    assert.equal((await fetch(`${base}/api/v1/version`)).status, 200, 'the server carries on');
  });

  it('reads a chunked body under the limit whole, as before', async (t) => {
    const { base, dataDir } = await servedWithToken(t);
    const password = readSharedSecret(dataPaths(dataDir).sharedSecret) as string;
    const json = Buffer.from(JSON.stringify({ username: '', password }));
    // A stream body goes out chunked, in two chunks here.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(json.subarray(0, 10));
        controller.enqueue(json.subarray(10));
        controller.close();
      },
    });
    const login = await fetch(`${base}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    assert.equal(login.status, 200, await login.clone().text());
    assert.match(((await login.json()) as { token: string }).token, /\S{16,}/);
  });
});

/** Opens GET /api/v1/events/stream from `localAddress`; an answer other than 200 is read whole. */
function openEventStream(
  port: number,
  localAddress: string,
): Promise<{ status: number; body: string; close(): void }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: '127.0.0.1', port, path: '/api/v1/events/stream', localAddress, agent: false },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status === 200) {
          resolve({ status, body: '', close: () => outgoing.destroy() });
          return;
        }
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status, body, close: () => {} }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('open resources at the HTTP edge', () => {
  it('caps event streams per client address (429) and in total (503), and frees a slot when a stream closes', async (t) => {
    const { server } = await servedWithToken(t);
    const port = server.port;
    const opened: { close(): void }[] = [];
    t.after(() => {
      for (const stream of opened) stream.close();
    });
    const perClient = 8;
    const total = 128;
    for (let i = 0; i < perClient; i++) {
      const stream = await openEventStream(port, '127.0.0.1');
      assert.equal(stream.status, 200);
      opened.push(stream);
    }
    const ninth = await openEventStream(port, '127.0.0.1');
    assert.equal(ninth.status, 429, ninth.body);
    assert.match(
      ninth.body,
      /127\.0\.0\.1 already has 8 event streams open, the most one address may; close one first\./,
    );

    // Every address of 127/8 is this host's, so other clients are other loopback addresses.
    for (let client = 2; opened.length < total; client++) {
      for (let i = 0; i < perClient && opened.length < total; i++) {
        const stream = await openEventStream(port, `127.0.0.${client}`);
        assert.equal(stream.status, 200, `stream ${opened.length + 1}: ${stream.body}`);
        opened.push(stream);
      }
    }
    const over = await openEventStream(port, '127.0.0.200');
    assert.equal(over.status, 503, over.body);
    assert.match(
      over.body,
      /This server already has 128 event streams open, the most it allows; try again when one closes\./,
    );

    (opened.pop() as { close(): void }).close();
    let again = await openEventStream(port, '127.0.0.200');
    for (let tries = 0; again.status !== 200 && tries < 100; tries++) {
      await delay(20);
      again = await openEventStream(port, '127.0.0.200');
    }
    assert.equal(again.status, 200, 'a closed stream gives its slot back');
    opened.push(again);
  });

  it('closes connections past the listener maximum at once, and serves those it keeps', async (t) => {
    const fixture = await apiFixture(t);
    const http = await listenHttp(createApp(fixture.services), {
      host: '127.0.0.1',
      port: 0,
      maxConnections: 4,
    });
    t.after(() => http.close());
    const version = async (socket: Socket): Promise<string> => {
      const answer = new Promise<string>((resolve) => {
        let text = '';
        const onData = (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (text.includes('"bootwright"')) {
            socket.off('data', onData);
            resolve(text.slice(0, 12));
          }
        };
        socket.on('data', onData);
        socket.once('close', () => resolve(text.slice(0, 12) || 'closed'));
      });
      socket.write('GET /api/v1/version HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
      return answer;
    };
    const kept: Socket[] = [];
    t.after(() => {
      for (const socket of kept) socket.destroy();
    });
    for (let i = 0; i < 4; i++) {
      const socket = await open(http.port);
      kept.push(socket);
      assert.equal(await version(socket), 'HTTP/1.1 200');
    }
    const fifth = await open(http.port);
    assert.equal(await version(fifth), 'closed', 'the fifth connection is closed unanswered');
    assert.equal(await version(kept[0] as Socket), 'HTTP/1.1 200', 'the four kept are served');

    (kept.shift() as Socket).destroy();
    let answer = 'closed';
    for (let tries = 0; answer === 'closed' && tries < 100; tries++) {
      await delay(20);
      const socket = await open(http.port);
      kept.push(socket);
      answer = await version(socket);
    }
    assert.equal(answer, 'HTTP/1.1 200', 'a closed connection frees its place');
  });

  it(`refuses a page larger than ${maxLimit} items, saying how to page, on every list that takes limit`, async (t) => {
    const { base } = await servedWithSystem(t);
    for (const path of ['/api/v1/events', '/api/v1/systems', '/api/v1/distros', '/api/v1/systems?name=vm*']) {
      const join = path.includes('?') ? '&' : '?';
      const over = await fetch(`${base}${path}${join}limit=1000000`);
      const text = await over.text();
      assert.equal(over.status, 400, `${path}: ${text}`);
      assert.match(
        text,
        /"limit 1000000 is over the maximum of 5000; ask for pages of at most 5000, moving on with offset= \(or after= for events\)\."/,
      );
      assert.equal((await fetch(`${base}${path}${join}limit=${maxLimit}`)).status, 200, path);
    }
  });

  it('lists more objects than one page through the CLI, which pages', async (t) => {
    const { base, dataDir, token } = await servedWithToken(t);
    const count = maxLimit + 3;
    const batch = await fetch(`${base}/api/v1/repos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        Array.from({ length: count }, (_, i) => ({ name: `r${i}`, mirror: 'http://192.0.2.1/r' })),
      ),
    });
    assert.equal(batch.status, 201, await batch.clone().text());
    const listed = await runCli(dataDir, `--server=${base}`, 'repo', 'list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout.trim().split('\n').length, count);
  });
});

describe('boot request events', () => {
  it('keeps none for unknown operations and objects, and cuts long paths', async (t) => {
    const { base, server } = await servedWithSystem(t);
    const long = 'x'.repeat(15_000);
    for (const path of [
      '/cblr/svc/op/bogus/system/vm9',
      `/cblr/svc/op/${long}`,
      '/cblr/svc/op/ks/system/nosuch',
      `/cblr/svc/op/ks/system/${long}`,
      '/cblr/svc/op/ks/profile/nosuch',
      '/cblr/svc/op/ipxe/system/nosuch',
      '/images/nosuch/vmlinuz',
      `/cobbler/images/${long}/vmlinuz`,
      '/distros/nosuch/.treeinfo',
      '/cblr/links/nosuch/',
      '/api/v1/systems/nosuch/autoinstall',
      '/api/v1/systems/nosuch/nopxe',
    ]) {
      const response = await fetch(`${base}${path}`, { method: path.endsWith('nopxe') ? 'POST' : 'GET' });
      assert.ok(response.status >= 400, `${path.slice(0, 60)}: ${response.status}`);
      await response.arrayBuffer();
    }
    // Known system, known operation: kept, with the path cut.
    assert.equal((await fetch(`${base}/cblr/svc/op/ks/system/vm9`)).status, 200);
    await (await fetch(`${base}/cblr/svc/op/ks/system/vm9/x/${long}`)).arrayBuffer();
    await server.events.flush();
    const { items } = (await (await fetch(`${base}/api/v1/events?type=http.`)).json()) as {
      items: { type: string; system?: string; detail: { path: string } }[];
    };
    assert.deepEqual(
      items.map((event) => [event.type, event.system, event.detail.path.slice(0, 40)]),
      [
        ['http.autoinstall', 'vm9', '/cblr/svc/op/ks/system/vm9'],
        ['http.autoinstall', 'vm9', '/cblr/svc/op/ks/system/vm9/x/xxxxxxxxxxx'],
      ],
    );
    assert.equal(items[1]?.detail.path.length, maxEventPathLength + '...'.length);
  });
});

describe('expensive reads', () => {
  it('validate-autoinstalls needs a token (a read-only one will do), and the CLI beside the server sends one', async (t) => {
    const fixture = await apiFixture(t);
    const open = await fixture.app.request('/api/v1/validate-autoinstalls');
    assert.equal(open.status, 401, await open.text());
    const viewer = await fixture.services.auth.login('viewer', 'secret-viewer');
    const read = await fixture.app.request('/api/v1/validate-autoinstalls', {
      headers: { authorization: `Bearer ${viewer}` },
    });
    assert.equal(read.status, 200, await read.text());

    const { base, dataDir } = await servedWithToken(t);
    const validated = await runCli(dataDir, `--server=${base}`, 'validate-autoinstalls');
    assert.equal(validated.code, 0, validated.stderr);
  });
});

describe('malformed percent-encoding', () => {
  it('answers 400 with one sentence naming the path, and logs nothing, wherever a path is decoded', async (t) => {
    const { base } = await servedWithSystem(t);
    const logged: unknown[] = [];
    t.mock.method(console, 'error', (...args: unknown[]) => logged.push(args));
    t.mock.method(process.stderr, 'write', (chunk: unknown) => {
      logged.push(chunk);
      return true;
    });
    const bad = '%E0%A4%A';
    for (const [method, path] of [
      ['GET', `/cblr/svc/op/ks/system/${bad}`],
      ['GET', `/cblr/svc/op/${bad}`],
      ['GET', `/api/v1/systems/${bad}`],
      ['GET', `/api/v1/systems/${bad}/autoinstall`],
      ['POST', `/api/v1/systems/${bad}/nopxe`],
      ['GET', `/api/v1/${bad}`],
      ['GET', `/api/v1/enc/${bad}`],
      ['GET', `/api/v1/systems/vm9/logs/${bad}`],
      ['PUT', `/api/v1/systems/vm9/logs/${bad}`],
      ['GET', `/images/d/${bad}`],
      ['GET', `/cobbler/images/${bad}/vmlinuz`],
      ['GET', `/distros/${bad}/`],
      ['GET', `/cblr/links/d/${bad}`],
      ['GET', `/${bad}`],
    ]) {
      const response = await fetch(`${base}${path}`, { method });
      const text = await response.text();
      assert.equal(response.status, 400, `${method} ${path}: ${text}`);
      const message = (JSON.parse(text) as { error: { message: string } }).error.message;
      assert.equal(
        message,
        `Path "${path}" is not valid percent-encoding: each % must be followed by two hex digits, together forming UTF-8 (such as %2F or %C3%A9).`,
      );
    }
    assert.deepEqual(logged, []);
  });
});
