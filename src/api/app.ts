// The HTTP application: one Hono app made of the route modules (the REST API, Cobbler's XML-RPC endpoint and
// /cblr/svc, boot files and install trees), each of which reports its own requests as events. Errors are turned
// into responses here and nowhere else. The downloads the modules declare are answered on node:http too, before
// Hono: the app's fast path, which listenHttp puts in front of it.

import type { IncomingMessage } from 'node:http';
import { Hono } from 'hono';
import { asBootwrightError } from '../errors.js';
import { downloadFastPath } from '../http/download-route.js';
import { setFastPath, setUrgentRequests } from '../http/fast-path.js';
import { closeAfterAnswer } from '../http/request-body.js';
import { refuseMalformedPaths } from '../http/request-path.js';
import { securityHeaders } from '../http/security-headers.js';
import { createBootHttp } from './boot-http.js';
import { createCobblerSvc } from './cobbler-svc.js';
import { CobblerTasks } from './cobbler-tasks.js';
import { createRepoMirrorHttp } from './repo-mirror-http.js';
import { createRestApi, errorBody } from './rest.js';
import type { RouteModule } from './route-module.js';
import type { ApiServices } from './services.js';
import { createTreeHttp } from './tree-http.js';
import { createXmlRpcHttp } from './xmlrpc-http.js';

export function createApp(given: ApiServices): Hono {
  const app = new Hono();
  // One task list for the whole app: a reposync started over REST is read with XML-RPC's get_event_log.
  const services: ApiServices = { ...given, tasks: given.tasks ?? new CobblerTasks() };

  app.onError((thrown, context) => {
    const error = asBootwrightError(thrown);
    if (error.code === 'E_INTERNAL') console.error(thrown);
    // The rest of a body over the limit is left unread: closing the connection after the answer is what stops the
    // sender, where keep-alive would have the server read (and the sender send) it all to find the next request.
    const headers = error.code === 'E_TOO_LARGE' ? { connection: 'close' } : undefined;
    const incoming = (context.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (headers && incoming) closeAfterAnswer(incoming);
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

  // Where each module is mounted, in the order its routes are matched: the boot paths before the REST routes, whose
  // /:kinds/:name/... patterns would otherwise claim the boot config paths.
  const modules: [string, RouteModule][] = [
    ['/', createBootHttp(services)],
    ['/', createTreeHttp(services)],
    ...(services.mirrors
      ? [['/', createRepoMirrorHttp(services, services.mirrors)] as [string, RouteModule]]
      : []),
    ['/api/v1', createRestApi(services)],
    ['/cblr/svc', createCobblerSvc(services)],
    ['/', createXmlRpcHttp(services)],
  ];
  for (const [path, module] of modules) app.route(path, module.routes);
  setFastPath(app, downloadFastPath(modules.flatMap(([, module]) => module.downloads ?? [])));
  setUrgentRequests(app, (request) => isOperatorRequest(request.url ?? ''));
  return app;
}

/** The REST calls installers and koan make while they run: part of the install flood, not an operator's call. */
const installerRestCall =
  /^\/api\/v1\/(?:systems|profiles)\/[^/]+\/(?:autoinstall|nopxe|install|logs|koan|boot)(?:[/?]|$)/;

/**
 * An operator's call (the REST API and XML-RPC, which `bootwright status`, the CLI and scripts use) goes ahead of the
 * installers' requests waiting for their turn: during a mass install a thousand of those wait at once, and an
 * operator must not wait behind them all. Installers lose a few milliseconds at most; the split is by path alone,
 * since it is made before any request is read.
 */
export function isOperatorRequest(url: string): boolean {
  if (url === '/cobbler_api' || url.startsWith('/cobbler_api?')) return true;
  return url.startsWith('/api/v1/') && !installerRestCall.test(url);
}
