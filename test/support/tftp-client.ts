// A TFTP client for tests that follows RFC 1350, 2348 and 7440 (lock-step or windowed) and can play a bad network
// on its own traffic: it loses, repeats and holds back packets as told, in both directions. Real clients (atftp,
// tftp-hpa, QEMU's iPXE) are used elsewhere; this one exists for what they cannot be made to do.

import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { parseTftpPacket, serializeTftpPacket, tftpErrorCodes } from '../../src/tftp/packet.js';

export interface TftpFaults {
  /** Of the packets received and of the ACKs sent, this share is dropped. */
  lossPercent: number;
  duplicatePercent: number;
  /** This share of ACKs is held back 5-45 ms, so that later ones overtake it. */
  reorderPercent: number;
}

export interface TftpFetchOptions {
  windowsize?: number;
  blksize?: number;
  faults?: TftpFaults;
  /** How long without a packet before the last ACK is sent again. */
  idleMs?: number;
  /** How long the whole transfer may take before it counts as failed. */
  deadlineMs?: number;
}

export interface TftpFetched {
  data: Buffer;
  /** Packets this client dropped or held back on purpose. */
  injectedFaults: number;
}

const noFaults: TftpFaults = { lossPercent: 0, duplicatePercent: 0, reorderPercent: 0 };
const chance = (percent: number) => percent > 0 && randomInt(100) < percent;

export async function tftpFetch(
  port: number,
  filename: string,
  options: TftpFetchOptions = {},
): Promise<TftpFetched> {
  const { windowsize = 1, blksize = 1468, idleMs = 150, deadlineMs = 60_000, faults = noFaults } = options;
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const chunks: Buffer[] = [];
  let expected = 1;
  let sinceAck = 0;
  let serverPort = 0;
  let injected = 0;
  let idle: NodeJS.Timeout | undefined;
  let resendTimer: NodeJS.Timeout | undefined;
  let complete = false;
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
    const data = await new Promise<Buffer>((resolve, reject) => {
      // The server's ERROR after its last retry may itself be lost: a transfer that takes this long has failed.
      const deadline = setTimeout(
        () => reject(new Error(`${filename}: no end after ${deadlineMs / 1000} s`)),
        deadlineMs,
      );
      const armIdle = () => {
        clearTimeout(idle);
        // RFC 1350: the receiver retransmits its last ACK when nothing comes.
        idle = setTimeout(() => {
          if (serverPort) sendAck(expected - 1);
          armIdle();
        }, idleMs);
      };
      socket.on('message', (bytes, from) => {
        if (chance(faults.lossPercent)) return void injected++;
        const packet = parseTftpPacket(bytes);
        // Once the last block is in, the file is whole: a late ERROR (say, ERROR 5 from a new transfer that got
        // the finished one's port and heard our repeated last ACK) changes nothing.
        if (complete) {
          if (packet.type === 'DATA' && from.port === serverPort) sendAck(packet.block);
          return;
        }
        // Before the transfer opens, only the server's own port may refuse the request (File not found, ...).
        if (packet.type === 'ERROR' && from.port === (serverPort || port)) {
          clearTimeout(deadline);
          clearTimeout(idle);
          return reject(new Error(`ERROR ${packet.code} ${packet.message}`));
        }
        // A transfer opens with an OACK or DATA 1. Anything else from an unknown port is a stale session of a
        // finished client that had this port before us (the kernel reuses ephemeral ports): not ours to follow.
        const opening = packet.type === 'OACK' || (packet.type === 'DATA' && packet.block === 1);
        if (!serverPort && opening) serverPort = from.port;
        if (from.port !== serverPort) {
          if (packet.type === 'ERROR') return; // never answer an error (RFC 1350 §7)
          // RFC 1350 §4: a packet from another TID (say, a second session the server opened for a repeated
          // request) gets ERROR 5 so that it ends, and does not disturb this transfer.
          const unknown = serializeTftpPacket({
            type: 'ERROR',
            code: tftpErrorCodes.unknownTransferId,
            message: 'Unknown transfer ID',
          });
          socket.send(unknown, from.port, '127.0.0.1');
          return;
        }
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
        const last = packet.data.length < blksize;
        if (last || sinceAck >= windowsize) {
          sinceAck = 0;
          sendAck(packet.block);
        }
        if (last) {
          complete = true;
          clearTimeout(idle);
          // Answer the server's retransmissions of the last block for a moment, as RFC 1350 asks (dallying).
          clearTimeout(deadline);
          setTimeout(() => resolve(Buffer.concat(chunks)), 300);
        }
      });
      const options = new Map([
        ['blksize', String(blksize)],
        ...(windowsize > 1 ? [['windowsize', String(windowsize)] as [string, string]] : []),
      ]);
      const request = serializeTftpPacket({ type: 'RRQ', filename, mode: 'octet', options });
      // The request itself may be lost too; resend it until something answers, backing off (200 ms, 400 ms, ...
      // up to 3 s) so that a busy server is not handed a second session for every request it is slow to answer.
      let resendDelay = 200;
      const resendRequest = () => {
        if (serverPort) return;
        socket.send(request, port, '127.0.0.1');
        resendTimer = setTimeout(resendRequest, resendDelay);
        resendDelay = Math.min(resendDelay * 2, 3000);
      };
      resendRequest();
      armIdle();
    });
    return { data, injectedFaults: injected };
  } finally {
    clearTimeout(idle);
    clearTimeout(resendTimer);
    socket.close();
  }
}
