// The ceiling bench/tftp.ts publishes beside the peers: a TFTP sender doing only what a read transfer must, on
// node:dgram, on the main thread. It answers a read request from a fresh socket connected to the client, grants
// blksize and windowsize as asked, sends each window straight from the file held in memory, moves on at each ACK,
// and resends the window after a second without progress. None of bootwright's routes, limits, events, read-ahead,
// transfer thread or RFC checks: what it reaches is what node:dgram itself gives on that core, so the gap between it
// and bootwright is bootwright's own, and the gap between it and the peers is Node's.
// Usage: node --import tsx tftp-bare-sender.fixture.ts HOST ROOT; prints {"port": N}; stops on SIGTERM.

import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [host = '127.0.0.1', root = '.'] = process.argv.slice(2);
const files = new Map<string, Buffer>();
const retransmitMs = 1000;

const listener = createSocket('udp4');
listener.on('message', (request, client) => {
  if (request.readUInt16BE(0) !== 1) return;
  const [filename = '', , ...options] = request.subarray(2).toString('latin1').split('\0');
  let data = files.get(filename);
  if (!data) {
    data = readFileSync(join(root, filename));
    files.set(filename, data);
  }
  let blockSize = 512;
  let windowSize = 1;
  const granted: string[] = [];
  for (let i = 0; i + 1 < options.length; i += 2) {
    const name = options[i]?.toLowerCase();
    const value = options[i + 1] ?? '';
    if (name === 'blksize') blockSize = Number(value);
    else if (name === 'windowsize') windowSize = Number(value);
    else continue;
    granted.push(name, value);
  }
  const oack =
    granted.length > 0
      ? Buffer.concat([Buffer.from([0, 6]), Buffer.from(`${granted.join('\0')}\0`, 'latin1')])
      : undefined;
  send(data, blockSize, windowSize, client, oack);
});
listener.bind(0, host, () => {
  process.stdout.write(`${JSON.stringify({ port: listener.address().port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));

function send(
  data: Buffer,
  blockSize: number,
  windowSize: number,
  client: { address: string; port: number },
  oack: Buffer | undefined,
): void {
  const lastBlock = Math.floor(data.length / blockSize) + 1;
  let acked = 0;
  let started = oack === undefined;
  let progressed = true;
  const socket = createSocket('udp4');
  const sendFrom = (first: number) => {
    const end = Math.min(acked + windowSize, lastBlock);
    for (let n = first; n <= end; n++) {
      const header = Buffer.from([0, 3, (n >> 8) & 0xff, n & 0xff]);
      socket.send([header, data.subarray((n - 1) * blockSize, Math.min(n * blockSize, data.length))]);
    }
  };
  const timer = setInterval(() => {
    if (!progressed) {
      if (started) sendFrom(acked + 1);
      else if (oack) socket.send(oack);
    }
    progressed = false;
  }, retransmitMs);
  socket.on('message', (ack) => {
    if (ack.readUInt16BE(0) !== 4) {
      clearInterval(timer);
      socket.close();
      return;
    }
    if (!started) {
      if (ack.readUInt16BE(2) !== 0) return;
      started = true;
      progressed = true;
      sendFrom(1);
      return;
    }
    const block = acked + ((ack.readUInt16BE(2) - acked) & 0xffff);
    if (block <= acked || block > lastBlock) return;
    acked = block;
    progressed = true;
    if (acked === lastBlock) {
      clearInterval(timer);
      socket.close();
      return;
    }
    sendFrom(block + 1);
  });
  socket.bind(0, host, () => {
    socket.connect(client.port, client.address, () => {
      if (oack) socket.send(oack);
      else sendFrom(1);
    });
  });
}
