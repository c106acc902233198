// The thread that moves TFTP data (see transfer-worker.ts for why it is a thread of its own). It runs each transfer
// it is handed in a TransferSession, as the server once did on the main thread, and asks the main thread for the
// file's bytes a chunk at a time: the file was opened there, by a route that may read it from disk or an ISO image.

import { parentPort } from 'node:worker_threads';
import { asBootwrightError } from '../errors.js';
import { createBlockSource } from './block-source.js';
import type { TftpFile } from './routes.js';
import { TransferSession } from './session.js';
import { ReadTransfer, type TransferOutcome } from './transfer.js';
import type { FromTransferThread, ToTransferThread, TransferOrder } from './transfer-worker.js';

const port = parentPort;
if (!port) throw new Error('transfer-thread.ts runs only as a worker thread');

const sessions = new Map<number, TransferSession>();
/** Transfers aborted while their socket was still being bound. */
const abortedEarly = new Map<number, string>();
const reads = new Map<number, { resolve(bytes: Buffer): void; reject(error: Error): void }>();
let nextRead = 1;

const post = (message: FromTransferThread) => port.postMessage(message);

function fileFor(order: TransferOrder): TftpFile {
  if (order.data)
    return {
      size: order.size,
      data: Buffer.from(order.data.buffer, order.data.byteOffset, order.data.byteLength),
    };
  return {
    size: order.size,
    read(offset, length) {
      const read = nextRead++;
      post({ type: 'read', id: order.id, read, offset, length });
      return new Promise((resolve, reject) => reads.set(read, { resolve, reject }));
    },
  };
}

async function start(order: TransferOrder): Promise<void> {
  const end = (outcome: TransferOutcome) => {
    sessions.delete(order.id);
    post({ type: 'end', id: order.id, outcome });
  };
  let session: TransferSession;
  try {
    const transfer = new ReadTransfer(
      createBlockSource(fileFor(order), order.settings.blockSize, order.mode, order.settings.windowSize),
      order.settings,
    );
    session = await TransferSession.open(order.socketType, order.host, order.client, transfer, end);
  } catch (error) {
    abortedEarly.delete(order.id);
    end({ status: 'failed', bytes: 0, message: asBootwrightError(error).message });
    return;
  }
  const aborted = abortedEarly.get(order.id);
  abortedEarly.delete(order.id);
  sessions.set(order.id, session);
  if (aborted) session.abort(aborted);
  else session.start();
}

port.on('message', (message: ToTransferThread) => {
  switch (message.type) {
    case 'start':
      void start(message.order);
      break;
    case 'read-done': {
      const pending = reads.get(message.read);
      reads.delete(message.read);
      if (!pending) break;
      if (message.error !== undefined) pending.reject(new Error(message.error));
      else
        pending.resolve(
          Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength),
        );
      break;
    }
    case 'abort': {
      const session = sessions.get(message.id);
      if (session) session.abort(message.message);
      else abortedEarly.set(message.id, message.message);
      break;
    }
  }
});
