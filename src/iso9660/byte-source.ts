// Where an image's bytes come from: a file read at offsets through one FileHandle (never read whole), or a buffer
// for tests. The reader checks every range against `size` before asking, so a short read means the file shrank.

import { type FileHandle, open } from 'node:fs/promises';
import { invalid, notFound, quote } from '../errors.js';

export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes from `position`, or fewer only where the source ends. */
  read(position: number, length: number): Promise<Buffer>;
  /** Reads `length` bytes from `position` into the start of `buffer`; resolves with how many, fewer only at the end. */
  readInto?(buffer: Buffer, position: number, length: number): Promise<number>;
  close(): Promise<void>;
}

export async function openFileSource(path: string): Promise<ByteSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw notFound(`ISO image ${quote(path)} not found`);
    throw error;
  }
  const stats = await handle.stat();
  // Only regular files: Node reports a block device's size as 0, and the reader checks every range against the size.
  if (!stats.isFile()) {
    await handle.close();
    throw invalid(`ISO image ${quote(path)} is not a regular file`);
  }
  return new FileSource(handle, stats.size);
}

class FileSource implements ByteSource {
  readonly #handle: FileHandle;
  readonly size: number;

  constructor(handle: FileHandle, size: number) {
    this.#handle = handle;
    this.size = size;
  }

  async read(position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    const filled = await this.readInto(buffer, position, length);
    return filled === length ? buffer : buffer.subarray(0, filled);
  }

  async readInto(buffer: Buffer, position: number, length: number): Promise<number> {
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.#handle.read(buffer, filled, length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

export function bufferSource(bytes: Buffer): ByteSource {
  return {
    size: bytes.length,
    async read(position, length) {
      return Buffer.from(bytes.subarray(position, position + length));
    },
    async close() {},
  };
}
