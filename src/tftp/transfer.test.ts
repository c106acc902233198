// The transfer state machine with a fake clock: time is just the number passed in, so loss, back-off and give-up
// are exact and instant.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { type BlockSource, createBlockSource } from './block-source.js';
import { parseTftpPacket, type TftpPacket } from './packet.js';
import { ReadTransfer, type TransferSettings, type TransferStep } from './transfer.js';

function transferOf(data: Buffer, settings: Partial<TransferSettings> = {}, source?: BlockSource) {
  const full: TransferSettings = {
    blockSize: 512,
    windowSize: 1,
    timeoutMs: 1000,
    retries: 3,
    maxWaitMs: 60_000,
    oack: new Map(),
    ...settings,
  };
  return new ReadTransfer(
    source ?? createBlockSource({ size: data.length, data }, full.blockSize, 'octet'),
    full,
  );
}

const ack = (block: number): TftpPacket => ({ type: 'ACK', block });
const packets = (step: TransferStep) => step.send.map((bytes) => parseTftpPacket(bytes));
/** "DATA 3 (512)" per packet sent, so a whole exchange reads as one line. */
const summary = (step: TransferStep) =>
  packets(step)
    .map((p) =>
      p.type === 'DATA' ? `DATA ${p.block} (${p.data.length})` : p.type === 'ACK' ? `ACK ${p.block}` : p.type,
    )
    .join(', ');

test('lock-step: each ACK brings the next block; the final short block ends it', async () => {
  const data = randomBytes(1100);
  const transfer = transferOf(data);
  assert.equal(summary(await transfer.start(0)), 'DATA 1 (512)');
  assert.equal(summary(await transfer.receive(ack(1), 5)), 'DATA 2 (512)');
  assert.equal(summary(await transfer.receive(ack(2), 10)), 'DATA 3 (76)');
  const end = await transfer.receive(ack(3), 15);
  assert.deepEqual(end, { send: [], deadline: undefined, outcome: { status: 'sent', bytes: 1100 } });
});

test('a file of whole blocks ends with an empty DATA', async () => {
  const transfer = transferOf(randomBytes(1024));
  await transfer.start(0);
  await transfer.receive(ack(1), 1);
  assert.equal(summary(await transfer.receive(ack(2), 2)), 'DATA 3 (0)');
  assert.deepEqual((await transfer.receive(ack(3), 3)).outcome, { status: 'sent', bytes: 1024 });
});

test('a lost DATA is sent again when the timer runs out, not before', async () => {
  const transfer = transferOf(randomBytes(2000));
  const first = await transfer.start(0);
  assert.equal(first.deadline, 1000);
  assert.deepEqual((await transfer.tick(999)).send, []);
  const again = await transfer.tick(1000);
  assert.deepEqual(again.send, first.send);
  assert.equal(summary(await transfer.receive(ack(1), 1100)), 'DATA 2 (512)');
});

test('a lost ACK: the retransmitted DATA is ACKed again and the transfer goes on; repeated ACKs get nothing', async () => {
  const transfer = transferOf(randomBytes(2000));
  await transfer.start(0);
  assert.equal(summary(await transfer.receive(ack(1), 10)), 'DATA 2 (512)'); // this ACK of DATA 2 is lost:
  assert.equal(summary(await transfer.tick(1010)), 'DATA 2 (512)');
  assert.equal(summary(await transfer.receive(ack(2), 1020)), 'DATA 3 (512)');
  // RFC 1123 4.2.3.1: the client's own retransmitted ACK 2 arrives late; answering it would double every block.
  for (let i = 0; i < 10; i++) assert.deepEqual((await transfer.receive(ack(2), 1030 + i)).send, []);
  assert.equal(summary(await transfer.receive(ack(3), 1100)), 'DATA 4 (464)');
});

