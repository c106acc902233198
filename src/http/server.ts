// The node:http edge of the HTTP app. Koan probes `https://server:port/` before falling back to http, so a TLS
// ClientHello (first byte 0x16) arrives on this plain-HTTP port: it gets a 400 and a closed socket, and the
// server carries on (koan-wire.md, "The HTTP port must survive a TLS handshake"). With a certificate, a second
// listener serves the same app over HTTPS (node:https), for the API's logins and changes.

import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { BootwrightError } from '../errors.js';
import { downloadHandlerOf } from './app.js';

export interface HttpListener {
  server: Server | HttpsServer;
  port: number;
  close(): Promise<void>;
}

/** Downloads first, on node:http directly; whatever they leave (all the API) goes through Hono. */
function requestListener(app: Hono): RequestListener {
  const hono = getRequestListener(app.fetch);
  const downloads = downloadHandlerOf(app);
  if (!downloads) return hono;
  return (request, response) => {
    downloads(request, response).then(
      (answered) => {
        if (!answered) hono(request, response);
      },
      () => hono(request, response),
    );
  };
}

export interface ListenOptions {
  host?: string;
  port: number;
  /** PEM certificate (chain) and key: the listener speaks HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
  /** The flag that changes this port, named when the port cannot be used (default --port). */
  portFlag?: string;
}

export async function listenHttp(app: Hono, options: ListenOptions): Promise<HttpListener> {
  const listener = requestListener(app);
  const server = options.tls
    ? createHttpsServer({ ...options.tls, keepAliveTimeout: 5000 }, listener)
    : createServer({ keepAliveTimeout: 5000 }, listener);
  const portFlag = options.portFlag ?? '--port';
  server.on('clientError', (_error, socket: Socket) => {
    if (socket.writable && !socket.destroyed) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
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
