// Cuts a TftpFile into ready-made DATA packets, in order. A file on disk is read a chunk of about 256 KiB at a time,
// ahead of the transfer, so that sending a block seldom waits for the disk and no file is held whole in memory. The
// packets of a chunk lie side by side in one buffer, header and data, so the transfer sends each as it is and
// keeps it for retransmission without building or copying anything per packet.

import { BootwrightError } from '../errors.js';
import { opcodes, type TftpMode } from './packet.js';
import type { TftpFile } from './routes.js';

export interface BlockSource {
  /**
   * The DATA packet of block `n` (numbered from 1; its wire number wraps to 0 after 65535), or undefined while it
   * is still being read: then wait for `reading()`. The data is `blockSize` bytes, or fewer (possibly none) for the
   * last block (RFC 1350 section 6). Throws the read's error once a read has failed.
   */
  packet(n: number): Buffer | undefined;
  /** Settles (never rejects) once the read under way has ended, so that packet() has more blocks or its error. */
  reading(): Promise<void>;
  /** Blocks up to `n` are acknowledged: they are never asked for again, and their memory can go. */
  release(n: number): void;
}

/** About this much of a file is read at once: few reads per file, little memory per transfer. */
const readChunkBytes = 256 * 1024;

interface Chunk {
  /** Number of the chunk's first block. */
  first: number;
  packets: Buffer[];
}

/**
 * `windowSize` makes a chunk at least one window long, so that with big blocks (RFC 2348 allows 65464 bytes) a
 * window (RFC 7440 allows 65535 blocks) does not wait for one read after another.
 */
export function createBlockSource(
  file: TftpFile,
  blockSize: number,
  mode: TftpMode,
  windowSize = 1,
): BlockSource {
  return new ChunkedBlockSource(file, blockSize, mode, windowSize);
}

class ChunkedBlockSource implements BlockSource {
  /** Raw file bytes asked of one read: whole blocks, so that an octet file's chunks end on block boundaries. */
  private readonly rawChunkBytes: number;
  /** Chunks not yet released, oldest first. */
  private readonly chunks: Chunk[] = [];
  /** Number of the next block to be cut. */
  private nextBlock = 1;
  /** How far into the file reading has gone. */
  private offset = 0;
  /** Converted bytes read but not yet cut into a block (netascii makes blocks straddle reads). */
  private carry: Buffer = Buffer.alloc(0);
  /** The last (short) block has been cut. */
  private finished = false;
  private inFlight: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly file: TftpFile,
    private readonly blockSize: number,
    private readonly mode: TftpMode,
    windowSize: number,
  ) {
    const blocksPerChunk = Math.max(1, Math.floor(readChunkBytes / blockSize), windowSize);
    this.rawChunkBytes = blocksPerChunk * blockSize;
  }

  packet(n: number): Buffer | undefined {
    while (n >= this.nextBlock) {
      if (this.failure !== undefined) throw this.failure;
      if (this.finished) {
        throw new BootwrightError(
          'E_INTERNAL',
          `TFTP block source asked for block ${n}, past its last block`,
        );
      }
      this.readMore();
      if (this.inFlight !== undefined) return undefined;
    }
    // Read ahead once the transfer is half-way through the newest chunk.
    const newest = this.chunks.at(-1);
    if (newest !== undefined && n - newest.first >= newest.packets.length / 2) this.readMore();
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const chunk = this.chunks[i] as Chunk;
      if (n >= chunk.first) return chunk.packets[n - chunk.first];
    }
    throw new BootwrightError('E_INTERNAL', `TFTP block source asked for block ${n}, already released`);
  }

  reading(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  release(n: number): void {
    while (this.chunks.length > 0) {
      const oldest = this.chunks[0] as Chunk;
      if (oldest.first + oldest.packets.length - 1 > n) return;
      this.chunks.shift();
    }
  }

  /** Starts the next read unless one is under way; a buffer in memory is cut at once, without waiting. */
  private readMore(): void {
    if (this.inFlight !== undefined || this.finished || this.failure !== undefined) return;
    const length = Math.min(this.rawChunkBytes, this.file.size - this.offset);
    const offset = this.offset;
    this.offset += length;
    if ('data' in this.file) {
      this.cut(this.file.data.subarray(offset, offset + length));
      return;
    }
    this.inFlight = this.file
      .read(offset, length)
      .then((raw) => {
        if (raw.length !== length) {
          throw new BootwrightError(
            'E_UNAVAILABLE',
            `TFTP file shrank while being sent: expected ${length} bytes at offset ${offset}, read ${raw.length}`,
          );
        }
        this.cut(raw);
      })
      .catch((error: unknown) => {
        this.failure = error;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
  }

  /** Turns raw file bytes into DATA packets; once the whole file is read, the rest is the short last block. */
  private cut(raw: Buffer): void {
    const converted = this.mode === 'netascii' ? toNetascii(raw) : raw;
    const bytes = this.carry.length === 0 ? converted : Buffer.concat([this.carry, converted]);
    const atEnd = this.offset >= this.file.size;
    const whole = Math.floor(bytes.length / this.blockSize);
    const count = whole + (atEnd ? 1 : 0);
    const used = atEnd ? bytes.length : whole * this.blockSize;
    const arena = Buffer.allocUnsafeSlow(count * 4 + used);
    const packets: Buffer[] = new Array(count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const start = i * this.blockSize;
      const end = Math.min(start + this.blockSize, used);
      const wireNumber = (this.nextBlock + i) & 0xffff;
      arena[at] = 0;
      arena[at + 1] = opcodes.DATA;
      arena[at + 2] = wireNumber >> 8;
      arena[at + 3] = wireNumber & 0xff;
      bytes.copy(arena, at + 4, start, end);
      packets[i] = arena.subarray(at, at + 4 + end - start);
      at += 4 + end - start;
    }
    if (count > 0) this.chunks.push({ first: this.nextBlock, packets });
    this.nextBlock += count;
    this.carry = atEnd ? Buffer.alloc(0) : bytes.subarray(used);
    this.finished = atEnd;
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