test('windowsize: a full window goes out at once and the ACK of its last block brings the next window', async () => {
  const transfer = transferOf(randomBytes(512 * 9 + 10), { windowSize: 4 });
  assert.equal(summary(await transfer.start(0)), 'DATA 1 (512), DATA 2 (512), DATA 3 (512), DATA 4 (512)');
  assert.equal(
    summary(await transfer.receive(ack(4), 1)),
    'DATA 5 (512), DATA 6 (512), DATA 7 (512), DATA 8 (512)',
  );
  assert.equal(summary(await transfer.receive(ack(8), 2)), 'DATA 9 (512), DATA 10 (10)');
  assert.deepEqual((await transfer.receive(ack(10), 3)).outcome, { status: 'sent', bytes: 512 * 9 + 10 });
});

test('windowsize: an ACK inside the window rewinds to the block after it (RFC 7440 section 4)', async () => {
  const data = randomBytes(512 * 20);
  const transfer = transferOf(data, { windowSize: 4 });
  await transfer.start(0); // 1..4 sent; 3 is lost, so the client ACKs 2 when 4 arrives out of order
  assert.equal(
    summary(await transfer.receive(ack(2), 1)),
    'DATA 3 (512), DATA 4 (512), DATA 5 (512), DATA 6 (512)',
  );
  // The same ACK again (the client saw 4 after 3 was lost, then 5 ...): no storm.
  assert.deepEqual((await transfer.receive(ack(2), 2)).send, []);
  assert.deepEqual((await transfer.receive(ack(1), 2)).send, [], 'an ACK older than the window is ignored');
  assert.deepEqual(
    (await transfer.receive(ack(9), 2)).send,
    [],
    'an ACK for a block not yet sent is ignored',
  );
  assert.equal(
    summary(await transfer.receive(ack(6), 3)),
    'DATA 7 (512), DATA 8 (512), DATA 9 (512), DATA 10 (512)',
  );
});

test('windowsize: a timeout resends the whole unacknowledged window', async () => {
  const transfer = transferOf(randomBytes(512 * 20), { windowSize: 3 });
  await transfer.start(0);
  assert.equal(summary(await transfer.tick(1000)), 'DATA 1 (512), DATA 2 (512), DATA 3 (512)');
});

test('roll-over: more than 65536 blocks, block numbers wrap to 0, and every byte arrives in order', async () => {
  for (const windowSize of [1, 16]) {
    const blockSize = 8;
    const data = randomBytes(blockSize * 70_000 + 3);
    const transfer = transferOf(data, { blockSize, windowSize });
    const received: Buffer[] = [];
    const wireNumbers: number[] = [];
    let step = await transfer.start(0);
    while (!step.outcome) {
      const sent = packets(step);
      let lastBlock = -1;
      for (const packet of sent) {
        assert.equal(packet.type, 'DATA');
        if (packet.type !== 'DATA') continue;
        received.push(packet.data);
        if (wireNumbers.length < 65540) wireNumbers.push(packet.block);
        lastBlock = packet.block;
      }
      step = await transfer.receive(ack(lastBlock), 0);
    }
    assert.deepEqual(step.outcome, { status: 'sent', bytes: data.length });
    assert.deepEqual(wireNumbers.slice(65532, 65540), [65533, 65534, 65535, 0, 1, 2, 3, 4]);
    assert.deepEqual(Buffer.concat(received), data, `window ${windowSize}`);
  }
});

test('roll-over: a rewinding ACK just after the wrap is read as the block after 65535', async () => {
  const blockSize = 8;
  const data = randomBytes(blockSize * 65_600);
  const transfer = transferOf(data, { blockSize, windowSize: 8 });
  let step = await transfer.start(0);
  for (let last = 8; last < 65_532; last += 8) step = await transfer.receive(ack(last), 0);
  assert.equal(summary(step).split(', ').at(-1), 'DATA 0 (8)'); // window 65529..65536 ends at wire block 0
  assert.equal(summary(await transfer.receive(ack(65535), 0)).split(', ')[0], 'DATA 0 (8)');
  assert.equal(summary(await transfer.receive(ack(0), 0)).split(', ')[0], 'DATA 1 (8)');
});

