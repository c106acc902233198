// The server over real UDP on 127.0.0.1, driven by a small scripted peer for what real clients cannot be made to
// do (a stranger's packet, an ERROR 8 after the OACK, garbage). Real clients are in interop.test.ts.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { type TestContext, test } from 'node:test';
import { fuzzPackets } from './fuzz-packets.fixture.js';
import { parseTftpPacket, serializeTftpPacket, type TftpOptions, type TftpPacket } from './packet.js';
import { fileRootRoute, type TftpRoute } from './routes.js';
import { startTftpServer, type TftpEvent } from './server.js';
import { rootWith, serve, until } from './test-server.fixture.js';

interface Received {
  packet: TftpPacket;
  port: number;
}

/** A UDP peer that records what it receives and lets a test wait for the next packet. */
class Peer {
  private readonly inbox: Received[] = [];
  private waiter: (() => void) | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('message', (bytes, from) => {
      this.inbox.push({ packet: parseTftpPacket(bytes), port: from.port });
      this.waiter?.();
    });
  }

  /** A peer on `address`: any of 127.0.0.0/8, which is all loopback. */
  static async open(t: TestContext, address = '127.0.0.1'): Promise<Peer> {
    const socket = createSocket('udp4');
    socket.bind(0, address);
    await once(socket, 'listening');
    t.after(() => socket.close());
    return new Peer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(packet: TftpPacket | Buffer, port: number): void {
    this.socket.send(Buffer.isBuffer(packet) ? packet : serializeTftpPacket(packet), port, '127.0.0.1');
  }

  async next(timeoutMs = 2000): Promise<Received | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.inbox.shift();
  }

  /**
   * Waits long: a server's first transfer starts its transfer thread, which under the TypeScript loader took up to
   * 1.8 s on a busy machine (load 7), and a wait that expects an answer costs only what it takes.
   */
  async expect(timeoutMs = 10_000): Promise<Received> {
    const received = await this.next(timeoutMs);
    assert.ok(received, 'expected a packet from the server');
    return received;
  }

  /** Reads a file the way an RFC 7440 client does: ACK at the end of each window or after a gap. */
  async fetch(serverPort: number, filename: string, options: TftpOptions = new Map()): Promise<Buffer> {
    const blockSize = Number(options.get('blksize') ?? 512);
    const windowSize = Number(options.get('windowsize') ?? 1);
    const request: TftpPacket = { type: 'RRQ', filename, mode: 'octet', options };
    this.send(request, serverPort);
    const chunks: Buffer[] = [];
    let tid: number | undefined;
    let good = 0;
    for (;;) {
      const received = await this.next(500);
      if (!received) {
        if (tid === undefined) this.send(request, serverPort);
        else this.send({ type: 'ACK', block: good & 0xffff }, tid);
        continue;
      }
      const { packet, port } = received;
      tid ??= port;
      if (packet.type === 'ERROR') throw new Error(`ERROR ${packet.code} ${packet.message}`);
      if (packet.type === 'OACK') {
        this.send({ type: 'ACK', block: 0 }, tid);
        continue;
      }
      if (packet.type !== 'DATA') continue;
      if (packet.block !== ((good + 1) & 0xffff)) {
        this.send({ type: 'ACK', block: good & 0xffff }, tid);
        continue;
      }
      good++;
      chunks.push(packet.data);
      const last = packet.data.length < blockSize;
      if (last || good % windowSize === 0) this.send({ type: 'ACK', block: packet.block }, tid);
      if (last) return Buffer.concat(chunks);
    }
  }
}

test('a read request is served from a new port, and reported as requested then sent', async (t) => {
  const data = randomBytes(3000);
  const { server, events } = await serve(t, [fileRootRoute(rootWith(t, { 'pxelinux.0': data }))]);
  const peer = await Peer.open(t);
  assert.deepEqual(await peer.fetch(server.port, '/pxelinux.0'), data);
  await until(() => events.length === 2);
  const client = { address: '127.0.0.1', port: peer.port };
  const route = `files:${events[1]?.route?.slice(6)}`;
  assert.deepEqual(events, [
    { type: 'tftp.requested', client, path: '/pxelinux.0', route: undefined, bytes: 0 },
    { type: 'tftp.sent', client, path: '/pxelinux.0', route, bytes: 3000 },
  ]);
});

test('the transfer uses its own port (RFC 1350 TID), not the listening one', async (t) => {
  const { server } = await serve(t, [fileRootRoute(rootWith(t, { f: 'x' }))]);
  const peer = await Peer.open(t);
  peer.send({ type: 'RRQ', filename: 'f', mode: 'octet', options: new Map() }, server.port);
  const { packet, port } = await peer.expect();
  assert.equal(packet.type, 'DATA');
  assert.notEqual(port, server.port);
});

