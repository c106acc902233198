// TFTP on a bad network (issue 10), at the server over real UDP on loopback. The client here injects the faults
// itself, on both directions of its own traffic: it loses 10% or 30% of the DATA it receives and of the ACKs it
// sends, sends some ACKs twice and holds others back so they arrive out of order. Transfers run in lock-step and
// windowed (RFC 7440), several at once; each must end byte-exact, and a transfer whose client vanishes must end in
// tftp.failed once the retries run out, with the server still serving. `npm run test:long` moves more data.

import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { reportCount, scaled } from '../testing/long-mode.js';
import { tempDir } from '../testing/temp-dir.js';
import { parseTftpPacket, serializeTftpPacket } from './packet.js';
import { fileRootRoute } from './routes.js';
import { startTftpServer, type TftpEvent } from './server.js';

const BLKSIZE = 1468;
const fileBytes = scaled(100_000, 3_000_000);

interface Faults {
  lossPercent: number;
  duplicatePercent: number;
  reorderPercent: number;
}

const chance = (percent: number) => randomInt(100) < percent;

/** A client that follows RFC 1350/7440 and loses, repeats and reorders its own traffic as told. */
async function faultyFetch(
  port: number,
  filename: string,
  windowsize: number,
  faults: Faults,
): Promise<Buffer> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const chunks: Buffer[] = [];
  let expected = 1;
  let sinceAck = 0;
  let serverPort = 0;
  let injected = 0;
  let idle: NodeJS.Timeout | undefined;
  const sendAck = (block: number) => {
    if (chance(faults.lossPercent)) return void injected++;
    const bytes = serializeTftpPacket({ type: 'ACK', block });
    const copies = chance(faults.duplicatePercent) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (chance(faults.reorderPercent))
        setTimeout(() => socket.send(bytes, serverPort, '127.0.0.1'), 5 + randomInt(40));
      else socket.send(bytes, serverPort, '127.0.0.1');
    }
  };
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      // The server's ERROR after its last retry may itself be lost: a transfer that takes this long has failed.
      const deadline = setTimeout(() => reject(new Error(`${filename}: no end after 60 s`)), 60_000);
      const armIdle = () => {
        clearTimeout(idle);
        // RFC 1350: the receiver retransmits its last ACK when nothing comes.
        idle = setTimeout(() => {
          if (serverPort) sendAck(expected - 1);
          armIdle();
        }, 150);
      };
      socket.on('message', (bytes, from) => {
        if (chance(faults.lossPercent)) return void injected++;
        const packet = parseTftpPacket(bytes);
        if (packet.type === 'ERROR') {
          clearTimeout(deadline);
          clearTimeout(idle);
          return reject(new Error(`ERROR ${packet.code} ${packet.message}`));
        }
        serverPort ||= from.port;
        armIdle();
        if (packet.type === 'OACK') return sendAck(0);
        if (packet.type !== 'DATA') return;
        if (packet.block !== expected) {
          // A gap, or a block we have (our ACK was lost): say where we are, so the server resends from there
          // (RFC 7440 §4) or moves on.
          sendAck(expected - 1);
          return;
        }
        chunks.push(Buffer.from(packet.data));
        expected += 1;
        sinceAck += 1;
        const last = packet.data.length < BLKSIZE;
        if (last || sinceAck >= windowsize) {
          sinceAck = 0;
          sendAck(packet.block);
        }
        if (last) {
          clearTimeout(idle);
          // Answer the server's retransmissions of the last block for a moment, as RFC 1350 asks (dallying).
          clearTimeout(deadline);
          setTimeout(() => resolve(Buffer.concat(chunks)), 300);
        }
      });
      const options = new Map([
        ['blksize', String(BLKSIZE)],
        ...(windowsize > 1 ? [['windowsize', String(windowsize)] as [string, string]] : []),
      ]);
      const request = serializeTftpPacket({ type: 'RRQ', filename, mode: 'octet', options });
      // The request itself may be lost too; resend it until something answers.
      const resendRequest = setInterval(() => {
        if (serverPort) return clearInterval(resendRequest);
        socket.send(request, port, '127.0.0.1');
      }, 200);
      socket.send(request, port, '127.0.0.1');
      armIdle();
    });
  } finally {
    clearTimeout(idle);
    socket.close();
    reportCount('tftp/faults', 'packets lost or held on purpose', injected);
  }
}

describe('TFTP under loss, duplication and reordering', () => {
  for (const lossPercent of [10, 30]) {
    it(`${lossPercent}% loss each way with duplicates and reordering: 4 transfers at once, lock-step and windowed, byte-exact`, async (t) => {
      const root = tempDir(t);
      const data = randomBytes(fileBytes);
      writeFileSync(join(root, 'initrd.img'), data);
      const events: TftpEvent[] = [];
      const server = await startTftpServer({
        host: '127.0.0.1',
        port: 0,
        routes: [fileRootRoute(root)],
        timeoutMs: 100,
        retries: 40,
        onEvent: (event) => events.push(event),
      });
      t.after(() => server.close());
      const faults = { lossPercent, duplicatePercent: 10, reorderPercent: 15 };
      const results = await Promise.all(
        [1, 1, 8, 16].map((windowsize) => faultyFetch(server.port, 'initrd.img', windowsize, faults)),
      );
      for (const [i, received] of results.entries())
        assert.ok(received.equals(data), `transfer ${i} differs`);
      reportCount(
        `tftp/faults ${lossPercent}% loss`,
        'bytes transferred byte-exact',
        fileBytes * results.length,
      );
    });
  }

  it('ends a transfer whose client vanished in tftp.failed after its retries, and keeps serving', async (t) => {
    const root = tempDir(t);
    const data = randomBytes(50_000);
    writeFileSync(join(root, 'f'), data);
    const events: TftpEvent[] = [];
    const server = await startTftpServer({
      host: '127.0.0.1',
      port: 0,
      routes: [fileRootRoute(root)],
      timeoutMs: 50,
      retries: 3,
      onEvent: (event) => events.push(event),
    });
    t.after(() => server.close());
    const gone = createSocket('udp4');
    gone.bind(0, '127.0.0.1');
    await once(gone, 'listening');
    gone.send(
      serializeTftpPacket({ type: 'RRQ', filename: 'f', mode: 'octet', options: new Map() }),
      server.port,
      '127.0.0.1',
    );
    await once(gone, 'message');
    gone.close();
    const deadline = Date.now() + 5_000;
    while (!events.some((event) => event.type === 'tftp.failed') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const failed = events.find((event) => event.type === 'tftp.failed');
    assert.ok(failed, JSON.stringify(events));
    assert.match(String(failed.error), /retr|timed out|no answer|gave up/i);
    const again = await faultyFetch(server.port, 'f', 1, {
      lossPercent: 0,
      duplicatePercent: 0,
      reorderPercent: 0,
    });
    assert.ok(again.equals(data));
  });
});
