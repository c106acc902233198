// One read transfer as a state machine with no sockets and no clock of its own: it is fed the packets its client
// sent and timer ticks (with the time), and answers with packets to send and when it next wants a tick. Blocks are
// numbered from 1 without limit inside; only the wire number wraps, to 0 after 65535, as tftp-hpa and RFC 7440
// clients expect, so files of any size go through.

import { asBootwrightError, quote } from '../errors.js';
import type { BlockSource } from './block-source.js';
import { serializeTftpPacket, type TftpOptions, type TftpPacket, tftpErrorCodes } from './packet.js';

export interface TransferSettings {
  blockSize: number;
  windowSize: number;
  /** Wait before the first retransmission; each further one waits twice as long as the last, up to a cap. */
  timeoutMs: number;
  /** Retransmissions of the same window before giving up. */
  retries: number;
  /**
   * Longest wait for the client to move on, all retransmissions of one window together, before giving up: however
   * long the timeout and however many the retries, a client that stops answering frees its transfer by then.
   */
  maxWaitMs: number;
  /** The RFC 2347 OACK to send first; empty to start with DATA 1. */
  oack: TftpOptions;
}

export type TransferOutcome =
  | { status: 'sent'; bytes: number }
  /** The client refused the OACK with ERROR 8, as UEFI does after reading tsize; it asks again at once. */
  | { status: 'declined'; bytes: number }
  | { status: 'failed'; bytes: number; message: string };

export interface TransferStep {
  send: Buffer[];
  /** When to call tick() next; undefined once the transfer has ended, or while nothing is in flight. */
  deadline: number | undefined;
  outcome?: TransferOutcome;
  /** Set when blocks due to be sent are still being read from disk: call resume() once it settles. */
  reading?: Promise<void>;
}

/** Back-off stops doubling here, so that a patient client is still retried every few seconds. */
export const maxRetransmitDelayMs = 8000;

/**
 * Each call answers at once (no promise per packet): the blocks come ready-made from the BlockSource, which reads
 * ahead; only when a block is not read yet does a step carry `reading`, and resume() sends on from there.
 */
export class ReadTransfer {
  private phase: 'new' | 'oack' | 'data' | 'done' = 'new';
  /** Highest block the client acknowledged; the window is acked+1 .. acked+windowSize. */
  private acked = 0;
  /** Highest block sent so far; the source keeps the packets acked+1 .. sent for retransmission. */
  private sent = 0;
  /** The final (short) block and its data length, once it has been read. */
  private last: number | undefined;
  private lastLength = 0;
  private attempts = 0;
  private deadline: number | undefined;
  /** Since when the transfer has waited for the client: its last progress, or the send after a pause for the disk. */
  private waitingSince = 0;

  constructor(
    private readonly source: BlockSource,
    private readonly settings: TransferSettings,
  ) {}

  start(now: number): TransferStep {
    if (this.phase !== 'new') return this.idle();
    if (this.settings.oack.size > 0) {
      this.phase = 'oack';
      this.waitingSince = now;
      return this.arm(now, [serializeTftpPacket({ type: 'OACK', options: this.settings.oack })]);
    }
    this.phase = 'data';
    return this.sendWindow(now, 1);
  }

  receive(packet: TftpPacket, now: number): TransferStep {
    if (this.phase === 'done' || this.phase === 'new') return this.idle();
    if (packet.type === 'ERROR') return this.onError(packet.code, packet.message);
    if (packet.type !== 'ACK') return this.idle();
    if (this.phase === 'oack') {
      if (packet.block !== 0) return this.idle();
      this.phase = 'data';
      this.attempts = 0;
      return this.sendWindow(now, 1);
    }
    const block = this.acked + ((packet.block - this.acked) & 0xffff);
    // RFC 1123 section 4.2.3.1: a duplicate ACK is ignored, never answered, or each duplicate doubles the traffic
    // (the Sorcerer's Apprentice). An ACK for nothing in flight is stale and ignored too.
    if (block === this.acked || block > this.sent) return this.idle();
    this.acked = block;
    this.attempts = 0;
    this.waitingSince = now;
    this.source.release(block);
    if (block === this.last) return this.finish({ status: 'sent', bytes: this.bytes() }, []);
    // RFC 7440 section 4: an ACK inside the window means the blocks after it were lost; send again from there.
    return this.sendWindow(now, block + 1);
  }

