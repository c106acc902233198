// Transport for one transfer: its own UDP socket (RFC 1350 section 4: each side picks a fresh transfer ID, the
// port) and one retransmission timer. Every packet is handled to the end in the socket's callback, with no promise,
// closure or timer call per packet: that is what keeps a lock-step transfer's round trip short.

import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { asBootwrightError } from '../errors.js';
import { opcodes, parseTftpPacket, serializeTftpPacket, tftpErrorCodes } from './packet.js';
import type { TftpClient } from './routes.js';
import type { ReadTransfer, TransferOutcome, TransferStep } from './transfer.js';

const unknownTransferId = serializeTftpPacket({
  type: 'ERROR',
  code: tftpErrorCodes.unknownTransferId,
  message: 'Unknown transfer ID',
});

/**
 * Packets only ever go to the address a packet came from, already an IP address: without this, node:dgram passes
 * each one through dns.lookup, which answers an IP address on the next tick, one deferred call per packet sent.
 */
function sameAddress(
  address: string,
  _options: unknown,
  callback: (error: null, address: string, family: number) => void,
): void {
  callback(null, address, isIPv6(address) ? 6 : 4);
}

export class TransferSession {
  private timer: NodeJS.Timeout | undefined;
  /** When the timer set now will fire: it is moved only when the transfer wants a tick sooner than that. */
  private timerDue = 0;
  private deadline: number | undefined;
  private waitingForBlocks = false;
  private ended = false;

  private constructor(
    private readonly socket: Socket,
    private readonly client: TftpClient,
    private readonly transfer: ReadTransfer,
    private readonly onEnd: (outcome: TransferOutcome) => void,
  ) {
    socket.on('error', () => {
      // Send errors (ICMP unreachable reported late, a full buffer) are handled like loss: by retransmission.
    });
    socket.on('message', (bytes, from) => this.onMessage(bytes, from));
  }

  static async open(
    type: SocketType,
    host: string,
    client: TftpClient,
    transfer: ReadTransfer,
    onEnd: (outcome: TransferOutcome) => void,
  ): Promise<TransferSession> {
    const socket = createSocket({ type, lookup: sameAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port: 0 }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new TransferSession(socket, client, transfer, onEnd);
  }

  start(): void {
    this.run(() => this.transfer.start(performance.now()));
  }

  /** Ends the transfer from outside (server shutdown, a new request from the same port); no packet is sent. */
  abort(message: string): void {
    this.end({ status: 'failed', bytes: 0, message }, []);
  }

  private onMessage(bytes: Buffer, from: { address: string; port: number }): void {
    if (from.address !== this.client.address || from.port !== this.client.port) {
      // RFC 1350 section 4: a packet from a stranger gets ERROR 5 and the transfer goes on; an ERROR is not
      // answered, so that two confused peers cannot keep each other busy.
      if (bytes.length < 2 || bytes.readUInt16BE(0) !== opcodes.ERROR) this.send(unknownTransferId, from);
      return;
    }
    let packet: ReturnType<typeof parseTftpPacket>;
    try {
      packet = parseTftpPacket(bytes);
    } catch {
      return; // A garbled packet counts as lost; the timer recovers from it.
    }
    this.run(() => this.transfer.receive(packet, performance.now()));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.ended || this.deadline === undefined) return;
    const now = performance.now();
    if (now < this.deadline) this.setTimer(this.deadline, now);
    else this.run(() => this.transfer.tick(now));
  };

  private readonly onBlocksRead = (): void => {
    this.waitingForBlocks = false;
    this.run(() => this.transfer.resume(performance.now()));
  };

  private run(work: () => TransferStep): void {
    if (this.ended) return;
    let step: TransferStep;
    try {
      step = work();
    } catch (error) {
      this.end({ status: 'failed', bytes: 0, message: asBootwrightError(error).message }, []);
      return;
    }
    if (step.outcome) {
      this.end(step.outcome, step.send);
      return;
    }
    for (const packet of step.send) this.send(packet, this.client);
    if (step.reading && !this.waitingForBlocks) {
      this.waitingForBlocks = true;
      // reading() never rejects (block-source.ts): a failed read shows in the next packet() instead.
      void step.reading.then(this.onBlocksRead);
    }
    this.deadline = step.deadline;
    // Each ACK moves the deadline later; the timer then fires early, finds the deadline ahead and sets itself for
    // it, so that a transfer of 30,000 blocks sets its timer a few times instead of 30,000.
    if (step.deadline !== undefined && (this.timer === undefined || step.deadline < this.timerDue)) {
      this.setTimer(step.deadline, performance.now());
    }
  }

  private setTimer(due: number, now: number): void {
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(this.onTimer, Math.max(1, due - now));
  }

  private send(packet: Buffer, to: TftpClient): void {
    // No callback: a failed send is a lost packet, which retransmission recovers from (see the 'error' handler).
    this.socket.send(packet, to.port, to.address);
  }

  /** Ends the transfer; `finalPackets` (an ERROR) go out before the socket is closed. */
  private end(outcome: TransferOutcome, finalPackets: Buffer[]): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    let unsent = finalPackets.length;
    if (unsent === 0) this.socket.close();
    for (const packet of finalPackets) {
      this.socket.send(packet, this.client.port, this.client.address, () => {
        if (--unsent === 0) this.socket.close();
      });
    }
    this.onEnd(outcome);
  }
}
