// The HTTP application: one Hono app for the REST API, Cobbler's XML-RPC endpoint and (in later work) boot files
// and install trees. Errors are turned into responses here and nowhere else.

import { Hono } from 'hono';
import { createBootHttp } from '../api/boot-http.js';
import { createCobblerSvc } from '../api/cobbler-svc.js';
import { CobblerXmlRpc } from '../api/cobbler-xmlrpc.js';
import { createRestApi, errorBody } from '../api/rest.js';
import type { ApiServices } from '../api/services.js';
import { asBootwrightError } from '../errors.js';
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

  // Before the REST routes, whose /:kinds/:name/... patterns would otherwise claim the boot config paths.
  app.route('/', createBootHttp(services));
  app.route('/api/v1', createRestApi(services));
  app.route('/cblr/svc', createCobblerSvc(services));

  app.post('/cobbler_api', async (context) => {
    const xml = await xmlrpc.handle(await readBody(context), remoteAddress(context));
    return context.body(xml, 200, { 'content-type': 'text/xml; charset=utf-8' });
  });

  return app;
}
