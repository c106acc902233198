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
  /** When to call tick() next; undefined once the transfer has ended. */
  deadline: number | undefined;
  outcome?: TransferOutcome;
}

/** Back-off stops doubling here, so that a patient client is still retried every few seconds. */
export const maxRetransmitDelayMs = 8000;

export class ReadTransfer {
  private phase: 'new' | 'oack' | 'data' | 'done' = 'new';
  /** Highest block the client acknowledged; the window is acked+1 .. acked+windowSize. */
  private acked = 0;
  /** Highest block sent so far. */
  private sent = 0;
  /** The final (short) block, once it has been read. */
  private last: number | undefined;
  /** Serialized DATA packets acked+1 .. sent, kept for retransmission. */
  private readonly window = new Map<number, Buffer>();
  private attempts = 0;
  private deadline: number | undefined;
  private bytes = 0;

  constructor(
    private readonly source: BlockSource,
    private readonly settings: TransferSettings,
  ) {}

  async start(now: number): Promise<TransferStep> {
    if (this.phase !== 'new') return this.idle();
    if (this.settings.oack.size > 0) {
      this.phase = 'oack';
      return this.arm(now, [serializeTftpPacket({ type: 'OACK', options: this.settings.oack })]);
    }
    this.phase = 'data';
    return this.guard(() => this.sendWindow(now, 1));
  }

  async receive(packet: TftpPacket, now: number): Promise<TransferStep> {
    if (this.phase === 'done' || this.phase === 'new') return this.idle();
    if (packet.type === 'ERROR') return this.onError(packet.code, packet.message);
    if (packet.type !== 'ACK') return this.idle();
    if (this.phase === 'oack') {
      if (packet.block !== 0) return this.idle();
      this.phase = 'data';
      this.attempts = 0;
      return this.guard(() => this.sendWindow(now, 1));
    }
    const block = this.acked + ((packet.block - this.acked) & 0xffff);
    // RFC 1123 section 4.2.3.1: a duplicate ACK is ignored, never answered, or each duplicate doubles the traffic
    // (the Sorcerer's Apprentice). An ACK for nothing in flight is stale and ignored too.
    if (block === this.acked || block > this.sent) return this.idle();
    this.advance(block);
    if (block === this.last) return this.finish({ status: 'sent', bytes: this.bytes }, []);
    // RFC 7440 section 4: an ACK inside the window means the blocks after it were lost; send again from there.
    return this.guard(() => this.sendWindow(now, block + 1));
  }

  async tick(now: number): Promise<TransferStep> {
    if (this.deadline === undefined || now < this.deadline) return this.idle();
    if (this.attempts >= this.settings.retries) {
      const waitingFor = this.phase === 'oack' ? 'the OACK' : `block ${this.acked + 1}`;
      return this.fail(`No acknowledgement of ${waitingFor} after ${this.attempts} retransmissions`);
    }
    this.attempts++;
    if (this.phase === 'oack') {
      return this.arm(now, [serializeTftpPacket({ type: 'OACK', options: this.settings.oack })]);
    }
    return this.guard(() => this.sendWindow(now, this.acked + 1));
  }

  /** The wait before the next retransmission: timeout, 2 x timeout, 4 x timeout, ... capped. */
  private retransmitDelay(): number {
    const base = this.settings.timeoutMs;
    return Math.min(base * 2 ** this.attempts, Math.max(base, maxRetransmitDelayMs));
  }

  private advance(block: number): void {
    for (let n = this.acked + 1; n <= block; n++) {
      this.bytes += (this.window.get(n)?.length ?? 4) - 4;
      this.window.delete(n);
    }
    this.acked = block;
    this.attempts = 0;
  }

  private async sendWindow(now: number, first: number): Promise<TransferStep> {
    const packets: Buffer[] = [];
    const end = this.acked + this.settings.windowSize;
    for (let n = first; n <= end && (this.last === undefined || n <= this.last); n++) {
      let packet = this.window.get(n);
      if (!packet) {
        const data = await this.source.next();
        packet = serializeTftpPacket({ type: 'DATA', block: n & 0xffff, data });
        this.window.set(n, packet);
        if (data.length < this.settings.blockSize) this.last = n;
      }
      this.sent = Math.max(this.sent, n);
      packets.push(packet);
    }
    return this.arm(now, packets);
  }

  private onError(code: number, message: string): TransferStep {
    if (this.phase === 'oack' && code === tftpErrorCodes.optionRefused) {
      return this.finish({ status: 'declined', bytes: 0 }, []);
    }
    const outcome = {
      status: 'failed',
      bytes: this.bytes,
      message: `Client ended the transfer with ERROR ${code} ${quote(message)}`,
    } as const;
    return this.finish(outcome, []);
  }

  private async guard(step: () => Promise<TransferStep>): Promise<TransferStep> {
    try {
      return await step();
    } catch (error) {
      return this.fail(asBootwrightError(error).message);
    }
  }

  private fail(message: string): TransferStep {
    const error = serializeTftpPacket({ type: 'ERROR', code: tftpErrorCodes.notDefined, message });
    return this.finish({ status: 'failed', bytes: this.bytes, message }, [error]);
  }

  private finish(outcome: TransferOutcome, send: Buffer[]): TransferStep {
    this.phase = 'done';
    this.deadline = undefined;
    this.window.clear();
    return { send, deadline: undefined, outcome };
  }

  private arm(now: number, send: Buffer[]): TransferStep {
    this.deadline = now + this.retransmitDelay();
    return { send, deadline: this.deadline };
  }

  private idle(): TransferStep {
    return { send: [], deadline: this.deadline };
  }
}
