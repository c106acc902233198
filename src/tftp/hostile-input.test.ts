// Hostile input for the TFTP server, property-based (issue 10). The parser either reads a packet or refuses it
// with a TftpPacketError; over real UDP, a garbled read or write request gets its ERROR packet (RFC 1350 code 4),
// any other garbage is dropped without a reply (so no stray packet starts a ping-pong between servers), and the
// server still serves a good request afterwards. `npm run test:long` tries 100,000 parser cases.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { reportCount, scaled } from '../../test/support/long-mode.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { opcodes, parseTftpPacket, serializeTftpPacket, TftpPacketError } from './packet.js';
import { fileRootRoute } from './routes.js';
import { startTftpServer } from './server.js';

const runs = scaled(3_000, 100_000);

const goodRequest = serializeTftpPacket({
  type: 'RRQ',
  filename: 'pxelinux.0',
  mode: 'octet',
  options: new Map([
    ['blksize', '1468'],
    ['tsize', '0'],
    ['windowsize', '16'],
  ]),
});

/** Any opcode with any body, or a real request with bytes overwritten, cut or inserted. */
const datagram = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 8 }), fc.uint8Array({ maxLength: 600 }))
    .map(([opcode, body]) => Buffer.concat([Buffer.from([0, opcode]), Buffer.from(body)])),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.nat(), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    })
    .map((edits) => {
      let bytes = Buffer.from(goodRequest);
      for (const [edit, where, value] of edits) {
        const at = where % bytes.length;
        if (edit < 8) bytes[at] = value;
        else if (edit === 8) bytes = bytes.subarray(0, Math.max(2, at));
        else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([value]), bytes.subarray(at)]);
      }
      return bytes;
    }),
);

function isGarbledRequest(bytes: Buffer): boolean {
  try {
    parseTftpPacket(bytes);
    return false;
  } catch {
    const opcode = bytes.length >= 2 ? bytes.readUInt16BE(0) : 0;
    return opcode === opcodes.RRQ || opcode === opcodes.WRQ;
  }
}

describe('hostile TFTP input', () => {
  it(`parses or refuses ${runs.toLocaleString('en-US')} random and mutated packets, and what parses writes back the same`, () => {
    const outcome = { parsed: 0, refused: 0 };
    fc.assert(
      fc.property(datagram, (bytes) => {
        let packet: ReturnType<typeof parseTftpPacket>;
        try {
          packet = parseTftpPacket(bytes);
        } catch (error) {
          assert.ok(error instanceof TftpPacketError, `not a TftpPacketError: ${String(error)}`);
          outcome.refused += 1;
          return;
        }
        outcome.parsed += 1;
        assert.deepEqual(parseTftpPacket(serializeTftpPacket(packet)), packet);
      }),
      { numRuns: runs },
    );
    assert.ok(outcome.parsed > runs / 20 && outcome.refused > runs / 20, JSON.stringify(outcome));
    reportCount('tftp/hostile-input', 'packets parsed or refused', runs);
  });

  it('answers each garbled request with ERROR 4 over UDP, drops other garbage, and still serves', async (t) => {
    const root = tempDir(t);
    const data = randomBytes(20_000);
    writeFileSync(join(root, 'pxelinux.0'), data);
    const server = await startTftpServer({ host: '127.0.0.1', port: 0, routes: [fileRootRoute(root)] });
    t.after(() => server.close());
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    t.after(() => socket.close());
    const replies: Buffer[] = [];
    let wake: { count: number; resolve(): void } | undefined;
    socket.on('message', (bytes) => {
      replies.push(bytes);
      if (wake && replies.length >= wake.count) wake.resolve();
    });
    /** Resolves once `count` replies have come, or after 10 s without them (the assertions below then say so). */
    const repliesReach = (count: number) =>
      new Promise<void>((resolve) => {
        if (replies.length >= count) return resolve();
        const timer = setTimeout(resolve, 10_000);
        wake = {
          count,
          resolve: () => {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          },
        };
      });

    // Only garbage here: a request that parses would start a real transfer to this socket.
    const garbage = fc.sample(datagram, scaled(600, 20_000)).filter((bytes) => {
      try {
        parseTftpPacket(bytes);
        return false;
      } catch {
        return true;
      }
    });
    const garbled = garbage.filter(isGarbledRequest).length;
    assert.ok(
      garbled > 50 && garbled < garbage.length,
      `${garbled} of ${garbage.length} are garbled requests`,
    );
    // Sent in batches, each closed by a WRQ (answered with ERROR 2) and sent once the server has answered the one
    // before: then at most one batch waits in the server's receive buffer. Sent blind at a pace set by the clock,
    // as this test once did, the datagrams outran the server whenever the machine was busy, and the kernel dropped
    // the excess at the listening socket (UDP does that, and a client repeats its request): beside two busy loops,
    // 336 to 5,020 of 20,000 were dropped there (the "drops" column of /proc/net/udp), none at the client, and
    // every request that reached the server was answered.
    const batchSize = 50;
    const closer = serializeTftpPacket({ type: 'WRQ', filename: 'f', mode: 'octet', options: new Map() });
    let expected = 0;
    for (let start = 0; start < garbage.length; start += batchSize) {
      const batch = garbage.slice(start, start + batchSize);
      for (const bytes of batch) socket.send(bytes, server.port, '127.0.0.1');
      socket.send(closer, server.port, '127.0.0.1');
      expected += batch.filter(isGarbledRequest).length + 1;
      await repliesReach(expected);
      if (replies.length < expected) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const batches = Math.ceil(garbage.length / batchSize);
    assert.equal(
      replies.length,
      garbled + batches,
      'one ERROR per garbled request and per WRQ, nothing else',
    );
    const codes = replies.map((reply) => {
      const packet = parseTftpPacket(reply);
      assert.equal(packet.type, 'ERROR', JSON.stringify(packet));
      return packet.type === 'ERROR' ? packet.code : -1;
    });
    assert.equal(codes.filter((code) => code === 4).length, garbled, 'ERROR 4 for each garbled request');
    assert.equal(codes.filter((code) => code === 2).length, batches, 'ERROR 2 for each WRQ');

    // A good client after the storm gets the file.
    const client = createSocket('udp4');
    client.bind(0, '127.0.0.1');
    await once(client, 'listening');
    t.after(() => client.close());
    const received: Buffer[] = [];
    const done = new Promise<void>((resolve) => {
      client.on('message', (bytes, from) => {
        const packet = parseTftpPacket(bytes);
        if (packet.type !== 'DATA') return;
        received.push(packet.data);
        client.send(serializeTftpPacket({ type: 'ACK', block: packet.block }), from.port, '127.0.0.1');
        if (packet.data.length < 512) resolve();
      });
    });
    client.send(
      serializeTftpPacket({ type: 'RRQ', filename: 'pxelinux.0', mode: 'octet', options: new Map() }),
      server.port,
      '127.0.0.1',
    );
    await done;
    assert.deepEqual(Buffer.concat(received), data);
    reportCount('tftp/hostile-input', 'garbage datagrams at a live server', garbage.length);
  });
});
