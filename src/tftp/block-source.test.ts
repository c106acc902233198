import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { type BlockSource, createBlockSource, toNetascii } from './block-source.js';
import { parseTftpPacket } from './packet.js';
import type { TftpFile } from './routes.js';

/** The data of every block in order, waiting for reads as the server does; checks each packet's header. */
async function allBlocks(source: BlockSource, blockSize: number): Promise<Buffer[]> {
  const blocks: Buffer[] = [];
  for (let n = 1; ; n++) {
    let packet = source.packet(n);
    while (packet === undefined) {
      await source.reading();
      packet = source.packet(n);
    }
    const parsed = parseTftpPacket(packet);
    assert.equal(parsed.type, 'DATA');
    if (parsed.type !== 'DATA') throw new Error('unreachable');
    assert.equal(parsed.block, n & 0xffff);
    blocks.push(parsed.data);
    source.release(n);
    if (parsed.data.length < blockSize) return blocks;
  }
}

/** A file read through read(), counting reads, as fileRootRoute's files are. */
function chunkedFile(data: Buffer): TftpFile & { reads: number } {
  const file = {
    size: data.length,
    reads: 0,
    async read(offset: number, length: number) {
      file.reads++;
      return Buffer.from(data.subarray(offset, offset + length));
    },
  };
  return file;
}

test('a file is cut into full blocks and one short last block', async () => {
  const data = randomBytes(1300);
  const blocks = await allBlocks(createBlockSource({ size: data.length, data }, 512, 'octet'), 512);
  assert.deepEqual(
    blocks.map((b) => b.length),
    [512, 512, 276],
  );
  assert.deepEqual(Buffer.concat(blocks), data);
});

test('a file of an exact multiple of the block size ends with an empty block (RFC 1350 section 6)', async () => {
  for (const file of [
    { size: 1024, data: randomBytes(1024) },
    chunkedFile(randomBytes(1024)),
    chunkedFile(randomBytes(512 * 1024)),
  ]) {
    const blocks = await allBlocks(createBlockSource(file, 512, 'octet'), 512);
    assert.equal(blocks.length, file.size / 512 + 1);
    assert.equal(blocks.at(-1)?.length, 0);
  }
});

test('an empty file is one empty block', async () => {
  for (const file of [{ size: 0, data: Buffer.alloc(0) }, chunkedFile(Buffer.alloc(0))]) {
    const blocks = await allBlocks(createBlockSource(file, 512, 'octet'), 512);
    assert.deepEqual(
      blocks.map((b) => b.length),
      [0],
    );
  }
});

test('a file on disk is read in chunks of about 256 KiB, not per block and not whole', async () => {
  const data = randomBytes(1_000_000);
  const file = chunkedFile(data);
  const blocks = await allBlocks(createBlockSource(file, 512, 'octet'), 512);
  assert.deepEqual(Buffer.concat(blocks), data);
  assert.equal(file.reads, Math.ceil(data.length / (256 * 1024)));
});

test('a chunk holds at least one window, so that a window of big blocks waits for one read at most', async () => {
  const data = randomBytes(65464 * 40);
  const file = chunkedFile(data);
  const source = createBlockSource(file, 65464, 'octet', 16);
  assert.equal(source.packet(1), undefined);
  await source.reading();
  for (let n = 1; n <= 16; n++) assert.ok(source.packet(n), `block ${n} is read`);
});

test('the next chunk is read ahead, before the transfer reaches it', async () => {
  const file = chunkedFile(randomBytes(1_000_000));
  const source = createBlockSource(file, 512, 'octet');
  assert.equal(source.packet(1), undefined);
  await source.reading();
  const perChunk = (256 * 1024) / 512;
  for (let n = 1; n <= perChunk / 2 + 1; n++) source.packet(n);
  await source.reading();
  assert.equal(file.reads, 2);
  assert.ok(source.packet(perChunk + 1), 'the first block of the next chunk is there when asked for');
});

test('blocks stay there until released, for retransmission; asking past the last block is a bug', async () => {
  const source = createBlockSource({ size: 1, data: Buffer.from('x') }, 512, 'octet');
  assert.deepEqual(source.packet(1), source.packet(1));
  assert.throws(() => source.packet(2), /past its last block/);
  source.release(1);
  assert.throws(() => source.packet(1), /already released/);
});

test('a file that shrinks while being sent fails the transfer instead of sending a short file', async () => {
  const file: TftpFile = {
    size: 1_000_000,
    read: async (_offset, length) => Buffer.alloc(Math.min(length, 1000)),
  };
  const source = createBlockSource(file, 512, 'octet');
  await assert.rejects(
    allBlocks(source, 512),
    /shrank while being sent: expected 262144 bytes at offset 0, read 1000/,
  );
});

test('netascii turns LF into CR LF and a bare CR into CR NUL', () => {
  assert.deepEqual(toNetascii(Buffer.from('a\nb\rc\r\n')), Buffer.from('a\r\nb\r\0c\r\0\r\n'));
  const plain = Buffer.from('no line ends');
  assert.equal(toNetascii(plain), plain);
});

test('netascii blocks are full blocks of the converted text, across chunk boundaries', async () => {
  const text = Buffer.from('line\n'.repeat(300_000));
  const blocks = await allBlocks(createBlockSource(chunkedFile(text), 512, 'netascii'), 512);
  const expected = Buffer.from('line\r\n'.repeat(300_000));
  assert.deepEqual(Buffer.concat(blocks), expected);
  assert.ok(blocks.slice(0, -1).every((b) => b.length === 512));
  assert.equal(blocks.length, Math.floor(expected.length / 512) + 1);
});
