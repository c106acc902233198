// The TFTP transport: a read-only server on node:dgram. The listening socket only takes requests; each transfer
// runs in a TransferSession on a port of its own, on the transfer thread (transfer-worker.ts). Request-time errors
// (bad packet, WRQ, no such file) are answered from the listening port, since no transfer ID exists yet.

import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { asBootwrightError, invalid, quote } from '../errors.js';
import { defaultOptionLimits, negotiateOptions } from './options.js';
import {
  maxDataBytes,
  opcodes,
  parseTftpPacket,
  serializeTftpPacket,
  type TftpPacket,
  type TftpRequest,
  tftpErrorCodes,
} from './packet.js';
import { resolveTftpPath, type TftpClient, type TftpFile, type TftpRoute } from './routes.js';
import type { TransferOutcome } from './transfer.js';
import { type TransferHandle, TransferWorker } from './transfer-worker.js';

export interface TftpEvent {
  type: 'tftp.requested' | 'tftp.sent' | 'tftp.failed';
  client: TftpClient;
  path: string;
  /** The route that served the path; undefined until it is resolved, and when none matched. */
  route: string | undefined;
  bytes: number;
  error?: string;
  /** On tftp.sent: the client read the OACK and refused it with ERROR 8, as UEFI does to learn tsize. */
  declined?: boolean;
}

export interface TftpServerOptions {
  host: string;
  port: number;
  routes: readonly TftpRoute[];
  /** Largest blksize granted (RFC 2348); default 1468, an Ethernet frame less the IP, UDP and TFTP headers. */
  maxBlockSize?: number;
  /** Largest windowsize granted (RFC 7440); default 64. */
  maxWindowSize?: number;
  /** First retransmission timeout when the client does not negotiate one (RFC 2349); default 1000 ms. */
  timeoutMs?: number;
  /** Retransmissions of one window before a transfer is given up; default 5. */
  retries?: number;
  /** Largest RFC 2349 timeout a client may ask for, in seconds; a larger one is declined. Default 10. */
  maxTimeoutSeconds?: number;
  /** Longest a transfer waits for its client to move on, all retransmissions together; default 60,000 ms. */
  maxWaitMs?: number;
  /** Transfers at once, from all clients together; further requests are refused. Default 1,000. */
  maxSessions?: number;
  /** Transfers at once from one client address; further requests from it are refused. Default 32. */
  maxSessionsPerClient?: number;
  onEvent?: (event: TftpEvent) => void;
}

export interface TftpServer {
  port: number;
  close(): Promise<void>;
}

interface Pending {
  request: Buffer;
  session: TransferHandle | undefined;
  /** Why the request was dropped before its transfer started, if it was. */
  cancelled: string | undefined;
}

const superseded = 'The client sent a new request from the same port';

/**
 * Every transfer holds a socket, usually an open file and its read-ahead until it ends, and a client that asks and
 * then never answers makes it wait out its retries: without a bound, a stream of such requests from changing
 * ports holds descriptors without end. 1,000 at once is a rack of several hundred machines booting together, each
 * with a transfer or two under way (UEFI's tsize probe ends at once), in about 2,000 descriptors: within even a
 * 4,096 limit, with room left for HTTP.
 */
export const defaultMaxSessions = 1000;
/**
 * The bound is per address, not per address and port: a port already has at most one transfer (a new request from
 * it replaces the old one), and an attacker has 64,000 ports. A booting machine has one transfer at a time, a few
 * more while abandoned ones wait out their retries; 32 leaves room for a few machines behind one address (a NAT
 * with a TFTP helper, a relay), while one host cannot hold hundreds. Where many clients share an address (the load
 * test runs 200 from 127.0.0.1), the operator raises it.
 */
export const defaultMaxSessionsPerClient = 32;

