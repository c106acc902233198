// The requests of an install (autoinstall file, kernel and initrd, tree files, iPXE script, netboot off) are
// reported on the event bus, after they are answered, with the system named in the path or found by the requester's
// address. Each route module says which of its requests are steps of an install and what they name; this is how they
// become events. Events are kept for weeks and read by everyone, so a request that names no existing system, profile
// or distro (a typo, a scan, a flood of made-up names) leaves none.

import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { ServedDownload } from '../http/download-route.js';
import { remoteAddress } from '../http/request-body.js';
import type { ObjectKind } from '../model/kinds.js';
import type { EventInput } from '../store/store.js';
import { maskSecretPath } from '../templates/install-urls.js';
import type { ApiServices } from './services.js';

/** Paths are cut to this length in events: enough for any tree file, not a 16 KB path kept for a month. */
export const maxEventPathLength = 512;

/** What an answered request reports: its event's type, and what its path names. */
export interface RequestReport {
  type: string;
  /** The system the path names; without one, the event bus finds the system by the requester's address. */
  system?: string;
  /** The objects the path names, which must exist for the event to be kept. */
  names: { kind: ObjectKind; name: string }[];
  /** More of the event's detail, after the path and the status. */
  detail?: Record<string, unknown>;
}

export function requestEvent(
  report: RequestReport,
  path: string,
  status: number,
  remote: string | undefined,
): EventInput {
  const source = (remote ?? '').replace(/^::ffff:/, '') || undefined;
  // Events are open reads: a path that carries an autoinstall secret must not hand it out.
  const masked = maskSecretPath(path);
  const shown = masked.length > maxEventPathLength ? `${masked.slice(0, maxEventPathLength)}...` : masked;
  const { system } = report;
  return {
    type: report.type,
    ...(system ? { system } : source ? { ip: source } : {}),
    ...(source ? { source } : {}),
    detail: { path: shown, status, ...report.detail },
  };
}

/**
 * Reports the requests for `paths` (Hono patterns) of `routes`, whatever their method and answer, as `describe` says
 * (undefined: no step of an install). Called before the routes are added: middleware runs only ahead of the handler
 * that answers.
 */
export function reportRequests(
  routes: Hono,
  paths: readonly string[],
  services: ApiServices,
  describe: (context: Context) => RequestReport | undefined,
): void {
  const { events, inventory } = services;
  if (!events) return;
  const report: MiddlewareHandler = async (context, next) => {
    let described: RequestReport | undefined;
    try {
      // Before the routes run, while the parameters are this middleware's own.
      described = describe(context);
    } catch {
      // A path that cannot be decoded names nothing.
    }
    await next();
    if (!described) return;
    try {
      for (const { kind, name } of described.names) {
        if (!(await inventory.exists(kind, name))) return;
      }
      events.publish(requestEvent(described, context.req.path, context.res.status, remoteAddress(context)));
    } catch {
      // A store that cannot answer keeps no event: the route has answered, and its answer stands.
    }
  };
  for (const path of paths) routes.use(path, report);
}

/** Reports a file the fast path sent: it was found, so what its path names exists. */
export function reportServed(services: ApiServices, report: RequestReport, served: ServedDownload): void {
  services.events?.publish(requestEvent(report, served.path, served.status, served.remote));
}
