// The REST API under /api/v1: list (with glob filters and paging), get, create, patch and delete for every object
// kind, their blended and koan-rendered views, settings, login and random MACs. Reads are open, as installers
// need them; writes need `Authorization: Bearer <token>` from POST /api/v1/login.

import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Access } from '../auth/authenticator.js';
import { bearerToken } from '../auth/bearer-token.js';
import { refuseCredentialsInClear, transportOf } from '../auth/require-tls.js';
import { BootwrightError, invalid, notFound, quote } from '../errors.js';
import { ClientSlots } from '../http/client-slots.js';
import { readJson, readJsonObject, remoteAddress } from '../http/request-body.js';
import type { EditOptions } from '../inventory/inventory.js';
import { parseTries } from '../mirror/reposync.js';
import { kindOfPlural, type ObjectKind, objectKinds, pluralOf } from '../model/kinds.js';
import { parseBool, parseInteger } from '../model/values.js';
import type { StoredEvent } from '../store/store.js';
import type { AutoinstallTarget } from '../templates/install-urls.js';
import { requireAutoinstallSecretOf } from './autoinstall-access.js';
import { CobblerTasks } from './cobbler-tasks.js';
import { registerInstallRoutes } from './install-routes.js';
import { answerNodeClassifier } from './node-classifier.js';
import { changesFromJson, objectToJson } from './object-json.js';
import { openApiDocument } from './openapi.js';
import { parseLimit } from './paging.js';
import { registerPowerRoutes } from './power-routes.js';
import { startReposync } from './reposync-task.js';
import { reportRequests } from './request-events.js';
import type { RouteModule } from './route-module.js';
import { hasReadToken, redactSecrets } from './secrets.js';
import type { ApiServices } from './services.js';

const pagingKeys = new Set(['offset', 'limit']);

/** Open event streams: each holds a socket and a subscription for as long as the client stays. */
const maxEventStreams = 128;
const maxEventStreamsPerClient = 8;

/** `/api/v1/systems` names the kind in the plural, as REST APIs usually do. */
function kindOf(context: Context): ObjectKind {
  const plural = context.req.param('kinds') ?? '';
  const kind = kindOfPlural(plural);
  if (!kind)
    throw notFound(`No such collection ${quote(plural)}; use ${objectKinds.map(pluralOf).join(', ')}.`);
  return kind;
}

/** Only systems and profiles have autoinstall files and template variables. */
function renderTarget(context: Context): AutoinstallTarget {
  const kind = kindOf(context);
  if (kind !== 'system' && kind !== 'profile') {
    throw notFound(`A ${kind} has no autoinstall file; ask for a system or a profile.`);
  }
  return { kind, name: context.req.param('name') ?? '' };
}

function editOptions(context: Context): EditOptions {
  const query = context.req.query();
  const options: EditOptions = {};
  if (query.in_place !== undefined) options.inPlace = parseBool(query.in_place, 'in_place');
  if (query.interface) options.interface = query.interface;
  if (query.delete_interface !== undefined)
    options.deleteInterface = parseBool(query.delete_interface, 'delete_interface');
  if (query.rename_interface) options.renameInterface = query.rename_interface;
  return options;
}

/** A JSON object, or a non-empty array of JSON objects (a batch); a bad item is named by its index. */
async function readJsonObjectOrArray(
  context: Context,
): Promise<Record<string, unknown> | Record<string, unknown>[]> {
  const parsed = await readJson(context);
  if (!Array.isArray(parsed)) {
    if (parsed === null || typeof parsed !== 'object')
      throw invalid('Request body must be a JSON object or an array of them.');
    return parsed as Record<string, unknown>;
  }
  if (parsed.length === 0) throw invalid('Request body is an empty array; send at least one object.');
  parsed.forEach((item, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw invalid(`Item ${index} must be a JSON object, received ${quote(JSON.stringify(item))}.`);
  });
  return parsed as Record<string, unknown>[];
}