test('WRQ is refused with ERROR 2: the server is read-only', async (t) => {
  const { server } = await serve(t, [fileRootRoute(rootWith(t, {}))]);
  const peer = await Peer.open(t);
  peer.send({ type: 'WRQ', filename: 'upload', mode: 'octet', options: new Map() }, server.port);
  assert.deepEqual((await peer.expect()).packet, {
    type: 'ERROR',
    code: 2,
    message: 'This TFTP server is read-only',
  });
});

test('a missing file gets ERROR 1 and an escape ERROR 2, both reported as failed', async (t) => {
  const { server, events } = await serve(t, [fileRootRoute(rootWith(t, {}))]);
  const peer = await Peer.open(t);
  peer.send({ type: 'RRQ', filename: 'missing.cfg', mode: 'octet', options: new Map() }, server.port);
  assert.deepEqual((await peer.expect()).packet, { type: 'ERROR', code: 1, message: 'File not found' });
  peer.send({ type: 'RRQ', filename: '../../etc/passwd', mode: 'octet', options: new Map() }, server.port);
  assert.deepEqual((await peer.expect()).packet, { type: 'ERROR', code: 2, message: 'Access violation' });
  await until(() => events.length === 4);
  assert.deepEqual(
    events.filter((e) => e.type === 'tftp.failed').map((e) => e.error),
    ['No route serves TFTP path "missing.cfg"', 'TFTP path "../../etc/passwd" contains ".."'],
  );
});

test('a route that fails unexpectedly gets ERROR 0, without its details on the wire', async (t) => {
  const broken: TftpRoute = {
    name: 'broken',
    resolve: async () => {
      throw new Error('database is locked');
    },
  };
  const { server, events } = await serve(t, [broken]);
  const peer = await Peer.open(t);
  peer.send({ type: 'RRQ', filename: 'x', mode: 'octet', options: new Map() }, server.port);
  assert.deepEqual((await peer.expect()).packet, { type: 'ERROR', code: 0, message: 'Internal error' });
  await until(() => events.length === 2);
  assert.equal(events[1]?.error, 'Internal error: database is locked');
});

test('a malformed request gets ERROR 4; other garbage at the listening port gets nothing', async (t) => {
  const { server } = await serve(t, [fileRootRoute(rootWith(t, {}))]);
  const peer = await Peer.open(t);
  peer.send(Buffer.from('\x00\x01file\x00mail\x00', 'latin1'), server.port);
  assert.deepEqual((await peer.expect()).packet, {
    type: 'ERROR',
    code: 4,
    message: 'Cannot parse TFTP RRQ: mode "mail" is not supported (expected "netascii" or "octet")',
  });
  for (const junk of [
    '\x00\x04\x00\x01',
    '\x00\x05\x00\x00x\x00',
    '\x00\x03\x00\x01data',
    '\xff',
    '\x00\x09',
  ]) {
    peer.send(Buffer.from(junk, 'latin1'), server.port);
  }
  assert.equal(await peer.next(300), undefined);
});

test('a packet from a stranger to a transfer port gets ERROR 5 and the transfer goes on', async (t) => {
  const data = randomBytes(2000);
  const { server } = await serve(t, [fileRootRoute(rootWith(t, { f: data }))], { timeoutMs: 5000 });
  const peer = await Peer.open(t);
  const stranger = await Peer.open(t);
  peer.send({ type: 'RRQ', filename: 'f', mode: 'octet', options: new Map() }, server.port);
  const first = await peer.expect();
  stranger.send({ type: 'ACK', block: 1 }, first.port);
  assert.deepEqual((await stranger.expect()).packet, {
    type: 'ERROR',
    code: 5,
    message: 'Unknown transfer ID',
  });
  stranger.send({ type: 'ERROR', code: 0, message: 'no reply to this' }, first.port);
  assert.equal(await stranger.next(300), undefined, 'an ERROR from a stranger is not answered');
  peer.send({ type: 'ACK', block: 1 }, first.port);
  const second = await peer.expect();
  assert.equal(second.packet.type === 'DATA' && second.packet.block, 2);
});

