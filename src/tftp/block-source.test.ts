import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { type BlockSource, createBlockSource, toNetascii } from './block-source.js';
import type { TftpFile } from './routes.js';

async function allBlocks(source: BlockSource, blockSize: number): Promise<Buffer[]> {
  const blocks: Buffer[] = [];
  for (;;) {
    const block = await source.next();
    blocks.push(block);
    if (block.length < blockSize) return blocks;
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
  const data = randomBytes(1024);
  const blocks = await allBlocks(createBlockSource({ size: data.length, data }, 512, 'octet'), 512);
  assert.deepEqual(
    blocks.map((b) => b.length),
    [512, 512, 0],
  );
});

test('an empty file is one empty block', async () => {
  const blocks = await allBlocks(createBlockSource({ size: 0, data: Buffer.alloc(0) }, 512, 'octet'), 512);
  assert.deepEqual(
    blocks.map((b) => b.length),
    [0],
  );
});

test('a file on disk is read in 64 KiB chunks, not per block and not whole', async () => {
  const data = randomBytes(1_000_000);
  const file = chunkedFile(data);
  const blocks = await allBlocks(createBlockSource(file, 512, 'octet'), 512);
  assert.deepEqual(Buffer.concat(blocks), data);
  assert.equal(file.reads, Math.ceil(data.length / 65536));
});

test('reading past the last block is a bug and says so', async () => {
  const source = createBlockSource({ size: 1, data: Buffer.from('x') }, 512, 'octet');
  await source.next();
  await assert.rejects(source.next(), /read past its last block/);
});

test('a file that shrinks while being sent fails the transfer instead of sending a short file', async () => {
  const file: TftpFile = {
    size: 100_000,
    read: async (_offset, length) => Buffer.alloc(Math.min(length, 1000)),
  };
  const source = createBlockSource(file, 512, 'octet');
  await assert.rejects(
    allBlocks(source, 512),
    /shrank while being sent: expected 65536 bytes at offset 0, read 1000/,
  );
});

test('netascii turns LF into CR LF and a bare CR into CR NUL', () => {
  assert.deepEqual(toNetascii(Buffer.from('a\nb\rc\r\n')), Buffer.from('a\r\nb\r\0c\r\0\r\n'));
  const plain = Buffer.from('no line ends');
  assert.equal(toNetascii(plain), plain);
});

test('netascii blocks are full blocks of the converted text, across chunk boundaries', async () => {
  const text = Buffer.from('line\n'.repeat(30_000));
  const blocks = await allBlocks(createBlockSource(chunkedFile(text), 512, 'netascii'), 512);
  const expected = Buffer.from('line\r\n'.repeat(30_000));
  assert.deepEqual(Buffer.concat(blocks), expected);
  assert.ok(blocks.slice(0, -1).every((b) => b.length === 512));
  assert.equal(blocks.length, Math.floor(expected.length / 512) + 1);
});
