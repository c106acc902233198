// The REST twins of what installers call while they run: install steps (like /cblr/svc/op/trig) and log upload
// (like Cobbler's anamon). No token, as installers have none; the settings say whether each is on, and with
// autoinstall_secrets on they need the object's `?secret=` so that one machine cannot report for another.

import type { Hono } from 'hono';
import { BootwrightError, notFound, quote } from '../errors.js';
import { readBody, readJsonObject, remoteAddress } from '../http/request-body.js';
import { lockedDownPolicy } from '../http/security-headers.js';
import { parseInteger } from '../model/values.js';
import { isKoanStep, koanSteps } from '../status/koan-steps.js';
import { listInstallLogs, readInstallLog } from '../triggers/install-logs.js';
import { requireAutoinstallSecretOf } from './autoinstall-access.js';
import { parseInstallMode, receiveInstallLog, reportInstallStep } from './install-report.js';
import type { ApiServices } from './services.js';

export function registerInstallRoutes(api: Hono, services: ApiServices): void {
  const { inventory } = services;
  const logsDir = async (system: string): Promise<string> => {
    if (!services.dataDir) throw new BootwrightError('E_UNAVAILABLE', 'This server keeps no install logs.');
    await inventory.get('system', system);
    return services.dataDir;
  };

  api.post('/:kinds/:name/install/:mode', async (context) => {
    const kinds = context.req.param('kinds');
    if (kinds !== 'systems' && kinds !== 'profiles') {
      throw notFound(`Only systems and profiles install; ${quote(kinds)} do not.`);
    }
    const mode = parseInstallMode(context.req.param('mode'));
    const target = {
      kind: kinds === 'systems' ? 'system' : 'profile',
      name: context.req.param('name'),
    } as const;
    await requireAutoinstallSecretOf(services, context, target);
    const triggers = await reportInstallStep(services, mode, target, remoteAddress(context));
    return context.json({ reported: `install.${mode}`, triggers });
  });

  // `bootwright koan` on a hypervisor host reports each step of a virtual install (fetched, defined, started,
  // finished, restarted) to the timeline. No token: like the installer, koan has none (Koan never logs in).
  api.post('/:kinds/:name/koan', async (context) => {
    const kinds = context.req.param('kinds');
    if (kinds !== 'systems' && kinds !== 'profiles') {
      throw notFound(`Only systems and profiles are installed by koan; ${quote(kinds)} are not.`);
    }
    const kind = kinds === 'systems' ? 'system' : 'profile';
    const name = context.req.param('name');
    const body = await readJsonObject(context);
    if (!isKoanStep(body.step)) {
      throw new BootwrightError(
        'E_INVALID',
        `Koan step ${quote(String(body.step ?? ''))} is not one of ${koanSteps.join(', ')}.`,
      );
    }
    await inventory.get(kind, name);
    const message = typeof body.message === 'string' ? body.message.slice(0, 500) : body.step;
    const source = remoteAddress(context)?.replace(/^::ffff:/, '');
    services.events?.publish({
      type: `koan.${body.step}`,
      ...(kind === 'system' ? { system: name } : {}),
      ...(source ? { source } : {}),
      detail: { [kind]: name, message },
    });
    return context.json({ reported: `koan.${body.step}` });
  });

  // Installer logs hold the kernel command line, and so the system's secret.
  api.get('/systems/:name/logs', async (context) => {
    const system = context.req.param('name');
    await requireAutoinstallSecretOf(services, context, { kind: 'system', name: system });
    return context.json({ items: await listInstallLogs(await logsDir(system), system) });
  });

  api.get('/systems/:name/logs/:file', async (context) => {
    const system = context.req.param('name');
    await requireAutoinstallSecretOf(services, context, { kind: 'system', name: system });
    const text = await readInstallLog(await logsDir(system), system, context.req.param('file'));
    // The text is whatever the installer sent: opened in a browser, it must not run as this server's page.
    return context.body(text, 200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-security-policy': lockedDownPolicy,
    });
  });

  // PUT for curl; POST too, as BusyBox wget in the Debian installer can only POST (--post-file).
  api.on(['PUT', 'POST'], '/systems/:name/logs/:file', async (context) => {
    const offset = context.req.query('offset');
    await requireAutoinstallSecretOf(services, context, { kind: 'system', name: context.req.param('name') });
    const saved = await receiveInstallLog(
      services,
      context.req.param('name'),
      context.req.param('file'),
      await readBody(context),
      offset === undefined ? undefined : parseInteger(offset, 'offset'),
    );
    return context.json(saved);
  });
}
