// TFTP sessions are bounded (issue 16, item 8). A read request that is never acknowledged holds a transfer (its
// socket, its open file) until the server gives up on it, and RFC 2349 lets the client choose the timeout that sets
// how long that is: 300 requests asking timeout=255 from changing ports held 516 descriptors for 25 minutes. Here
// such requests meet the real server over loopback, from several addresses (all of 127.0.0.0/8 is loopback); the
// test watches what an attacker would: the replies, and the descriptors of this process, where the server runs.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startServer } from '../../src/serve.js';
import type { StoredEvent } from '../../src/store/store.js';
import { parseTftpPacket, serializeTftpPacket, type TftpPacket } from '../../src/tftp/packet.js';
import { fileRootRoute } from '../../src/tftp/routes.js';
import { rootWith, serve, until } from '../../src/tftp/test-server.fixture.js';
import { freeUdpPort } from '../support/free-port.js';
import { configureStore } from '../support/guest-run.js';
import { serveTestRootsCommand } from '../support/served-roots.js';
import { tempDir } from '../support/temp-dir.js';
import { tftpFetch } from '../support/tftp-client.js';

const hostileOptions = new Map([
  ['tsize', '0'],
  ['blksize', '1468'],
  ['timeout', '255'],
]);

const openDescriptors = () => readdirSync('/proc/self/fd').length;

/**
 * Sends one RRQ from a fresh port on `address` and returns the socket and the server's first answer. Like a real
 * client it repeats the request each second until answered: the first transfer starts the server's transfer thread,
 * which on a busy machine takes a while.
 */
async function ask(address: string, port: number, filename = 'pxelinux.0') {
  const socket = createSocket('udp4');
  socket.bind(0, address);
  await once(socket, 'listening');
  const answer = once(socket, 'message') as Promise<[Buffer, { port: number }]>;
  const request = serializeTftpPacket({ type: 'RRQ', filename, mode: 'octet', options: hostileOptions });
  const send = () => socket.send(request, port, '127.0.0.1');
  send();
  const repeat = setInterval(send, 1000);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), 30_000);
  });
  const received = await Promise.race([answer, timeout]);
  clearInterval(repeat);
  clearTimeout(timer);
  if (!received) {
    await close(socket); // a socket left open would keep the test process from ever exiting
    assert.fail(`no answer to an RRQ from ${address}`);
  }
  return { socket, packet: parseTftpPacket(received[0]), answeredAt: performance.now() };
}

