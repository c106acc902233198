// TFTP transfers run on a thread of their own (transfer-thread.ts); the main thread keeps the listening port, the
// routes and the files. Why: a transfer is tens of thousands of packets, each a callback and a send, and on the main
// thread they lengthen every turn of the event loop that HTTP shares. Since libuv 1.45 a listening socket accepts
// one connection per turn, so under 200 transfers a burst of 1,000 installers connecting took minutes to be
// accepted, and the API stopped answering meanwhile. On a thread of its own the packet work leaves those turns short.

import type { SocketType } from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { asBootwrightError } from '../errors.js';
import type { TftpMode } from './packet.js';
import type { TftpClient, TftpFile } from './routes.js';
import type { TransferOutcome, TransferSettings } from './transfer.js';

/** What the thread needs to run one transfer. */
export interface TransferOrder {
  id: number;
  socketType: SocketType;
  /** The address the transfer's own socket binds to: the server's. */
  host: string;
  client: TftpClient;
  mode: TftpMode;
  settings: TransferSettings;
  size: number;
  /** The whole file, when it is a small generated one; otherwise the thread asks for its bytes as it goes. */
  data?: Uint8Array;
}

export type ToTransferThread =
  | { type: 'start'; order: TransferOrder }
  | { type: 'read-done'; read: number; bytes: Uint8Array; error?: undefined }
  | { type: 'read-done'; read: number; error: string }
  | { type: 'abort'; id: number; message: string };

export type FromTransferThread =
  | { type: 'read'; id: number; read: number; offset: number; length: number }
  | { type: 'end'; id: number; outcome: TransferOutcome };

export interface TransferHandle {
  /** Ends the transfer without a word to the client (server shutdown, a new request from the same port). */
  abort(message: string): void;
}

interface Running {
  file: TftpFile;
  onEnd: (outcome: TransferOutcome) => void;
}

// Compiled, this module is .js and so is the thread's. Under the TypeScript loader (tests, `npm run bench`) both are
// .ts, and Node 20 does not pass `--import tsx` on to a worker: the thread registers the loader itself first.
const compiled = !import.meta.url.endsWith('.ts');
const threadUrl = new URL(compiled ? './transfer-thread.js' : './transfer-thread.ts', import.meta.url);
const newThread = () =>
  compiled
    ? new Worker(threadUrl)
    : new Worker(
        `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(threadUrl.href)}); });`,
        { eval: true },
      );

export class TransferWorker {
  private worker: Worker | undefined;
  private readonly running = new Map<number, Running>();
  private nextId = 1;
  private closed = false;

  start(
    order: Omit<TransferOrder, 'id' | 'size' | 'data'>,
    file: TftpFile,
    onEnd: (outcome: TransferOutcome) => void,
  ): TransferHandle {
    if (this.closed) {
      // A request resolved while the server was closing: no thread is started again for it.
      queueMicrotask(() =>
        onEnd({ status: 'failed', bytes: 0, message: 'The TFTP server is shutting down' }),
      );
      return { abort: () => {} };
    }
    const id = this.nextId++;
    this.running.set(id, { file, onEnd });
    const data = 'data' in file ? file.data : undefined;
    this.post({ type: 'start', order: { ...order, id, size: file.size, ...(data ? { data } : {}) } });
    return {
      abort: (message) => {
        if (this.running.has(id)) this.post({ type: 'abort', id, message });
      },
    };
  }

  /** Stops the thread: its transfers end as failed, their sockets closed with it. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }

  private post(message: ToTransferThread): void {
    this.thread().postMessage(message);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = newThread();
    // The listening socket keeps a server's process alive; the thread alone must not.
    worker.unref();
    worker.on('message', (message: FromTransferThread) => this.onMessage(message));
    worker.on('error', (error) => this.lost(worker, `The TFTP transfer thread failed: ${error.message}`));
    worker.on('exit', () => this.lost(worker, 'The TFTP server is shutting down'));
    this.worker = worker;
    return worker;
  }

  /** The thread is gone: its transfers have ended, and the next one starts a new thread (unless closing). */
  private lost(worker: Worker, message: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const [id, running] of this.running) {
      this.running.delete(id);
      running.onEnd({ status: 'failed', bytes: 0, message });
    }
  }

  private onMessage(message: FromTransferThread): void {
    const running = this.running.get(message.id);
    if (message.type === 'end') {
      this.running.delete(message.id);
      running?.onEnd(message.outcome);
    } else if (message.type === 'read') {
      void this.read(running, message.read, message.offset, message.length);
    }
  }

  private async read(
    running: Running | undefined,
    read: number,
    offset: number,
    length: number,
  ): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    let reply: ToTransferThread;
    const transfer: ArrayBuffer[] = [];
    try {
      if (!running || !('read' in running.file)) throw new Error('The transfer has ended');
      const bytes = await running.file.read(offset, length);
      // A buffer that owns its memory moves to the thread without a copy; a slice of Node's shared pool is copied.
      if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength)
        transfer.push(bytes.buffer as ArrayBuffer);
      reply = { type: 'read-done', read, bytes };
    } catch (error) {
      reply = { type: 'read-done', read, error: asBootwrightError(error).message };
    }
    worker.postMessage(reply, transfer);
  }
}
