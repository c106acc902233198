// Transport for one transfer: its own UDP socket (RFC 1350 section 4: each side picks a fresh transfer ID, the
// port), a timer, and a queue so that the state machine sees one event at a time while a block is being read.

import { createSocket, type Socket, type SocketType } from 'node:dgram';
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

export class TransferSession {
  /** Whether the client has answered on this session's port yet; until then a repeated RRQ is a duplicate. */
  heardFromClient = false;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private sending = 0;

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
    const socket = createSocket(type);
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
    this.enqueue(() => this.transfer.start(performance.now()));
  }

  /** Ends the transfer from outside (server shutdown, a new request from the same port); no packet is sent. */
  abort(message: string): void {
    this.end({ status: 'failed', bytes: 0, message });
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
    this.heardFromClient = true;
    this.enqueue(() => this.transfer.receive(packet, performance.now()));
  }

  private enqueue(work: () => Promise<TransferStep>): void {
    this.queue = this.queue
      .then(async () => {
        if (this.ended) return;
        const step = await work();
        if (this.ended) return;
        for (const packet of step.send) this.send(packet, this.client);
        if (step.outcome) return this.end(step.outcome);
        this.arm(step.deadline);
      })
      .catch((error: unknown) => {
        this.end({ status: 'failed', bytes: 0, message: asBootwrightError(error).message });
      });
  }

  private arm(deadline: number | undefined): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (deadline === undefined) return;
    const delay = Math.max(0, deadline - performance.now());
    this.timer = setTimeout(() => this.enqueue(() => this.transfer.tick(performance.now())), delay);
  }

  private send(packet: Buffer, to: TftpClient): void {
    this.sending++;
    // Send errors are ignored for the same reason as in the 'error' handler above.
    this.socket.send(packet, to.port, to.address, () => {
      this.sending--;
      if (this.ended && this.sending === 0) this.socket.close();
    });
  }

  private end(outcome: TransferOutcome): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    // With sends still queued, the last send's callback closes the socket, so a final ERROR still goes out.
    if (this.sending === 0) this.socket.close();
    this.onEnd(outcome);
  }
}
