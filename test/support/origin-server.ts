// A package origin for reposync tests: a loopback HTTP server over a directory, with the parts of HTTP mirrors
// rely on (ETag, 304, Range with If-Range), a log of every request, and hooks to misbehave (cut a body, answer 503).

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import type { TestContext } from 'node:test';

export interface OriginRequest {
  path: string;
  range?: string;
  status: number;
}

/** Returns true when it answered the request itself. */
export type OriginHook = (
  path: string,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  body: Buffer | undefined,
) => boolean;

export interface Origin {
  url: string;
  requests: OriginRequest[];
  /** Requests for one path (`/Packages/a.rpm`) that were answered with a body. */
  downloadsOf(path: string): OriginRequest[];
  hook?: OriginHook;
  close(): Promise<void>;
}

export async function startOrigin(context: { after: TestContext['after'] }, root: string): Promise<Origin> {
  const origin: Origin = {
    url: '',
    requests: [],
    downloadsOf: (path) =>
      origin.requests.filter((r) => r.path === path && (r.status === 200 || r.status === 206)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = join(root, normalize(path));
    let body: Buffer | undefined;
    try {
      if (statSync(file).isFile()) body = readFileSync(file);
    } catch {}
    const record = (status: number) =>
      origin.requests.push({
        path,
        status,
        ...(request.headers.range ? { range: request.headers.range } : {}),
      });
    if (origin.hook?.(path, request, response, body)) {
      record(response.statusCode);
      return;
    }
    if (!body) {
      record(404);
      response.writeHead(404).end();
      return;
    }
    const etag = etagOf(body);
    if (request.headers['if-none-match'] === etag) {
      record(304);
      response.writeHead(304, { etag }).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const ifRange = request.headers['if-range'];
    if (range && (!ifRange || ifRange === etag)) {
      const start = Number(range[1]);
      if (start >= body.length) {
        record(416);
        response.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      record(206);
      response
        .writeHead(206, {
          etag,
          'content-length': body.length - start,
          'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        })
        .end(body.subarray(start));
      return;
    }
    record(200);
    response.writeHead(200, { etag, 'content-length': body.length, 'accept-ranges': 'bytes' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  context.after(() => {
    server.closeAllConnections();
    return origin.close();
  });
  return origin;
}

/** Sends the headers of the whole body and only `bytes` of it, then cuts the connection. */
export function cutAfter(response: http.ServerResponse, body: Buffer, bytes: number): void {
  response.writeHead(200, {
    'content-length': body.length,
    etag: `"${createHash('sha1').update(body).digest('hex')}"`,
  });
  response.write(body.subarray(0, bytes), () => setTimeout(() => response.socket?.destroy(), 20));
}

/** The ETag the origin gives a body, for hooks that answer in its place. */
export function etagOf(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('hex')}"`;
}
