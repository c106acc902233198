// The node:http edge of the HTTP app. Koan probes `https://server:port/` before falling back to http, so a TLS
// ClientHello (first byte 0x16) arrives on this plain-HTTP port: it gets a 400 and a closed socket, and the
// server carries on (koan-wire.md, "The HTTP port must survive a TLS handshake"). With a certificate, a second
// listener serves the same app over HTTPS (node:https), for the API's logins and changes.

import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { BootwrightError } from '../errors.js';
import { fastPathOf, urgentRequestsOf } from './fast-path.js';
import { strictTransportSecurity } from './security-headers.js';

export interface HttpListener {
  server: Server | HttpsServer;
  port: number;
  close(): Promise<void>;
}

/** The app's fast path (its downloads) first, on node:http; whatever it leaves (all the API) goes through Hono. */
function requestListener(app: Hono): RequestListener {
  const hono = getRequestListener(app.fetch);
  const fastPath = fastPathOf(app);
  if (!fastPath) return hono;
  return (request, response) => fastPath(request, response, hono);
}

/**
 * Requests take turns: at most `perTurn` start in one turn of the event loop, the rest wait in arrival order for
 * the next. Why: since libuv 1.45 a listening socket accepts one connection per turn. Were every waiting request
 * answered in the same turn, a thousand busy keep-alive clients would make each turn last a thousand renderings,
 * and a new connection (an operator's API call, the next installer) would wait that long for each one queued
 * before it. Short turns keep accepting, and no request waits longer than its place in the queue.
 *
 * Urgent requests (the app's `urgent`: an operator's API call) have a queue of their own, served first in each
 * turn: a thousand installers each with a request queued make a queue of a thousand, and on a machine busy with
 * other work its turns are slow, so an operator behind it waited seconds, once more than ten, for `status`.
 */
export function takingTurns(
  listener: RequestListener,
  perTurn = 16,
  urgent: (request: IncomingMessage) => boolean = () => false,
): RequestListener {
  const urgentQueue = new TurnQueue();
  const waitingQueue = new TurnQueue();
  let scheduled = false;
  const turn = () => {
    const fromUrgent = Math.min(perTurn, urgentQueue.length);
    const fromWaiting = Math.min(perTurn - fromUrgent, waitingQueue.length);
    // Whether a next turn is needed is settled by what waits now; requests that arrive later ask for one themselves.
    scheduled = urgentQueue.length + waitingQueue.length > fromUrgent + fromWaiting;
    if (scheduled) setImmediate(turn);
    for (let started = 0; started < fromUrgent; started++) urgentQueue.startOldest(listener);
    for (let started = 0; started < fromWaiting; started++) waitingQueue.startOldest(listener);
  };
  return (request, response) => {
    (urgent(request) ? urgentQueue : waitingQueue).push(request, response);
    if (!scheduled) {
      scheduled = true;
      setImmediate(turn);
    }
  };
}

/**
 * A first-in, first-out queue of requests whose start costs the same however many wait behind (a thousand may).
 * Requests and responses are kept side by side rather than as a closure each: at thousands of requests a second,
 * those closures were garbage the collector had to trace.
 */
class TurnQueue {
  #requests: IncomingMessage[] = [];
  #responses: ServerResponse[] = [];
  #head = 0;

  get length(): number {
    return this.#requests.length - this.#head;
  }

  push(request: IncomingMessage, response: ServerResponse): void {
    this.#requests.push(request);
    this.#responses.push(response);
  }

  /** Takes the oldest request out of the queue and starts it; the queue must not be empty. */
  startOldest(listener: RequestListener): void {
    const head = this.#head;
    const request = this.#requests[head] as IncomingMessage;
    const response = this.#responses[head] as ServerResponse;
    this.#head = head + 1;
    if (this.#head === this.#requests.length) {
      // Emptied: start over, so that the arrays do not grow for ever.
      this.#requests.length = 0;
      this.#responses.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#requests.length) {
      // Compacted once the started part is the larger half, so that memory follows what waits.
      this.#requests = this.#requests.slice(this.#head);
      this.#responses = this.#responses.slice(this.#head);
      this.#head = 0;
    }
    listener(request, response);
  }
}

/**
 * Connections open at once, per listener: past this, node:http closes new ones at once. High enough for a
 * thousand installers in keep-alive beside the operators; low enough that a flood ends in refused connections
 * rather than in a server out of descriptors, which would also stop TFTP and the store.
 */
export const defaultMaxConnections = 4096;

/**
 * How long a client may take to send its request: headers in 20 s (a slow-headers client holds a connection with
 * a few bytes a minute otherwise), the whole request, body included, in 120 s (a 4 MiB body at 35 KB/s). Answers,
 * a kernel download or an event stream, are not bounded by these.
 */
const headersTimeoutMs = 20_000;
const requestTimeoutMs = 120_000;

export interface ListenOptions {
  host?: string;
  port: number;
  /** Default defaultMaxConnections. */
  maxConnections?: number;
  /** PEM certificate (chain) and key: the listener speaks HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
  /** The flag that changes this port, named when the port cannot be used (default --port). */
  portFlag?: string;
}

export async function listenHttp(app: Hono, options: ListenOptions): Promise<HttpListener> {
  const turns = takingTurns(requestListener(app), undefined, urgentRequestsOf(app));
  const listener: RequestListener = options.tls
    ? (request, response) => {
        response.setHeader('strict-transport-security', strictTransportSecurity);
        turns(request, response);
      }
    : turns;
  const timeouts = {
    keepAliveTimeout: 5000,
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
  };
  const server = options.tls
    ? createHttpsServer({ ...options.tls, ...timeouts }, listener)
    : createServer(timeouts, listener);
  server.maxConnections = options.maxConnections ?? defaultMaxConnections;
  const portFlag = options.portFlag ?? '--port';
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable && !socket.destroyed) {
      const hsts = options.tls ? `Strict-Transport-Security: ${strictTransportSecurity}\r\n` : '';
      socket.end(
        `HTTP/1.1 ${status}\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n${hsts}Content-Length: 0\r\n\r\n`,
      );
    }
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${options.host ?? '0.0.0.0'}:${options.port}`;
      if (error.code === 'EACCES') {
        reject(
          new BootwrightError(
            'E_UNAVAILABLE',
            `Cannot listen on ${where}: permission denied; run as root or pass ${portFlag}=${options.tls ? 8443 : 8080}.`,
          ),
        );
      } else if (error.code === 'EADDRINUSE') {
        reject(
          new BootwrightError(
            'E_UNAVAILABLE',
            `Cannot listen on ${where}: another program uses it; stop it or pass ${portFlag}.`,
          ),
        );
      } else reject(new BootwrightError('E_UNAVAILABLE', `Cannot listen on ${where}: ${error.message}.`));
    });
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        // Idle keep-alive sockets go at once; a request still running gets a moment to finish, then is cut.
        const deadline = setTimeout(() => server.closeAllConnections(), 3000);
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
