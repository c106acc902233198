// The HTTP application: one Hono app for the REST API, Cobbler's XML-RPC endpoint and (in later work) boot files
// and install trees. Errors are turned into responses here and nowhere else.

import type { MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { createBootHttp } from '../api/boot-http.js';
import { createCobblerSvc, parseSvcPath } from '../api/cobbler-svc.js';
import { CobblerXmlRpc } from '../api/cobbler-xmlrpc.js';
import { createRestApi, errorBody } from '../api/rest.js';
import type { ApiServices } from '../api/services.js';
import { createTreeHttp } from '../api/tree-http.js';
import { asBootwrightError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import { readBody, remoteAddress } from './request-body.js';

export function createApp(services: ApiServices): Hono {
  const app = new Hono();
  const xmlrpc = new CobblerXmlRpc(services);

  app.onError((thrown, context) => {
    const error = asBootwrightError(thrown);
    if (error.code === 'E_INTERNAL') console.error(thrown);
    return context.json(errorBody(error), error.httpStatus as 400);
  });
  app.notFound((context) =>
    context.json(
      { error: { code: 'E_NOT_FOUND', message: `Nothing is served at ${context.req.path}.` } },
      404,
    ),
  );

  if (services.events) app.use(reportBootRequests(services.events));

  // Before the REST routes, whose /:kinds/:name/... patterns would otherwise claim the boot config paths.
  app.route('/', createBootHttp(services));
  app.route('/', createTreeHttp(services));
  app.route('/api/v1', createRestApi(services));
  app.route('/cblr/svc', createCobblerSvc(services));

  app.post('/cobbler_api', async (context) => {
    const xml = await xmlrpc.handle(await readBody(context), remoteAddress(context));
    return context.body(xml, 200, { 'content-type': 'text/xml; charset=utf-8' });
  });

  return app;
}

/**
 * Reports the requests of an install (autoinstall file, kernel and initrd, iPXE script, netboot off) on the event
 * bus, after they are answered, with the system named in the path or found by the requester's address.
 */
function reportBootRequests(events: EventBus): MiddlewareHandler {
  return async (context, next) => {
    await next();
    const path = context.req.path;
    const source = (remoteAddress(context) ?? '').replace(/^::ffff:/, '') || undefined;
    const status = context.res.status;
    let type: string | undefined;
    let system: string | undefined;
    const detail: Record<string, unknown> = { path, status };
    if (path.startsWith('/cblr/svc/op/')) {
      const pairs = parseSvcPath(path.slice('/cblr/svc'.length));
      // The classifier reports its own richer check-in event (enc.checkin).
      if (!pairs.op || pairs.op === 'trig' || pairs.op === 'events' || pairs.op === 'puppet') return;
      type = `http.${pairs.op === 'ks' ? 'autoinstall' : pairs.op}`;
      system = pairs.system;
      if (pairs.profile) detail.profile = pairs.profile;
    } else if (/^\/(cobbler\/)?images\//.test(path)) {
      type = 'http.image';
    } else if (/^\/(distros|cblr\/links)\//.test(path)) {
      type = 'http.tree';
    } else {
      const nopxe = /^\/api\/v1\/systems\/([^/]+)\/(nopxe|autoinstall)$/.exec(path);
      if (!nopxe) return;
      type = `http.${nopxe[2]}`;
      system = decodeURIComponent(nopxe[1] as string);
    }
    events.publish({
      type,
      ...(system ? { system } : source ? { ip: source } : {}),
      ...(source ? { source } : {}),
      detail,
    });
  };
}