function close(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** A hang (a server that never lets go) fails the test instead of the run. */
const limit = { timeout: 120_000 };

describe('TFTP session limits', () => {
  it(
    '300 requests asking timeout=255 that never ACK: sessions and descriptors are capped, the rest refused with ERROR',
    limit,
    async (t) => {
      const maxSessions = 120;
      const maxSessionsPerClient = 40;
      const { server, events } = await serve(
        t,
        [fileRootRoute(rootWith(t, { 'pxelinux.0': randomBytes(100_000) }))],
        {
          // The server's own retries outlast the test (31 s), so that no session ends on its own meanwhile.
          timeoutMs: 1000,
          retries: 5,
          maxSessions,
          maxSessionsPerClient,
        },
      );
      // One whole transfer first, so that the transfer thread (and what it opens) is running before the count.
      await tftpFetch(server.port, 'pxelinux.0');
      const before = openDescriptors();
      const sockets: Socket[] = [];
      t.after(() => Promise.all(sockets.map(close)));
      const addresses = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
      const answers: { address: string; packet: TftpPacket }[] = [];
      for (const address of addresses) {
        for (let i = 0; i < 50; i++) {
          // The client goes silent: its transfer (if one started) waits for an ACK that never comes. Its socket
          // stays open, so that no later request reuses its port and meets the transfer's repeated OACK.
          const { socket, packet } = await ask(address, server.port);
          sockets.push(socket);
          answers.push({ address, packet });
        }
      }
      const held = openDescriptors() - before - sockets.length;
      t.diagnostic(`${held} descriptors held after 300 requests`);
      const granted = answers.filter(({ packet }) => packet.type === 'OACK');
      // A transfer holds its socket and its open file: two descriptors each, and no more transfers than the limit.
      assert.ok(held <= 2 * maxSessions + 10, `${held} descriptors held by ${granted.length} transfers`);

      for (const { packet } of granted) {
        assert.ok(
          packet.type === 'OACK' && !packet.options.has('timeout'),
          `granted ${JSON.stringify([...(packet.type === 'OACK' ? packet.options : [])])}`,
        );
      }
      // In order: each address up to the per-client limit, until the total limit is reached.
      let left = maxSessions;
      const expected = addresses.map(() => {
        const take = Math.min(50, maxSessionsPerClient, left);
        left -= take;
        return take;
      });
      const grantedPerAddress = addresses.map(
        (address) => granted.filter((a) => a.address === address).length,
      );
      assert.deepEqual(grantedPerAddress, expected, 'transfers started per address');

      const refused = answers.filter(({ packet }) => packet.type !== 'OACK');
      assert.equal(refused.length, 300 - maxSessions);
      for (const { packet } of refused) {
        assert.ok(
          packet.type === 'ERROR' && packet.code === 0 && /Too many transfers/.test(packet.message),
          JSON.stringify(packet),
        );
      }
      const refusals = events.filter(
        (event) => event.type === 'tftp.failed' && /^Refused: /.test(event.error ?? ''),
      );
      assert.equal(refusals.length, refused.length, 'each refusal is reported as an event');
      assert.ok(refusals.some((event) => /tftp_max_sessions_per_client/.test(event.error ?? '')));
      assert.ok(refusals.some((event) => /tftp_max_sessions\b/.test(event.error ?? '')));
    },
  );

  it('a client that asks timeout=255 and never answers is given up within maxWaitMs', limit, async (t) => {
    const maxWaitMs = 1500;
    const { server, events } = await serve(
      t,
      [fileRootRoute(rootWith(t, { 'pxelinux.0': randomBytes(10_000) }))],
      {
        timeoutMs: 1000,
        retries: 5,
        maxWaitMs,
      },
    );
    const { socket, packet, answeredAt } = await ask('127.0.0.1', server.port);
    t.after(() => close(socket));
    assert.ok(
      packet.type === 'OACK' && !packet.options.has('timeout'),
      `timeout=255 is declined, not echoed: ${JSON.stringify(packet.type === 'OACK' ? [...packet.options] : packet)}`,
    );
    // Never ACK: the server repeats its OACK, then gives up with an ERROR. Its own retries (1 + 2 + 4 + 8 + 8 + 8 s)
    // would take 31 s, and a granted timeout=255 25 minutes; the bound below leaves room for a busy machine.
    let gaveUp: TftpPacket | undefined;
    socket.on('message', (bytes) => {
      const reply = parseTftpPacket(bytes);
      if (reply.type === 'ERROR') gaveUp = reply;
    });
    await until(() => gaveUp !== undefined, 20_000).catch(() => undefined);
    const elapsed = performance.now() - answeredAt;
    assert.ok(gaveUp?.type === 'ERROR', `no ERROR from the server ${Math.round(elapsed)} ms after its OACK`);
    const waited = Number(/^No acknowledgement of the OACK in ([0-9.]+) s/.exec(gaveUp.message)?.[1]);
    assert.ok(waited >= maxWaitMs / 1000, `the server's own account: ${gaveUp.message}`);
    assert.ok(elapsed < maxWaitMs + 8000, `gave up ${Math.round(elapsed)} ms after its OACK`);
    await until(() => events.some((event) => event.type === 'tftp.failed'));
  });

  it(
    'serve applies tftp_max_sessions_per_client and reports each refusal as a tftp.failed event',
    limit,
    async (t) => {
      const dataDir = tempDir(t);
      const tftpRoot = rootWith(t, { 'loader.efi': randomBytes(10_000) });
      await configureStore(dataDir, [
        [...serveTestRootsCommand],
        ['setting', 'edit', '--name=tftp_root', `--value=${tftpRoot}`],
        ['setting', 'edit', '--name=tftp_max_sessions_per_client', '--value=2'],
      ]);
      const tftpPort = await freeUdpPort();
      const served = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort });
      t.after(() => served.stop());
      const stored: StoredEvent[] = [];
      served.events.subscribe((event) => stored.push(event));
      const sockets: Socket[] = [];
      t.after(() => Promise.all(sockets.map(close)));
      const answers: TftpPacket[] = [];
      for (let i = 0; i < 3; i++) {
        const { socket, packet } = await ask('127.0.0.1', tftpPort, 'loader.efi');
        sockets.push(socket);
        answers.push(packet);
      }
      assert.deepEqual(
        answers.map((packet) => packet.type),
        ['OACK', 'OACK', 'ERROR'],
      );
      await until(() => stored.some((event) => event.type === 'tftp.failed'), 5000);
      const refusal = stored.find((event) => event.type === 'tftp.failed');
      assert.equal(refusal?.source, '127.0.0.1');
      assert.match(
        String(refusal?.detail.error),
        /^Refused: 127\.0\.0\.1 already has 2 TFTP transfers under way/,
      );
    },
  );
});
