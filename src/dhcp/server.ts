// The DHCP transport: UDP sockets on node:dgram, one request at a time through the policy, lease writes before the
// reply, and nothing a client sends can crash or stall it. Bytes are the codec's business (packet.ts) and the
// answer the policy's (policy.ts).

import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { BootwrightError, quote } from '../errors.js';
import type { LeaseStore } from '../store/lease-store.js';
import { LIMITED_BROADCAST, ZERO_ADDRESS } from './ipv4.js';
import { DhcpPacketError, parseDhcpPacket, serializeDhcpPacket } from './packet.js';
import {
  checkDhcpConfig,
  type DhcpConfig,
  type DhcpDecision,
  type DhcpDirectory,
  type DhcpEvent,
  decideDhcpReply,
  type ReplyDestination,
} from './policy.js';

export interface DhcpServerOptions {
  config: DhcpConfig;
  directory: DhcpDirectory;
  leases: LeaseStore;
  /** Where to listen. Default 0.0.0.0, the only address that receives broadcasts from clients without one. */
  host?: string;
  /** DHCP server port, default 67; relays are answered on it too (RFC 1542 §4.1). */
  port?: number;
  /** DHCP client port, default 68. */
  clientPort?: number;
  /** PXE boot-server port, default 4011; opened in proxy mode only. */
  pxePort?: number;
  onEvent?: (event: DhcpEvent) => void;
  /** Milliseconds since the epoch; tests move time. */
  now?: () => number;
  /** How long one request's lookups, lease writes and send may take before it is given up; default 5000. */
  handlerTimeoutMs?: number;
}

export interface DhcpServerStats {
  /** Datagrams read. */
  received: number;
  /** Datagrams that were no readable DHCP packet, or had a malformed option the policy needed. */
  malformed: number;
  /** Requests the policy chose not to answer. */
  ignored: number;
  replied: number;
  /** Requests that failed here (lease store, send, a handler that took too long). */
  failed: number;
  /** Datagrams dropped unread because the queue was full. */
  dropped: number;
}

export interface DhcpServer {
  /** The ports actually bound (tests may ask for port 0). */
  readonly ports: { dhcp?: number; pxe?: number };
  stats(): DhcpServerStats;
  close(): Promise<void>;
}

/** Beyond this many waiting datagrams new ones are dropped: a flood must not grow memory without bound. */
const MAXIMUM_QUEUE = 1024;
/** A request whose lookups take longer than this is given up, so one slow lookup cannot stall every client. */
const HANDLER_TIMEOUT_MS = 5000;
/** How often overdue requests are looked for: a request is given up between its timeout and this much later. */
const WATCHDOG_INTERVAL_MS = 250;
const EXPIRE_INTERVAL_MS = 60_000;
/**
 * Requests come in storms (a rack powering up, perfdhcp) and the kernel's default receive buffer holds only about a
 * hundred datagrams, a few milliseconds of a pause (garbage collection, another process on the core). Linux caps
 * this at net.core.rmem_max.
 */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

interface Endpoint {
  /** Every socket that receives. */
  sockets: dgram.Socket[];
  /** The socket replies leave from. */
  sender: dgram.Socket;
  port: number;
}