test('UEFI: RRQ with tsize, OACK, ERROR 8, then a new RRQ: one file sent and no failure reported', async (t) => {
  const data = randomBytes(5000);
  const { server, events } = await serve(t, [fileRootRoute(rootWith(t, { 'grubx64.efi': data }))]);
  const probe = await Peer.open(t);
  probe.send(
    { type: 'RRQ', filename: 'grubx64.efi', mode: 'octet', options: new Map([['tsize', '0']]) },
    server.port,
  );
  const oack = await probe.expect();
  assert.deepEqual(oack.packet, { type: 'OACK', options: new Map([['tsize', '5000']]) });
  probe.send({ type: 'ERROR', code: 8, message: 'User aborted the transfer' }, oack.port);
  const reader = await Peer.open(t);
  assert.deepEqual(await reader.fetch(server.port, 'grubx64.efi', new Map([['blksize', '1468']])), data);
  await until(() => events.length === 4);
  // The declined transfer's end comes from the transfer thread and the second request from the listening port, so
  // either may be reported first.
  assert.deepEqual(
    events.map((e) => JSON.stringify([e.type, e.bytes, e.declined ?? false])).sort(),
    [
      ['tftp.requested', 0, false],
      ['tftp.requested', 0, false],
      ['tftp.sent', 0, true],
      ['tftp.sent', 5000, false],
    ].map((row) => JSON.stringify(row)),
  );
});

test('a repeated RRQ from the same port before any answer is a duplicate, not a second transfer', async (t) => {
  const { server, events } = await serve(t, [fileRootRoute(rootWith(t, { f: 'x' }))], { timeoutMs: 5000 });
  const peer = await Peer.open(t);
  const request: TftpPacket = { type: 'RRQ', filename: 'f', mode: 'octet', options: new Map() };
  for (let i = 0; i < 5; i++) peer.send(request, server.port);
  const first = await peer.expect();
  assert.equal(first.packet.type, 'DATA');
  assert.equal(await peer.next(300), undefined);
  assert.equal(events.filter((e) => e.type === 'tftp.requested').length, 1);
});

test('a repeated RRQ that arrives after the client answered is still a duplicate: the transfer goes on', async (t) => {
  // Under load the server answers slowly, the client repeats its request, and the repeat can be read only after
  // the client has ACKed the first DATA. Taking it for a new request would abandon the port the client follows.
  const data = randomBytes(3000);
  const { server, events } = await serve(t, [fileRootRoute(rootWith(t, { f: data }))], { timeoutMs: 5000 });
  const peer = await Peer.open(t);
  const request: TftpPacket = { type: 'RRQ', filename: 'f', mode: 'octet', options: new Map() };
  peer.send(request, server.port);
  const first = await peer.expect();
  assert.deepEqual([first.packet.type, first.packet.type === 'DATA' && first.packet.block], ['DATA', 1]);
  peer.send({ type: 'ACK', block: 1 }, first.port);
  peer.send(request, server.port);
  const received: Buffer[] = [
    first.packet.type === 'DATA' ? Buffer.from(first.packet.data) : Buffer.alloc(0),
  ];
  for (let block = 2; ; block++) {
    const next = await peer.expect();
    assert.equal(next.port, first.port, 'every packet comes from the first transfer');
    assert.ok(next.packet.type === 'DATA' && next.packet.block === block, JSON.stringify(next.packet));
    received.push(Buffer.from(next.packet.data));
    peer.send({ type: 'ACK', block }, first.port);
    if (next.packet.data.length < 512) break;
  }
  assert.deepEqual(Buffer.concat(received), data);
  assert.equal(await peer.next(300), undefined, 'no second transfer starts');
  await until(() => events.some((e) => e.type === 'tftp.sent'));
  assert.deepEqual(
    events.map((e) => e.type),
    ['tftp.requested', 'tftp.sent'],
  );
});

test('a client that stops answering is retried with back-off, then given up and reported', async (t) => {
  const { server, events } = await serve(t, [fileRootRoute(rootWith(t, { f: randomBytes(2000) }))], {
    timeoutMs: 50,
    retries: 2,
  });
  const peer = await Peer.open(t);
  peer.send({ type: 'RRQ', filename: 'f', mode: 'octet', options: new Map() }, server.port);
  const times: number[] = [];
  const start = Date.now();
  for (let i = 0; i < 3; i++) {
    assert.equal((await peer.expect()).packet.type, 'DATA');
    times.push(Date.now() - start);
  }
  const [, retry1 = 0, retry2 = 0] = times;
  assert.ok(retry1 >= 45 && retry2 - retry1 >= 95, `retransmissions at ${times.join(', ')} ms`);
  const last = (await peer.expect()).packet;
  assert.deepEqual(last, {
    type: 'ERROR',
    code: 0,
    message: 'No acknowledgement of block 1 after 2 retransmissions',
  });
  await until(() => events.length === 2);
  assert.equal(events[1]?.type, 'tftp.failed');
});