export function createRestApi(services: ApiServices): RouteModule {
  const { inventory, auth } = services;
  const tasks = services.tasks ?? new CobblerTasks();
  const api = new Hono();
  const allow = (context: Context, access: Access) => {
    refuseCredentialsInClear(services.requireTls, transportOf(context));
    return auth.requireToken(bearerToken(context), access);
  };

  // Reads are open, but their secrets are for callers with a token (secrets.ts).
  api.use('*', async (context, next) => {
    await next();
    if (
      context.req.method !== 'GET' ||
      !context.res.headers.get('content-type')?.includes('application/json')
    )
      return;
    if (await hasReadToken(services, context)) return;
    const text = await context.res.text();
    const redacted = redactSecrets(JSON.parse(text) as unknown);
    const { status, headers } = context.res;
    context.res = new Response(JSON.stringify(redacted), { status, headers });
  });

  // What an installer fetches and calls at the end of its install, as over /cblr/svc/op/: steps of its install.
  for (const step of ['autoinstall', 'nopxe'] as const) {
    reportRequests(api, [`/systems/:name/${step}`], services, (context) => {
      const name = context.req.param('name') ?? '';
      return { type: `http.${step}`, system: name, names: [{ kind: 'system', name }] };
    });
  }

  api.get('/openapi.json', (context) => context.json(openApiDocument(services.version)));
  api.get('/version', (context) => context.json({ name: 'bootwright', version: services.version }));

  api.post('/login', async (context) => {
    refuseCredentialsInClear(services.requireTls, transportOf(context));
    const body = await readJsonObject(context);
    const source = remoteAddress(context);
    const token = await auth.login(String(body.username ?? ''), String(body.password ?? ''), source);
    return context.json({ token });
  });
  api.post('/logout', async (context) => {
    const token = bearerToken(context);
    return context.json({ revoked: token ? await auth.logout(token) : false });
  });

  api.get('/settings', async (context) => context.json(await inventory.settings()));
  api.put('/settings/:name', async (context) => {
    await allow(context, 'write');
    const body = await readJsonObject(context);
    if (!('value' in body)) throw invalid('Request body must be {"value": ...}.');
    const settings = await inventory.setSetting(context.req.param('name'), body.value);
    return context.json(settings);
  });
  api.delete('/settings/:name', async (context) => {
    await allow(context, 'write');
    return context.json(await inventory.resetSetting(context.req.param('name')));
  });

  api.get('/random-mac', async (context) => {
    return context.json({ mac_address: await inventory.randomMac(context.req.query('virt_type')) });
  });

  api.get('/events', async (context) => {
    if (!services.events) throw new BootwrightError('E_UNAVAILABLE', 'This server publishes no events.');
    const query = context.req.query();
    const events = await services.events.query({
      ...(query.system ? { system: query.system } : {}),
      ...(query.type ? { type: query.type } : {}),
      ...(query.after ? { afterId: parseInteger(query.after, 'after') } : {}),
      ...(query.since ? { since: parseInteger(query.since, 'since') } : {}),
      limit: parseLimit(context.req.query('limit')),
      newestFirst: query.newest_first === 'true',
    });
    return context.json({ items: events });
  });

  // Live events as Server-Sent Events. `after=<id>` (or the Last-Event-ID header of a reconnecting client) first
  // replays what was missed, so that a watcher never loses a step.
  const eventStreams = new ClientSlots('event streams', maxEventStreams, maxEventStreamsPerClient);
  api.get('/events/stream', (context) => {
    const { events } = services;
    if (!events) throw new BootwrightError('E_UNAVAILABLE', 'This server publishes no events.');
    const query = context.req.query();
    const after = query.after ?? context.req.header('last-event-id');
    // Parsed before the stream starts, so that a bad value is a 400 rather than an error inside the stream.
    let lastId = after ? parseInteger(after, 'after') : undefined;
    const wanted = (event: StoredEvent) =>
      (!query.system || event.system === query.system) &&
      (!query.type ||
        (query.type.endsWith('.') ? event.type.startsWith(query.type) : event.type === query.type));
    const release = eventStreams.take(remoteAddress(context));
    return streamSSE(context, async (stream) => {
      const queue: StoredEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = events.subscribe((event) => {
        if (!wanted(event)) return;
        queue.push(event);
        wake?.();
      });
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      try {
        if (lastId !== undefined) {
          const missed = await events.query({
            afterId: lastId,
            limit: 10_000,
            ...(query.system ? { system: query.system } : {}),
          });
          queue.unshift(...missed.filter(wanted));
        }
        while (!stream.aborted) {
          const event = queue.shift();
          if (!event) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, 15_000);
            });
            wake = undefined;
            if (queue.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
            continue;
          }
          if (lastId !== undefined && event.id <= lastId) continue;
          lastId = event.id;
          await stream.writeSSE({ id: String(event.id), event: event.type, data: JSON.stringify(event) });
        }
      } finally {
        unsubscribe();
        release();
      }
    });
  });

  // Renders every system and profile: a read for operators (any token), not one request of a stranger's flood.
  api.get('/validate-autoinstalls', async (context) => {
    await allow(context, 'read');
    return context.json(await services.renderer.validateAll());
  });

  // A reposync runs for minutes: the call starts it as a task and answers with its id; GET /tasks/ID follows it (and
  // XML-RPC's get_event_log reads the same log).
  api.post('/reposync', async (context) => {
    await allow(context, 'write');
    const body = await readJsonObject(context);
    const known = new Set(['name', 'only_new', 'tries', 'no_fail']);
    const unknown = Object.keys(body).filter((key) => !known.has(key));
    if (unknown.length > 0)
      throw invalid(
        `Unknown reposync option ${quote(unknown[0])}; it takes name, only_new, tries and no_fail.`,
      );
    if (body.name !== undefined && typeof body.name !== 'string')
      throw invalid(
        `reposync's name must be a string (a glob over repo names), received ${quote(JSON.stringify(body.name))}.`,
      );
    const flag = (key: string) => (body[key] === undefined ? false : parseBool(String(body[key]), key));
    const { id } = startReposync(services, tasks, {
      ...(typeof body.name === 'string' && body.name !== '' ? { name: body.name } : {}),
      ...(body.tries === undefined ? {} : { tries: parseTries(body.tries) }),
      onlyNew: flag('only_new'),
      noFail: flag('no_fail'),
    });
    return context.json({ task: id, state: 'running' }, 202);
  });
  api.get('/tasks/:id', (context) => {
    const task = tasks.task(context.req.param('id'));
    if (!task)
      throw notFound(`No task ${quote(context.req.param('id'))}; tasks are kept while the server runs.`);
    return context.json(task);
  });

  // A repo's mirror (`repo report` with --server): its current snapshot, or {} when never synced.
  api.get('/repos/:name/mirror', async (context) => {
    const name = context.req.param('name');
    await inventory.get('repo', name);
    return context.json(services.mirrors ? await services.mirrors.status(name) : {});
  });

  // Puppet's external node classifier (as /cblr/svc/op/puppet/hostname/FQDN); open, as puppet servers have no token.
  api.get('/enc/:fqdn', async (context) => {
    const yaml = await answerNodeClassifier(services, context.req.param('fqdn'), remoteAddress(context));
    return context.body(yaml, 200, { 'content-type': 'text/yaml; charset=utf-8' });
  });

  api.get('/:kinds', async (context) => {
    const kind = kindOf(context);
    const query = context.req.query();
    const offset = query.offset === undefined ? 0 : parseInteger(query.offset, 'offset');
    const limit = parseLimit(context.req.query('limit'));
    const criteria = Object.fromEntries(Object.entries(query).filter(([key]) => !pagingKeys.has(key)));
    if (Object.keys(criteria).length === 0) {
      const [items, total] = await Promise.all([
        inventory.list(kind, { offset, limit }),
        inventory.count(kind),
      ]);
      return context.json({ items: items.map(objectToJson), total, offset, limit });
    }
    const matching = await inventory.list(kind, { criteria });
    const items = matching.slice(offset, offset + limit).map(objectToJson);
    return context.json({ items, total: matching.length, offset, limit });
  });

  // One object, or an array of them added all or none in one transaction (a rack of systems in one request).
  api.post('/:kinds', async (context) => {
    await allow(context, 'write');
    const kind = kindOf(context);
    const body = await readJsonObjectOrArray(context);
    if (Array.isArray(body)) {
      const created = await inventory.addMany(kind, body.map(changesFromJson), editOptions(context));
      return context.json({ items: created.map(objectToJson) }, 201);
    }
    const created = await inventory.add(kind, changesFromJson(body), editOptions(context));
    return context.json(objectToJson(created), 201);
  });

  api.get('/:kinds/:name', async (context) => {
    return context.json(objectToJson(await inventory.get(kindOf(context), context.req.param('name'))));
  });

  api.patch('/:kinds/:name', async (context) => {
    await allow(context, 'write');
    const kind = kindOf(context);
    const changes = changesFromJson(await readJsonObject(context));
    const edited = await inventory.edit(kind, context.req.param('name'), changes, editOptions(context));
    return context.json(objectToJson(edited));
  });

  api.delete('/:kinds/:name', async (context) => {
    await allow(context, 'write');
    const recursive = parseBool(context.req.query('recursive') ?? false, 'recursive');
    const removed = await inventory.remove(kindOf(context), context.req.param('name'), { recursive });
    return context.json({ removed });
  });

  api.post('/:kinds/:name/copy', async (context) => {
    await allow(context, 'write');
    const { new_name: newName, ...changes } = await readJsonObject(context);
    if (typeof newName !== 'string') throw invalid('Request body must name the copy: {"new_name": "..."}.');
    const copy = await inventory.copy(
      kindOf(context),
      context.req.param('name'),
      newName,
      changesFromJson(changes),
    );
    return context.json(objectToJson(copy), 201);
  });

  api.post('/:kinds/:name/rename', async (context) => {
    await allow(context, 'write');
    const { new_name: newName } = await readJsonObject(context);
    if (typeof newName !== 'string')
      throw invalid('Request body must give the new name: {"new_name": "..."}.');
    return context.json(
      objectToJson(await inventory.rename(kindOf(context), context.req.param('name'), newName)),
    );
  });

  api.get('/:kinds/:name/blended', async (context) => {
    return context.json(await inventory.blended(kindOf(context), context.req.param('name')));
  });

  // The installer's own call at the end of an install, like /cblr/svc/op/nopxe: no token, as installers have none.
  api.post('/systems/:name/nopxe', async (context) => {
    await requireAutoinstallSecretOf(services, context, { kind: 'system', name: context.req.param('name') });
    return context.json({ netboot_disabled: await inventory.finishNetboot(context.req.param('name')) });
  });
  registerInstallRoutes(api, services);
  registerPowerRoutes(api, services, allow);

  api.get('/:kinds/:name/autoinstall', async (context) => {
    await requireAutoinstallSecretOf(services, context, renderTarget(context));
    const rendered = await services.renderer.autoinstall(renderTarget(context));
    return context.body(rendered.text, 200, { 'content-type': 'text/plain; charset=utf-8' });
  });

  api.get('/:kinds/:name/variables', async (context) => {
    // The variables hold the URLs with the secret, and all a kickstart is made of.
    await requireAutoinstallSecretOf(services, context, renderTarget(context));
    return context.json(await services.renderer.variables(renderTarget(context)));
  });

  api.get('/:kinds/:name/rendered', async (context) => {
    return context.json(await inventory.rendered(kindOf(context), context.req.param('name')));
  });

  return { routes: api };
}

export function errorBody(error: BootwrightError): { error: { code: string; message: string } } {
  return { error: { code: error.code, message: error.message } };
}