export async function startTftpServer(options: TftpServerOptions): Promise<TftpServer> {
  const limits = {
    maxBlockSize: checkRange('maxBlockSize', options.maxBlockSize ?? 1468, 8, maxDataBytes),
    maxWindowSize: checkRange('maxWindowSize', options.maxWindowSize ?? 64, 1, 65535),
    maxTimeoutSeconds: checkRange(
      'maxTimeoutSeconds',
      options.maxTimeoutSeconds ?? defaultOptionLimits.maxTimeoutSeconds,
      1,
      255,
    ),
  };
  const timeoutMs = checkRange('timeoutMs', options.timeoutMs ?? 1000, 1, 255_000);
  const retries = checkRange('retries', options.retries ?? 5, 0, 100);
  const maxWaitMs = checkRange('maxWaitMs', options.maxWaitMs ?? 60_000, 1, 3_600_000);
  const maxSessions = checkRange(
    'maxSessions (the tftp_max_sessions setting)',
    options.maxSessions ?? defaultMaxSessions,
    1,
    1_000_000,
  );
  const maxSessionsPerClient = checkRange(
    'maxSessionsPerClient (the tftp_max_sessions_per_client setting)',
    options.maxSessionsPerClient ?? defaultMaxSessionsPerClient,
    1,
    1_000_000,
  );
  const socketType = isIPv6(options.host) ? 'udp6' : 'udp4';
  const listener = createSocket(socketType);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.bind({ address: options.host, port: options.port }, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  listener.on('error', () => {
    // A failed reply from the listening port is like a lost packet: the client asks again.
  });

  const transfers = new TransferWorker();
  /** In-flight requests by client address and port, to tell a repeated RRQ from a new one. */
  const pending = new Map<string, Pending>();
  /** Entries of `pending` by client address, for maxSessionsPerClient. */
  const perAddress = new Map<string, number>();
  const countAddress = (address: string, change: 1 | -1) => {
    const count = (perAddress.get(address) ?? 0) + change;
    if (count > 0) perAddress.set(address, count);
    else perAddress.delete(address);
  };
  /** Why a new transfer for `address` cannot start now, or undefined when it can. */
  const overLimit = (address: string): { wire: string; event: string } | undefined => {
    if ((perAddress.get(address) ?? 0) >= maxSessionsPerClient) {
      return {
        wire: 'Too many transfers from this address; try again later',
        event: `Refused: ${address} already has ${maxSessionsPerClient} TFTP transfers under way, the most one client address may have; raise tftp_max_sessions_per_client if many machines share this address`,
      };
    }
    if (pending.size >= maxSessions) {
      return {
        wire: 'Too many transfers at once; try again later',
        event: `Refused: ${maxSessions} TFTP transfers are under way, the most the server runs at once; raise tftp_max_sessions if this many machines boot together`,
      };
    }
    return undefined;
  };
  const emit = (event: TftpEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A listener's bug must not take the server down.
    }
  };

  listener.on('message', (bytes, from) => {
    const client = { address: from.address, port: from.port };
    let packet: TftpPacket;
    try {
      packet = parseTftpPacket(bytes);
    } catch (error) {
      // Only a garbled request is answered (RFC 1350 ERROR 4); anything else is dropped, so that no stray packet
      // can start a ping-pong between two servers.
      const opcode = bytes.length >= 2 ? bytes.readUInt16BE(0) : 0;
      if (opcode === opcodes.RRQ || opcode === opcodes.WRQ) {
        reply(listener, client, tftpErrorCodes.illegalOperation, asBootwrightError(error).message);
      }
      return;
    }
    if (packet.type === 'WRQ') {
      reply(listener, client, tftpErrorCodes.accessViolation, 'This TFTP server is read-only');
      return;
    }
    if (packet.type !== 'RRQ') return;
    const key = `${client.address}:${client.port}`;
    const previous = pending.get(key);
    // The same request again from the same port while its transfer runs is the client repeating itself (it
    // resends the RRQ until an answer comes, and under load the answer is slow): never a second transfer. Once
    // the client has answered, the transfer's port is its own, and abandoning it for the repeat would strand it.
    if (previous?.request.equals(bytes)) return;
    if (previous) {
      previous.cancelled = superseded;
      previous.session?.abort(superseded);
    } else {
      // A replacement takes its predecessor's place; only a new port counts against the limits. RFC 1350 has no
      // "busy" reply: ERROR 0 with a message is what a client shows its user.
      const refusal = overLimit(client.address);
      if (refusal) {
        reply(listener, client, tftpErrorCodes.notDefined, refusal.wire);
        emit(failed(packet.filename, client, undefined, 0, refusal.event));
        return;
      }
      countAddress(client.address, 1);
    }
    const entry: Pending = { request: Buffer.from(bytes), session: undefined, cancelled: undefined };
    pending.set(key, entry);
    const done = () => {
      if (pending.get(key) !== entry) return;
      pending.delete(key);
      countAddress(client.address, -1);
    };
    serveRequest(packet, client, entry, done).catch((error: unknown) => {
      done();
      emit(failed(packet.filename, client, undefined, 0, asBootwrightError(error).message));
    });
  });

  async function serveRequest(request: TftpRequest, client: TftpClient, entry: Pending, done: () => void) {
    const path = request.filename;
    emit({ type: 'tftp.requested', client, path, route: undefined, bytes: 0 });
    let resolved: Awaited<ReturnType<typeof resolveTftpPath>>;
    try {
      resolved = await resolveTftpPath(options.routes, path, client);
    } catch (error) {
      const problem = asBootwrightError(error);
      done();
      const [code, text] =
        problem.code === 'E_FORBIDDEN'
          ? [tftpErrorCodes.accessViolation, 'Access violation']
          : [tftpErrorCodes.notDefined, 'Internal error'];
      reply(listener, client, code, text);
      emit(failed(path, client, undefined, 0, problem.message));
      return;
    }
    if (!resolved) {
      done();
      reply(listener, client, tftpErrorCodes.fileNotFound, 'File not found');
      emit(failed(path, client, undefined, 0, `No route serves TFTP path ${quote(path)}`));
      return;
    }
    const { route, file } = resolved;
    if (entry.cancelled) {
      await closeFile(file);
      emit(failed(path, client, route, 0, entry.cancelled));
      return;
    }
    const negotiated = negotiateOptions(request.options, { size: file.size, mode: request.mode }, limits);
    const settings = {
      blockSize: negotiated.blockSize,
      windowSize: negotiated.windowSize,
      oack: negotiated.acknowledged,
      timeoutMs: negotiated.timeoutMs ?? timeoutMs,
      retries,
      maxWaitMs,
    };
    const onEnd = (outcome: TransferOutcome) => {
      done();
      void closeFile(file);
      if (outcome.status === 'failed') emit(failed(path, client, route, outcome.bytes, outcome.message));
      else {
        const declined = outcome.status === 'declined' ? { declined: true } : {};
        emit({ type: 'tftp.sent', client, path, route, bytes: outcome.bytes, ...declined });
      }
    };
    entry.session = transfers.start(
      { socketType, host: options.host, client, mode: request.mode, settings },
      file,
      onEnd,
    );
  }

  return {
    port: listener.address().port,
    async close() {
      for (const entry of pending.values()) {
        entry.cancelled = 'The TFTP server is shutting down';
        entry.session?.abort(entry.cancelled);
      }
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await transfers.close();
    },
  };
}

function failed(
  path: string,
  client: TftpClient,
  route: string | undefined,
  bytes: number,
  error: string,
): TftpEvent {
  return { type: 'tftp.failed', client, path, route, bytes, error };
}

function reply(socket: Socket, to: TftpClient, code: number, message: string): void {
  const packet = serializeTftpPacket({ type: 'ERROR', code, message });
  try {
    socket.send(packet, to.port, to.address, () => {
      // See the listener's 'error' handler.
    });
  } catch {
    // The server was closed while the request was being resolved.
  }
}

async function closeFile(file: TftpFile): Promise<void> {
  if ('close' in file && file.close) await file.close().catch(() => undefined);
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`TFTP setting ${name} must be an integer from ${min} to ${max}, received ${quote(value)}`);
  }
  return value;
}