test('hundreds of transfers at once, each byte-exact', async (t) => {
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < 20; i++) files[`file-${i}`] = randomBytes(10_000 + i * 997);
  const { server, events } = await serve(t, [fileRootRoute(rootWith(t, files))], { timeoutMs: 1000 });
  // From ten addresses, as from a rack of machines: one address may have only 32 transfers at once.
  const peers = await Promise.all(
    Array.from({ length: 300 }, (_, i) => Peer.open(t, `127.0.0.${1 + (i % 10)}`)),
  );
  const results = await Promise.all(
    peers.map((peer, i) =>
      peer.fetch(
        server.port,
        `file-${i % 20}`,
        new Map([
          ['blksize', String(512 + (i % 3) * 478)],
          ['windowsize', String(1 + (i % 8))],
        ]),
      ),
    ),
  );
  for (const [i, data] of results.entries())
    assert.ok(data.equals(files[`file-${i % 20}`] as Buffer), `transfer ${i}`);
  await until(() => events.filter((e) => e.type === 'tftp.sent').length === 300);
});

test('fuzz: thousands of random packets at the listening port and a transfer port, then a good fetch', async (t) => {
  const data = randomBytes(50_000);
  const { server } = await serve(t, [fileRootRoute(rootWith(t, { 'pxelinux.0': data }))], {
    timeoutMs: 30,
    retries: 1,
  });
  const fuzzer = createSocket('udp4');
  t.after(() => fuzzer.close());
  const victim = await Peer.open(t);
  victim.send({ type: 'RRQ', filename: 'pxelinux.0', mode: 'octet', options: new Map() }, server.port);
  const transferPort = (await victim.expect()).port;
  const packets = fuzzPackets(4000, 7);
  for (const [i, packet] of packets.entries()) {
    fuzzer.send(packet, i % 2 === 0 ? server.port : transferPort, '127.0.0.1');
    if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const peer = await Peer.open(t);
  assert.deepEqual(await peer.fetch(server.port, 'pxelinux.0', new Map([['blksize', '1024']])), data);
});

test('close() ends running transfers, reports them, and frees the port', async (t) => {
  const root = rootWith(t, { f: randomBytes(100_000) });
  const events: TftpEvent[] = [];
  const server = await startTftpServer({
    host: '127.0.0.1',
    port: 0,
    routes: [fileRootRoute(root)],
    onEvent: (event) => events.push(event),
  });
  const peer = await Peer.open(t);
  peer.send({ type: 'RRQ', filename: 'f', mode: 'octet', options: new Map() }, server.port);
  await peer.expect();
  await server.close();
  assert.deepEqual(
    events.map((e) => [e.type, e.error]),
    [
      ['tftp.requested', undefined],
      ['tftp.failed', 'The TFTP server is shutting down'],
    ],
  );
  const again = await startTftpServer({ host: '127.0.0.1', port: server.port, routes: [] });
  await again.close();
});

test('files are closed after the transfer, whether it succeeded or failed', async (t) => {
  let closed = 0;
  const route: TftpRoute = {
    name: 'counting',
    resolve: async () => ({
      size: 600,
      read: async (_offset, length) => Buffer.alloc(length, 1),
      close: async () => {
        closed++;
      },
    }),
  };
  const { server, events } = await serve(t, [route], { timeoutMs: 20, retries: 1 });
  const peer = await Peer.open(t);
  assert.equal((await peer.fetch(server.port, 'a')).length, 600);
  peer.send({ type: 'RRQ', filename: 'b', mode: 'octet', options: new Map() }, server.port);
  await until(() => events.length === 4);
  assert.equal(closed, 2);
});

test('settings out of range are refused at start with a sentence naming the value', async () => {
  await assert.rejects(
    startTftpServer({ host: '127.0.0.1', port: 0, routes: [], maxBlockSize: 4 }),
    /TFTP setting maxBlockSize must be an integer from 8 to 65464, received "4"/,
  );
  await assert.rejects(
    startTftpServer({ host: '127.0.0.1', port: 0, routes: [], maxSessionsPerClient: 0 }),
    /TFTP setting maxSessionsPerClient \(the tftp_max_sessions_per_client setting\) must be an integer from 1 to 1000000, received "0"/,
  );
  await assert.rejects(
    startTftpServer({ host: '127.0.0.1', port: 0, routes: [], maxTimeoutSeconds: 256 }),
    /TFTP setting maxTimeoutSeconds must be an integer from 1 to 255, received "256"/,
  );
});