test('back-off: each retransmission waits twice as long, then the transfer gives up with an ERROR', async () => {
  const transfer = transferOf(randomBytes(2000), { timeoutMs: 1000, retries: 3 });
  const deadlines = [(await transfer.start(0)).deadline];
  for (const now of [1000, 3000, 7000]) {
    const step = await transfer.tick(now);
    assert.equal(summary(step), 'DATA 1 (512)');
    deadlines.push(step.deadline);
  }
  assert.deepEqual(deadlines, [1000, 3000, 7000, 15000]);
  const end = await transfer.tick(15000);
  assert.deepEqual(packets(end), [
    { type: 'ERROR', code: 0, message: 'No acknowledgement of block 1 after 3 retransmissions' },
  ]);
  assert.deepEqual(end.outcome, {
    status: 'failed',
    bytes: 0,
    message: 'No acknowledgement of block 1 after 3 retransmissions',
  });
  assert.deepEqual(await transfer.tick(100_000), { send: [], deadline: undefined });
});

test('back-off: progress resets the wait, and the wait is capped', async () => {
  const transfer = transferOf(randomBytes(5000), { timeoutMs: 3000, retries: 10 });
  await transfer.start(0);
  assert.equal((await transfer.tick(3000)).deadline, 9000);
  assert.equal((await transfer.receive(ack(1), 4000)).deadline, 7000);
  const deadlines: (number | undefined)[] = [];
  let now = 7000;
  for (let i = 0; i < 4; i++) {
    const step = await transfer.tick(now);
    deadlines.push(step.deadline);
    now = step.deadline ?? now;
  }
  assert.deepEqual(deadlines, [13_000, 21_000, 29_000, 37_000]); // 6 s, then the 8 s cap
});

test('a client that stops answering is given up after maxWaitMs, however long the timeout and many the retries', async () => {
  const transfer = transferOf(randomBytes(5000), { timeoutMs: 4000, retries: 100, maxWaitMs: 10_000 });
  assert.equal((await transfer.start(0)).deadline, 4000);
  assert.equal((await transfer.receive(ack(1), 9000)).deadline, 13_000, 'progress starts the wait again');
  const retransmitted = await transfer.tick(13_000);
  assert.equal(summary(retransmitted), 'DATA 2 (512)');
  assert.equal(
    retransmitted.deadline,
    19_000,
    'the 8 s back-off is cut short at 10 s since the last progress',
  );
  const end = await transfer.tick(19_000);
  const message = 'No acknowledgement of block 2 in 10 s, after 1 retransmission';
  assert.deepEqual(packets(end), [{ type: 'ERROR', code: 0, message }]);
  assert.deepEqual(end.outcome, { status: 'failed', bytes: 512, message });
});

test('a wait for the disk does not count against maxWaitMs: the client is not late while nothing is in flight', async () => {
  const data = randomBytes(3000);
  const file = {
    size: data.length,
    read: async (offset: number, length: number) => data.subarray(offset, offset + length),
  };
  const transfer = transferOf(data, { maxWaitMs: 5000 }, createBlockSource(file, 512, 'octet'));
  const waiting = transfer.start(0);
  assert.deepEqual(waiting.send, []);
  await waiting.reading;
  const sent = transfer.resume(20_000); // the disk took 20 s, four times maxWaitMs
  assert.equal(summary(sent), 'DATA 1 (512)');
  assert.equal(sent.deadline, 21_000, 'the client has its full timeout from the send');
  assert.equal(summary(transfer.tick(21_000)), 'DATA 1 (512)', 'and a retransmission, not a give-up');
});