  tick(now: number): TransferStep {
    if (this.deadline === undefined || now < this.deadline) return this.idle();
    const waitingFor = this.phase === 'oack' ? 'the OACK' : `block ${this.acked + 1}`;
    if (this.attempts >= this.settings.retries) {
      return this.fail(`No acknowledgement of ${waitingFor} after ${this.attempts} retransmissions`);
    }
    if (now >= this.waitingSince + this.settings.maxWaitMs) {
      const waited = `${Math.round((now - this.waitingSince) / 100) / 10} s`;
      const plural = this.attempts === 1 ? '' : 's';
      return this.fail(
        `No acknowledgement of ${waitingFor} in ${waited}, after ${this.attempts} retransmission${plural}`,
      );
    }
    this.attempts++;
    if (this.phase === 'oack') {
      return this.arm(now, [serializeTftpPacket({ type: 'OACK', options: this.settings.oack })]);
    }
    return this.sendWindow(now, this.acked + 1);
  }

  /** After a step's `reading` settled: sends the rest of the window, or fails if the read did. */
  resume(now: number): TransferStep {
    if (this.phase !== 'data') return this.idle();
    return this.sendWindow(now, this.sent + 1);
  }

  /** The wait before the next retransmission: timeout, 2 x timeout, 4 x timeout, ... capped. */
  private retransmitDelay(): number {
    const base = this.settings.timeoutMs;
    return Math.min(base * 2 ** this.attempts, Math.max(base, maxRetransmitDelayMs));
  }

  /** Data bytes the client acknowledged: every block before the last one is full. */
  private bytes(): number {
    if (this.last !== undefined && this.acked >= this.last) {
      return (this.last - 1) * this.settings.blockSize + this.lastLength;
    }
    return this.acked * this.settings.blockSize;
  }

  /** Sends blocks first .. the window's end, as far as they are read; the timer runs while any is in flight. */
  private sendWindow(now: number, first: number): TransferStep {
    const packets: Buffer[] = [];
    // Nothing was in flight (a new window, or the disk held the last one up): the client is waited for from now.
    if (this.sent === this.acked) this.waitingSince = now;
    const end = this.acked + this.settings.windowSize;
    let n = first;
    try {
      for (; n <= end && (this.last === undefined || n <= this.last); n++) {
        const packet = this.source.packet(n);
        if (packet === undefined) break;
        if (packet.length - 4 < this.settings.blockSize) {
          this.last = n;
          this.lastLength = packet.length - 4;
        }
        if (n > this.sent) this.sent = n;
        packets.push(packet);
      }
    } catch (error) {
      return this.fail(asBootwrightError(error).message);
    }
    const waiting = n <= end && (this.last === undefined || n <= this.last);
    let step: TransferStep;
    if (packets.length > 0) step = this.arm(now, packets);
    else {
      // Nothing in flight while the disk is read: nothing to retransmit, and the client is not late.
      if (this.sent === this.acked) this.deadline = undefined;
      step = this.idle();
    }
    if (waiting) step.reading = this.source.reading();
    return step;
  }

  private onError(code: number, message: string): TransferStep {
    if (this.phase === 'oack' && code === tftpErrorCodes.optionRefused) {
      return this.finish({ status: 'declined', bytes: 0 }, []);
    }
    const outcome = {
      status: 'failed',
      bytes: this.bytes(),
      message: `Client ended the transfer with ERROR ${code} ${quote(message)}`,
    } as const;
    return this.finish(outcome, []);
  }

  private fail(message: string): TransferStep {
    const error = serializeTftpPacket({ type: 'ERROR', code: tftpErrorCodes.notDefined, message });
    return this.finish({ status: 'failed', bytes: this.bytes(), message }, [error]);
  }

  private finish(outcome: TransferOutcome, send: Buffer[]): TransferStep {
    this.phase = 'done';
    this.deadline = undefined;
    return { send, deadline: undefined, outcome };
  }

  private arm(now: number, send: Buffer[]): TransferStep {
    this.deadline = Math.min(now + this.retransmitDelay(), this.waitingSince + this.settings.maxWaitMs);
    return { send, deadline: this.deadline };
  }

  private idle(): TransferStep {
    return { send: [], deadline: this.deadline };
  }
}