export async function startDhcpServer(options: DhcpServerOptions): Promise<DhcpServer> {
  const { config, directory, leases } = options;
  checkDhcpConfig(config);
  const counters: DhcpServerStats = {
    received: 0,
    malformed: 0,
    ignored: 0,
    replied: 0,
    failed: 0,
    dropped: 0,
  };
  if (config.mode === 'off') {
    return { ports: {}, stats: () => ({ ...counters }), close: async () => {} };
  }
  await checkServerAddressIsLocal(config.serverAddress);

  const host = options.host ?? ZERO_ADDRESS;
  const clientPort = options.clientPort ?? 68;
  const now = options.now ?? Date.now;
  const emit = (event: DhcpEvent | undefined): void => {
    if (!event || !options.onEvent) return;
    try {
      options.onEvent(event);
    } catch {
      // A listener's failure is its own; the DHCP service goes on.
    }
  };

  const endpoints: Endpoint[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(endpoints.flatMap((endpoint) => endpoint.sockets.map(closeSocket)));
  };
  let dhcp: Endpoint;
  let pxe: Endpoint | undefined;
  try {
    dhcp = await openEndpoint(host, options.port ?? 67, config.serverAddress);
    endpoints.push(dhcp);
    if (config.mode === 'proxy') {
      pxe = await openEndpoint(host, options.pxePort ?? 4011, config.serverAddress);
      endpoints.push(pxe);
    }
  } catch (error) {
    await closeAll();
    throw error;
  }

  const watchdog = new Watchdog(options.handlerTimeoutMs ?? HANDLER_TIMEOUT_MS);
  let queue: Promise<void> = Promise.resolve();
  let waiting = 0;
  /** Requests decided and waiting for their lease writes or their reply to be sent. */
  const answering = new Set<Promise<void>>();

  async function send(endpoint: Endpoint, destination: ReplyDestination, bytes: Buffer): Promise<void> {
    let address: string;
    let port: number;
    switch (destination.kind) {
      case 'broadcast':
        [address, port] = [LIMITED_BROADCAST, clientPort];
        break;
      case 'client':
        [address, port] = [destination.address, clientPort];
        break;
      case 'relay':
        [address, port] = [destination.address, dhcp.port];
        break;
      case 'source':
        // A ROM that asks on 4011 before it has an address can only hear a broadcast.
        address = destination.address === ZERO_ADDRESS ? LIMITED_BROADCAST : destination.address;
        port = destination.port;
        break;
    }
    await new Promise<void>((resolve, reject) => {
      endpoint.sender.send(bytes, port, address, (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * Decides and makes the lease writes, which the next request's decision sees at once; returns the rest (waiting
   * for the writes to be durable, then sending), which runs outside the one-at-a-time queue so that the requests
   * arriving meanwhile are decided and their writes share the same commit.
   */
  async function decide(
    endpoint: Endpoint,
    message: Buffer,
    remote: dgram.RemoteInfo,
  ): Promise<(() => Promise<void>) | undefined> {
    let decision: DhcpDecision | undefined;
    try {
      const packet = parseDhcpPacket(message);
      decision = await decideDhcpReply(
        {
          packet,
          port: endpoint === pxe ? 'pxe' : 'dhcp',
          source: { address: remote.address, port: remote.port },
          now: now(),
        },
        config,
        directory,
        leases,
      );
    } catch (error) {
      if (error instanceof DhcpPacketError) {
        counters.malformed += 1;
        return undefined;
      }
      throw error;
    }
    if (!decision) {
      counters.ignored += 1;
      return undefined;
    }
    const { received, leaseWrites, reply, ignored } = decision;
    emit(received);
    const written = leaseWrites.map((write) =>
      write.kind === 'upsert' ? leases.upsert(write.lease) : leases.release(write.address),
    );
    // Observed at once: should this request have timed out meanwhile, nobody else awaits a failed write.
    for (const write of written) write.catch(() => undefined);
    return async () => {
      // The lease is on disk before the client hears about it (RFC 2131 §4.3.1: a committed lease is never reused).
      if (written.length > 0) await Promise.all(written);
      if (!reply) {
        counters.ignored += 1;
        emit(ignored);
        return;
      }
      await send(endpoint, reply.destination, serializeDhcpPacket(reply.packet));
      counters.replied += 1;
      emit(reply.event);
    };
  }

  function enqueue(endpoint: Endpoint, message: Buffer, remote: dgram.RemoteInfo): void {
    counters.received += 1;
    if (waiting >= MAXIMUM_QUEUE) {
      counters.dropped += 1;
      return;
    }
    waiting += 1;
    // One decision at a time: choosing a free address and recording it must not interleave with another client's.
    const decided = queue.then(() => watchdog.watch(decide(endpoint, message, remote)));
    queue = decided.then(
      () => undefined,
      () => undefined,
    );
    const answered: Promise<void> = decided
      .then((finish) => finish && watchdog.watch(finish()))
      .catch(() => {
        counters.failed += 1;
      })
      .finally(() => {
        waiting -= 1;
        answering.delete(answered);
      });
    answering.add(answered);
  }

  for (const endpoint of endpoints) {
    for (const socket of endpoint.sockets) {
      socket.on('message', (message, remote) => enqueue(endpoint, message, remote));
      // After binding, socket errors are per datagram (ICMP unreachable and the like) and are not fatal.
      socket.on('error', () => {
        counters.failed += 1;
      });
    }
  }

  const expire = (): void => {
    queue = queue
      .then(() => leases.expire(now()))
      .then(
        () => undefined,
        () => {
          counters.failed += 1;
        },
      );
  };
  expire();
  const expiry = setInterval(expire, EXPIRE_INTERVAL_MS);
  expiry.unref();

  let closing: Promise<void> | undefined;
  return {
    ports: { dhcp: dhcp.port, ...(pxe ? { pxe: pxe.port } : {}) },
    stats: () => ({ ...counters }),
    close() {
      closing ??= (async () => {
        clearInterval(expiry);
        watchdog.stop();
        await closeAll();
        await queue;
        await Promise.all(answering);
      })();
      return closing;
    },
  };
}

/** Replies carry this address as option 54 and clients send to it; one not on this host is a configuration slip. */
async function checkServerAddressIsLocal(serverAddress: string): Promise<void> {
  if (await isLocalAddress(serverAddress)) return;
  const local = Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((address) => address.family === 'IPv4')
    .map((address) => address.address);
  throw new BootwrightError(
    'E_INVALID',
    `The DHCP server address ${quote(serverAddress)} is not an address of this host (it has ${local.join(', ')}); set it to the address of the interface that faces the machines to boot.`,
  );
}

/**
 * Asked of the kernel, which binds a socket only to an address of this host. os.networkInterfaces() cannot tell:
 * libuv leaves out every interface that is not RUNNING, such as a bridge without carrier (a libvirt network whose
 * guests are all off), which still holds its address and is where the next guest will ask for one.
 */
export async function isLocalAddress(address: string): Promise<boolean> {
  if (address === ZERO_ADDRESS) return false;
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port: 0 }, () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    await closeSocket(socket);
  }
}

/**
 * Linux sends a datagram for 255.255.255.255 out of the interface that owns the socket's source address, and for
 * a socket bound to 0.0.0.0 out of the default route, which may be another network. So when listening on 0.0.0.0
 * (needed to hear broadcasts), a second socket bound to the server address sends the replies; it also receives the
 * unicast sent to that address, which the kernel delivers to the more specific socket.
 */
async function openEndpoint(host: string, port: number, serverAddress: string): Promise<Endpoint> {
  const main = await bindSocket(host, port);
  const boundPort = main.address().port;
  if (host !== ZERO_ADDRESS) return { sockets: [main], sender: main, port: boundPort };
  try {
    const sender = await bindSocket(serverAddress, boundPort);
    return { sockets: [main, sender], sender, port: boundPort };
  } catch (error) {
    await closeSocket(main);
    throw error;
  }
}

function bindSocket(address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    // Both sockets of an endpoint share the port, which needs SO_REUSEADDR on each.
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const onError = (error: NodeJS.ErrnoException): void => {
      socket.close();
      const hint = error.code === 'EACCES' ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : '';
      reject(
        new BootwrightError(
          'E_UNAVAILABLE',
          `Cannot listen for DHCP on ${address}:${port}: ${error.code ?? error.message}${hint}.`,
        ),
      );
    };
    socket.once('error', onError);
    socket.bind({ address, port }, () => {
      socket.off('error', onError);
      socket.setBroadcast(true);
      try {
        socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
      } catch {
        // The kernel's default buffer still works; it only overflows sooner in a storm.
      }
      resolve(socket);
    });
  });
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/**
 * Gives up on work that takes too long. One timer looks for overdue work, instead of a timer set and cleared for
 * each request (two per request, with a Promise.race each, showed in the profile under load).
 */
class Watchdog {
  readonly #watched = new Set<{ deadline: number; reject: (error: Error) => void }>();
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {
    this.#timer = setInterval(() => this.#sweep(), Math.min(WATCHDOG_INTERVAL_MS, timeoutMs));
    this.#timer.unref();
  }

  /** Settles as `work` does, or rejects once it has taken longer than the timeout. */
  watch<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = { deadline: performance.now() + this.timeoutMs, reject };
      this.#watched.add(entry);
      work.then(
        (value) => {
          this.#watched.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.#watched.delete(entry);
          reject(error);
        },
      );
    });
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #sweep(): void {
    const now = performance.now();
    for (const entry of this.#watched) {
      // Watched in the order they began, with one timeout: the first not overdue ends the overdue ones.
      if (entry.deadline > now) break;
      this.#watched.delete(entry);
      entry.reject(new Error(`gave up after ${this.timeoutMs} ms`));
    }
  }
}
