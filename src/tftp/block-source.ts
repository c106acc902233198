// Cuts a TftpFile into DATA blocks, in order, reading files on disk in chunks so that no file is held whole in
// memory. The transfer keeps the blocks of its open window itself, so a source is only ever read forwards.

import { BootwrightError } from '../errors.js';
import type { TftpMode } from './packet.js';
import type { TftpFile } from './routes.js';

export interface BlockSource {
  /** The next block: `blockSize` bytes, or fewer (possibly none) for the last one (RFC 1350 section 6). */
  next(): Promise<Buffer>;
}

const readChunkBytes = 64 * 1024;

export function createBlockSource(file: TftpFile, blockSize: number, mode: TftpMode): BlockSource {
  const raw = rawChunks(file);
  let pending: Buffer = Buffer.alloc(0);
  let position = 0;
  let exhausted = false;
  let finished = false;
  return {
    async next() {
      if (finished) throw new BootwrightError('E_INTERNAL', 'TFTP block source read past its last block');
      while (pending.length - position < blockSize && !exhausted) {
        const chunk = await raw.next();
        if (chunk.done) {
          exhausted = true;
        } else {
          const bytes = mode === 'netascii' ? toNetascii(chunk.value) : chunk.value;
          pending = position === pending.length ? bytes : Buffer.concat([pending.subarray(position), bytes]);
          position = 0;
        }
      }
      const block = pending.subarray(position, position + blockSize);
      position += block.length;
      if (block.length < blockSize) finished = true;
      return block;
    },
  };
}

async function* rawChunks(file: TftpFile): AsyncGenerator<Buffer> {
  if ('data' in file) {
    yield file.data;
    return;
  }
  for (let offset = 0; offset < file.size; offset += readChunkBytes) {
    const length = Math.min(readChunkBytes, file.size - offset);
    const chunk = await file.read(offset, length);
    if (chunk.length !== length) {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `TFTP file shrank while being sent: expected ${length} bytes at offset ${offset}, read ${chunk.length}`,
      );
    }
    yield chunk;
  }
}

/** RFC 1350 (after RFC 764): netascii ends lines with CR LF, and a bare CR is sent as CR NUL. */
export function toNetascii(bytes: Buffer): Buffer {
  let extra = 0;
  for (const byte of bytes) if (byte === 0x0a || byte === 0x0d) extra++;
  if (extra === 0) return bytes;
  const out = Buffer.allocUnsafe(bytes.length + extra);
  let at = 0;
  for (const byte of bytes) {
    if (byte === 0x0a) {
      out[at++] = 0x0d;
      out[at++] = 0x0a;
    } else if (byte === 0x0d) {
      out[at++] = 0x0d;
      out[at++] = 0x00;
    } else {
      out[at++] = byte;
    }
  }
  return out;
}
