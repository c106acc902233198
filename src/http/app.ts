// The HTTP application: one Hono app for the REST API, Cobbler's XML-RPC endpoint and (in later work) boot files
// and install trees. Errors are turned into responses here and nowhere else.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { createBootHttp, findImageFile } from '../api/boot-http.js';
import { createCobblerSvc, parseSvcPath, serviceOperations } from '../api/cobbler-svc.js';
import { CobblerXmlRpc } from '../api/cobbler-xmlrpc.js';
import { createRestApi, errorBody } from '../api/rest.js';
import type { ApiServices } from '../api/services.js';
import {
  contentTypeOf,
  createTreeHttp,
  findTreeEntry,
  treeFileSource,
  treePrefixes,
} from '../api/tree-http.js';
import { transportOf } from '../auth/require-tls.js';
import { asBootwrightError } from '../errors.js';
import type { ObjectKind } from '../model/kinds.js';
import type { EventInput } from '../store/store.js';
import { maskSecretPath } from '../templates/install-urls.js';
import { type FileSource, sendFile } from './file-response.js';
import { readBody, remoteAddress } from './request-body.js';
import { decodePathSegment, refuseMalformedPaths } from './request-path.js';
import { securityHeaders } from './security-headers.js';

/**
 * Answers a download (GET or HEAD of a kernel, initrd or tree file) straight on node:http and resolves true, or
 * resolves false and leaves the request to the Hono app.
 */
export type DownloadHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

const downloadHandlers = new WeakMap<Hono, DownloadHandler>();

/** The download path listenHttp puts in front of an app made by createApp. */
export function downloadHandlerOf(app: Hono): DownloadHandler | undefined {
  return downloadHandlers.get(app);
}

export function createApp(services: ApiServices): Hono {
  const app = new Hono();
  const xmlrpc = new CobblerXmlRpc(services);

  app.onError((thrown, context) => {
    const error = asBootwrightError(thrown);
    if (error.code === 'E_INTERNAL') console.error(thrown);
    // The rest of a body over the limit is left unread: closing the connection after the answer is what stops the
    // sender, where keep-alive would have the server read (and the sender send) it all to find the next request.
    const headers = error.code === 'E_TOO_LARGE' ? { connection: 'close' } : undefined;
    return context.json(errorBody(error), error.httpStatus as 400, headers);
  });
  app.notFound((context) =>
    context.json(
      { error: { code: 'E_NOT_FOUND', message: `Nothing is served at ${context.req.path}.` } },
      404,
    ),
  );

  app.use(securityHeaders());
  app.use(refuseMalformedPaths());
  if (services.events) app.use(reportBootRequests(services));

  // Before the REST routes, whose /:kinds/:name/... patterns would otherwise claim the boot config paths.
  app.route('/', createBootHttp(services));
  app.route('/', createTreeHttp(services));
  app.route('/api/v1', createRestApi(services));
  app.route('/cblr/svc', createCobblerSvc(services));

  app.post('/cobbler_api', async (context) => {
    const xml = await xmlrpc.handle(
      await readBody(context),
      remoteAddress(context),
      transportOf(context),
      context.req.query('secret'),
    );
    return context.body(xml, 200, { 'content-type': 'text/xml; charset=utf-8' });
  });

  downloadHandlers.set(app, createDownloadHandler(services));
  return app;
}

const imagePath = /^\/(?:cobbler\/)?images\/([^/]+)\/([^/]+)$/;
/** A plain path: no percent-escapes, dot segments or empty segments, which are left to the URL parser and Hono. */
const plainPath = /^(?:\/[\w.~+=,@-]+)+$/;
const dotSegment = /\/\.\.?(?:\/|$)/;

/**
 * Downloads are most of an install's requests and all of its bytes: this path answers them exactly as the Hono
 * routes do (the same lookups, the same plan of status and headers, the same event), but without building a web
 * Request, routing, middleware and a web stream for each, which cost more than serving a small file. Anything else
 * (a directory, a redirect, an error, an unusual path) goes to Hono, which answers it and reports it as before.
 */