test('OACK first, then DATA 1 once the client ACKs block 0 (RFC 2347)', async () => {
  const oack = new Map([
    ['tsize', '2000'],
    ['blksize', '1024'],
  ]);
  const transfer = transferOf(randomBytes(2000), { blockSize: 1024, oack });
  assert.deepEqual(packets(await transfer.start(0)), [{ type: 'OACK', options: oack }]);
  assert.deepEqual((await transfer.receive(ack(1), 1)).send, [], 'an ACK of block 1 means nothing yet');
  assert.deepEqual(packets(await transfer.tick(1000)), [{ type: 'OACK', options: oack }]);
  assert.equal(summary(await transfer.receive(ack(0), 1100)), 'DATA 1 (1024)');
  assert.deepEqual((await transfer.receive(ack(0), 1200)).send, [], 'a repeated ACK 0 is a duplicate');
});

test('UEFI reads tsize from the OACK and refuses it with ERROR 8: a normal, quiet end', async () => {
  const transfer = transferOf(randomBytes(2000), { oack: new Map([['tsize', '2000']]) });
  await transfer.start(0);
  const end = await transfer.receive({ type: 'ERROR', code: 8, message: 'User aborted the transfer' }, 5);
  assert.deepEqual(end, { send: [], deadline: undefined, outcome: { status: 'declined', bytes: 0 } });
});

test('an ERROR from the client during the data ends the transfer as failed, without an answer', async () => {
  const transfer = transferOf(randomBytes(2000));
  await transfer.start(0);
  await transfer.receive(ack(1), 1);
  const end = await transfer.receive({ type: 'ERROR', code: 3, message: 'Disk full' }, 2);
  assert.deepEqual(end, {
    send: [],
    deadline: undefined,
    outcome: { status: 'failed', bytes: 512, message: 'Client ended the transfer with ERROR 3 "Disk full"' },
  });
  assert.deepEqual(await transfer.receive(ack(2), 3), { send: [], deadline: undefined });
});

test('a read error ends the transfer with ERROR 0 to the client', async () => {
  const file = {
    size: 5000,
    read: async () => {
      throw new Error('EIO: i/o error, read');
    },
  };
  const transfer = transferOf(Buffer.alloc(0), {}, createBlockSource(file, 512, 'octet'));
  const waiting = transfer.start(0);
  assert.deepEqual(waiting.send, [], 'nothing is sent before the first block is read');
  assert.equal(waiting.deadline, undefined, 'and no retransmission is due while nothing is in flight');
  await waiting.reading;
  const step = transfer.resume(1);
  assert.deepEqual(packets(step), [
    { type: 'ERROR', code: 0, message: 'Internal error: EIO: i/o error, read' },
  ]);
  assert.equal(step.outcome?.status, 'failed');
});

test('a window whose blocks are still being read is sent as they arrive, with no block twice', async () => {
  const data = randomBytes(600_000);
  const file = {
    size: data.length,
    read: async (offset: number, length: number) => data.subarray(offset, offset + length),
  };
  const transfer = transferOf(data, { windowSize: 8 }, createBlockSource(file, 512, 'octet', 8));
  let step = transfer.start(0);
  const received: Buffer[] = [];
  let next = 1;
  while (!step.outcome) {
    for (const packet of packets(step)) {
      assert.equal(packet.type, 'DATA');
      if (packet.type !== 'DATA') continue;
      assert.equal(packet.block, next & 0xffff, 'blocks arrive once each, in order');
      next++;
      received.push(packet.data);
    }
    if (step.reading) {
      await step.reading;
      step = transfer.resume(0);
    } else step = transfer.receive(ack((next - 1) & 0xffff), 0);
  }
  assert.deepEqual(step.outcome, { status: 'sent', bytes: data.length });
  assert.deepEqual(Buffer.concat(received), data);
});

test('packets other than ACK and ERROR are ignored', async () => {
  const transfer = transferOf(randomBytes(2000));
  const first = await transfer.start(0);
  const stray: TftpPacket[] = [
    { type: 'DATA', block: 1, data: Buffer.from('x') },
    { type: 'RRQ', filename: 'a', mode: 'octet', options: new Map() },
    { type: 'OACK', options: new Map([['tsize', '1']]) },
  ];
  for (const packet of stray)
    assert.deepEqual(await transfer.receive(packet, 1), { send: [], deadline: first.deadline });
});
