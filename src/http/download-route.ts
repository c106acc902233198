// Downloads (a kernel, an initrd, a file of an install tree) are declared once and answered two ways: by a Hono
// route, and on node:http before the app (its fast path). Downloads are most of an install's requests and all of
// its bytes: the fast path answers them exactly as the route does (the same match and lookup, the same plan of
// status and headers), but without building a web Request, routing, middleware and a web stream for each, which
// cost more than serving a small file. Anything else (a directory, a redirect, an error, an unusual path) it leaves
// to the app, which answers it and reports it as it does every request.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Hono } from 'hono';
import type { FastPath } from './fast-path.js';
import { type FileSource, fileResponse, sendFile } from './file-response.js';

/** What a download's path names: a file, or an answer only the app gives (a redirect, a directory's index). */
export type Download =
  | { kind: 'file'; source: FileSource; contentType?: string }
  | { kind: 'answer'; answer(context: Context): Response | Promise<Response> };

/** A file the fast path sent: the path asked for (without its query), the status answered, and to whom. */
export interface ServedDownload {
  path: string;
  status: number;
  remote: string | undefined;
}

export interface DownloadRoute<Target> {
  /** The paths it answers, from the server's root, in Hono's syntax. */
  readonly paths: readonly string[];
  /**
   * What a path names, or undefined for a path the route does not answer; it takes the path as the URL parser leaves
   * it (percent-escapes kept, dot segments resolved) and agrees with `paths`.
   */
  match(path: string): Target | undefined;
  /** Throws a BootwrightError (E_NOT_FOUND, E_FORBIDDEN, ...) when the target names nothing to send. */
  find(target: Target): Promise<Download>;
  /** Told of each file the fast path sent; the app reports its own answers. */
  served?(target: Target, served: ServedDownload): void;
}

/** Answers the route's paths on `app`. */
export function addDownloadRoute<Target>(app: Hono, route: DownloadRoute<Target>): void {
  // GET routes answer HEAD too (Hono runs the GET handler and drops the body); fileResponse sees the HEAD method.
  for (const path of route.paths) {
    app.get(path, async (context) => {
      // The raw path, so that each segment is decoded once and checked after decoding.
      const target = route.match(new URL(context.req.url).pathname);
      if (target === undefined) return context.notFound();
      const found = await route.find(target);
      if (found.kind === 'answer') return found.answer(context);
      return fileResponse(context, found.source, found.contentType);
    });
  }
}

/** A plain path: no percent-escapes, dot segments or empty segments, which are left to the URL parser and Hono. */
const plainPath = /^(?:\/[\w.~+=,@-]+)+$/;
const dotSegment = /\/\.\.?(?:\/|$)/;

/** The fast path for `routes`: a GET or HEAD of a plain path one of them matches, when it names a file. */
export function downloadFastPath(routes: readonly DownloadRoute<unknown>[]): FastPath {
  return (request, response, otherwise) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return void otherwise(request, response);
    const url = request.url ?? '';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (!plainPath.test(path) || dotSegment.test(path)) return void otherwise(request, response);
    for (const route of routes) {
      let target: unknown;
      try {
        target = route.match(path);
      } catch {
        // A path the route cannot decode is the app's to refuse, with its message.
        return void otherwise(request, response);
      }
      if (target === undefined) continue;
      void sendDownload(route, target, path, request, response, otherwise);
      return;
    }
    otherwise(request, response);
  };
}

async function sendDownload<Target>(
  route: DownloadRoute<Target>,
  target: Target,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
  otherwise: (request: IncomingMessage, response: ServerResponse) => unknown,
): Promise<void> {
  let found: Download;
  try {
    found = await route.find(target);
  } catch {
    // Not found, forbidden, unreadable: the app answers it and reports it as it does every error.
    return void otherwise(request, response);
  }
  if (found.kind !== 'file') return void otherwise(request, response);
  let status: number;
  try {
    status = await sendFile(request, response, found.source, found.contentType);
  } catch (error) {
    if (!response.headersSent) return void otherwise(request, response);
    response.destroy(error as Error);
    return;
  }
  try {
    route.served?.(target, { path, status, remote: request.socket.remoteAddress });
  } catch {
    // The file is on its way: a report that fails must not have the app answer the request a second time.
  }
}
