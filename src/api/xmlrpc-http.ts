// Cobbler's XML-RPC endpoint, POST /cobbler_api: the body is the call, the answer its XML response or fault.

import { Hono } from 'hono';
import { transportOf } from '../auth/require-tls.js';
import { readBody, remoteAddress } from '../http/request-body.js';
import { CobblerXmlRpc } from './cobbler-xmlrpc.js';
import type { RouteModule } from './route-module.js';
import type { ApiServices } from './services.js';

export function createXmlRpcHttp(services: ApiServices): RouteModule {
  const xmlrpc = new CobblerXmlRpc(services);
  const http = new Hono();
  http.post('/cobbler_api', async (context) => {
    const xml = await xmlrpc.handle(
      await readBody(context),
      remoteAddress(context),
      transportOf(context),
      context.req.query('secret'),
    );
    return context.body(xml, 200, { 'content-type': 'text/xml; charset=utf-8' });
  });
  return { routes: http };
}