function createDownloadHandler(services: ApiServices): DownloadHandler {
  const { boot, events } = services;
  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const url = request.url ?? '';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (!plainPath.test(path) || dotSegment.test(path)) return false;
    let source: FileSource;
    let contentType: string | undefined;
    try {
      const image = imagePath.exec(path);
      if (image) {
        const found = await findImageFile(boot, image[1] as string, image[2] as string);
        if (found.kind !== 'file') return false;
        source = found.source;
      } else {
        const prefix = treePrefixes.find((candidate) => path.startsWith(candidate));
        if (!prefix || !path.slice(prefix.length).includes('/')) return false;
        const { tree, treePath, entry } = await findTreeEntry(boot, path, prefix);
        if (entry.type !== 'file') return false;
        source = treeFileSource(tree, treePath, entry);
        contentType = contentTypeOf(treePath);
      }
    } catch {
      return false;
    }
    let status: number;
    try {
      status = await sendFile(request, response, source, contentType);
    } catch (error) {
      if (!response.headersSent) return false;
      response.destroy(error as Error);
      return true;
    }
    // The file was found, so the distro its path names exists.
    const report = events && bootRequestEvent(path, status, request.socket.remoteAddress);
    if (report) events.publish(report.event);
    return true;
  };
}

/**
 * Reports the requests of an install (autoinstall file, kernel and initrd, iPXE script, netboot off) on the event
 * bus, after they are answered, with the system named in the path or found by the requester's address. Events are
 * kept for weeks and read by everyone, so a request that names no existing system, profile or distro (a typo, a
 * scan, a flood of made-up names) leaves none.
 */
function reportBootRequests(services: ApiServices): MiddlewareHandler {
  const { events, inventory } = services;
  return async (context, next) => {
    await next();
    try {
      const report = bootRequestEvent(context.req.path, context.res.status, remoteAddress(context));
      if (!report) return;
      for (const { kind, name } of report.names) {
        if (!(await inventory.find(kind, name))) return;
      }
      events?.publish(report.event);
    } catch {
      // A path that cannot be decoded names nothing, and a store that cannot answer keeps no event: either way the
      // route has answered, and its answer stands.
    }
  };
}

/** Paths are cut to this length in events: enough for any tree file, not a 16 KB path kept for a month. */
export const maxEventPathLength = 512;

interface BootRequestReport {
  event: EventInput;
  /** The objects the path names, which must exist for the event to be kept. */
  names: { kind: ObjectKind; name: string }[];
}

/** The event for an answered request, or undefined for requests that are no step of an install. */
function bootRequestEvent(
  path: string,
  status: number,
  remote: string | undefined,
): BootRequestReport | undefined {
  const source = (remote ?? '').replace(/^::ffff:/, '') || undefined;
  let type: string | undefined;
  let system: string | undefined;
  const names: BootRequestReport['names'] = [];
  // Events are open reads: a path that carries an autoinstall secret must not hand it out.
  const masked = maskSecretPath(path);
  const shown = masked.length > maxEventPathLength ? `${masked.slice(0, maxEventPathLength)}...` : masked;
  const detail: Record<string, unknown> = { path: shown, status };
  const distro = /^\/(?:cobbler\/images|images|distros|cblr\/links)\/([^/]+)/.exec(path);
  if (path.startsWith('/cblr/svc/op/')) {
    const pairs = parseSvcPath(path.slice('/cblr/svc'.length));
    if (!pairs.op || !serviceOperations.has(pairs.op)) return undefined;
    // The classifier reports its own richer check-in event (enc.checkin).
    if (pairs.op === 'trig' || pairs.op === 'puppet') return undefined;
    type = `http.${pairs.op === 'ks' ? 'autoinstall' : pairs.op}`;
    system = pairs.system;
    if (system) names.push({ kind: 'system', name: system });
    if (pairs.profile) {
      names.push({ kind: 'profile', name: pairs.profile });
      detail.profile = pairs.profile;
    }
  } else if (distro) {
    type = /^\/(cobbler\/)?images\//.test(path) ? 'http.image' : 'http.tree';
    names.push({ kind: 'distro', name: decodePathSegment(distro[1] as string, path) });
  } else {
    const nopxe = /^\/api\/v1\/systems\/([^/]+)\/(nopxe|autoinstall)$/.exec(path);
    if (!nopxe) return undefined;
    type = `http.${nopxe[2]}`;
    system = decodePathSegment(nopxe[1] as string, path);
    names.push({ kind: 'system', name: system });
  }
  return {
    event: {
      type,
      ...(system ? { system } : source ? { ip: source } : {}),
      ...(source ? { source } : {}),
      detail,
    },
    names,
  };
}
