// Cobbler's plain-HTTP service URLs, which installers, koan and kickstart snippets call:
// /cblr/svc/op/<op>/<key>/<value>/... (cobbler-koan.md §4). Answers are text/plain, rendered from the store on
// each request; a missing object answers 404 with `# system not found`, a template error 500 with
// `# *** ERROR ***` and the reason, as Cobbler does.

import { type Context, Hono } from 'hono';
import { bearerToken } from '../auth/bearer-token.js';
import { transportOf } from '../auth/require-tls.js';
import type { BootLoader } from '../boot/loaders/loader.js';
import { loaderOfServiceOperation, loaderServiceOperations } from '../boot/loaders/registry.js';
import { asBootwrightError, BootwrightError, quote } from '../errors.js';
import { remoteAddress } from '../http/request-body.js';
import { decodePathSegment } from '../http/request-path.js';
import { isObjectKind, kindOfPlural } from '../model/kinds.js';
import { parseMac } from '../model/values.js';
import type { AutoinstallTarget } from '../templates/install-urls.js';
import { requireAutoinstallSecret } from './autoinstall-access.js';
import { parseInstallMode, reportInstallStep } from './install-report.js';
import { answerNodeClassifier } from './node-classifier.js';
import { aptSourcesFor, repoConfigFor } from './repo-config.js';
import { type RequestReport, reportRequests } from './request-events.js';
import type { RouteModule } from './route-module.js';
import { hasReadToken, redactSecrets } from './secrets.js';
import type { ApiServices } from './services.js';

/** The operations answered under /cblr/svc/op/, the boot loaders' scripts (ipxe) among them; anything else is a 404. */
export const serviceOperations: ReadonlySet<string> = new Set([
  'autoinstall',
  'ks',
  'script',
  'template',
  'list',
  'autodetect',
  'find_autoinstall',
  'findks',
  'settings',
  ...loaderServiceOperations,
  'yum',
  // bootwright's own: the apt equivalent of /op/yum, sources.list lines for a system's or profile's apt repos.
  'apt',
  'trig',
  'nopxe',
  'puppet',
]);

/** `/op/autoinstall/system/vm9/x/y` → { op: 'autoinstall', system: 'vm9', x: 'y' }. */
export function parseSvcPath(path: string): Record<string, string> {
  const words = path
    .split('/')
    .filter((word) => word !== '')
    .map((word) => decodePathSegment(word, path));
  const pairs: Record<string, string> = {};
  for (let i = 0; i + 1 < words.length; i += 2) pairs[words[i] as string] = words[i + 1] as string;
  return pairs;
}

/** Each request's pairs, read once for the event middleware and the route both. */
const pairsByRequest = new WeakMap<Context, Record<string, string>>();

/** The pairs of a request's path from `op` on. */
function pairsOf(context: Context): Record<string, string> {
  let pairs = pairsByRequest.get(context);
  if (pairs === undefined) {
    pairs = parseSvcPath(context.req.path.replace(/^.*?\/op\//, '/op/'));
    pairsByRequest.set(context, pairs);
  }
  return pairs;
}

/** Each operation is a step of an install, reported as http.OP (ks as http.autoinstall); unknown ones are not. */
function serviceRequest(pairs: Record<string, string>): RequestReport | undefined {
  if (!pairs.op || !serviceOperations.has(pairs.op)) return undefined;
  // These report their own richer events: the install step (install.MODE) and the classifier's check-in (enc.checkin).
  if (pairs.op === 'trig' || pairs.op === 'puppet') return undefined;
  const names: RequestReport['names'] = [];
  if (pairs.system) names.push({ kind: 'system', name: pairs.system });
  if (pairs.profile) names.push({ kind: 'profile', name: pairs.profile });
  return {
    type: `http.${pairs.op === 'ks' ? 'autoinstall' : pairs.op}`,
    ...(pairs.system ? { system: pairs.system } : {}),
    names,
    ...(pairs.profile ? { detail: { profile: pairs.profile } } : {}),
  };
}

function targetOf(pairs: Record<string, string>): AutoinstallTarget | undefined {
  if (pairs.system) return { kind: 'system', name: pairs.system };
  if (pairs.profile) return { kind: 'profile', name: pairs.profile };
  return undefined;
}

/** Cobbler's template path encoding: `_` stands for `/` and `__` for `_`. */
export function decodeTemplatePath(encoded: string): string {
  return encoded.replaceAll('__', '\u0000').replaceAll('_', '/').replaceAll('\u0000', '_');
}

function text(context: Context, body: string, status = 200) {
  return context.body(body, status as 200, { 'content-type': 'text/plain; charset=utf-8' });
}

/** Anaconda sends `X-RHN-Provisioning-MAC-0: eth0 52:54:00:12:34:56` with inst.ks.sendmac. */
function provisioningMacs(context: Context): string[] {
  const macs: string[] = [];
  for (const [name, value] of Object.entries(context.req.header())) {
    if (!/^x-rhn-provisioning-mac-\d+$/i.test(name)) continue;
    const candidate = value.trim().split(/\s+/).pop() ?? '';
    try {
      const mac = parseMac(candidate);
      if (mac) macs.push(mac);
    } catch {
      // A malformed header names no machine; other headers may still.
    }
  }
  return macs;
}

export function createCobblerSvc(services: ApiServices): RouteModule {
  const { inventory, renderer, boot } = services;
  const svc = new Hono();

  const autodetect = async (context: Context): Promise<string[]> => {
    return boot.machines.systemNamesFor(provisioningMacs(context), remoteAddress(context));
  };

  /** With autoinstall_secrets on, the `/secret/HEX` pair of the path (or a token) must match the target. */
  const requireSecret = (context: Context, target: AutoinstallTarget, pairs: Record<string, string>) =>
    requireAutoinstallSecret(services, target, pairs.secret, bearerToken(context), transportOf(context));

  const renderAutoinstall = async (
    context: Context,
    target: AutoinstallTarget | undefined,
    pairs: Record<string, string>,
  ) => {
    if (!target) return text(context, '# object not found\n', 404);
    await requireSecret(context, target, pairs);
    try {
      return text(context, (await renderer.autoinstall(target)).text);
    } catch (error) {
      // The object is looked up only when something was not found, not before every render: a missing template
      // is reported as such, a missing object with Cobbler's short body.
      if (
        asBootwrightError(error).code === 'E_NOT_FOUND' &&
        !(await inventory.find(target.kind, target.name))
      )
        return text(context, `# ${target.kind} not found\n`, 404);
      throw error;
    }
  };

  svc.onError((thrown, context) => {
    const error = asBootwrightError(thrown);
    if (error.code === 'E_NOT_FOUND') return text(context, `# object not found\n# ${error.message}\n`, 404);
    if (error.code === 'E_INTERNAL') console.error(thrown);
    const status = error.code === 'E_INVALID' || error.code === 'E_FORBIDDEN' ? error.httpStatus : 500;
    return text(context, `# *** ERROR ***\n# ${error.message}\n`, status);
  });

  /** A boot loader's script: by system or profile name, by MAC, or the menu. */
  const loaderScript = async (context: Context, loader: BootLoader, pairs: Record<string, string>) => {
    // By name, the script would hand out the secret to anyone who guesses the name; by MAC it must (README).
    if (pairs.system) {
      await requireSecret(context, { kind: 'system', name: pairs.system }, pairs);
      return text(context, await boot.systemConfig(loader, await inventory.get('system', pairs.system)));
    }
    if (pairs.profile) {
      await requireSecret(context, { kind: 'profile', name: pairs.profile }, pairs);
      return text(context, await boot.profileConfig(loader, pairs.profile));
    }
    if (pairs.mac) {
      const system = await boot.machines.systemByMac(pairs.mac);
      // An unknown machine gets the menu, as it would over TFTP.
      return text(context, system ? await boot.systemConfig(loader, system) : await boot.menuConfig(loader));
    }
    return text(context, await boot.menuConfig(loader));
  };

  reportRequests(svc, ['/op/*'], services, (context) => serviceRequest(pairsOf(context)));
  svc.get('/op/*', async (context) => {
    const pairs = pairsOf(context);
    const loader = loaderOfServiceOperation(pairs.op ?? '');
    if (loader) return loaderScript(context, loader, pairs);
    switch (pairs.op) {
      case 'autoinstall':
      case 'ks':
        return renderAutoinstall(context, targetOf(pairs), pairs);
      case 'script': {
        const target = targetOf(pairs);
        const script = context.req.query('script') ?? pairs.script;
        if (!target || !script)
          return text(context, '# *** ERROR ***\n# say ?script=NAME and a system or profile\n', 400);
        await requireSecret(context, target, pairs);
        return text(context, (await renderer.script(target, script)).text);
      }
      case 'template': {
        const target = targetOf(pairs);
        if (!target || !pairs.path)
          return text(context, '# *** ERROR ***\n# say a system or profile and /path/P\n', 400);
        await requireSecret(context, target, pairs);
        return text(
          context,
          (await renderer.templateFile(target, `/${decodeTemplatePath(pairs.path)}`.replace(/^\/+/, '/')))
            .text,
        );
      }
      case 'list': {
        const asked = pairs.what ?? '';
        const what = kindOfPlural(asked) ?? (isObjectKind(asked) ? asked : undefined);
        if (what === undefined) {
          return text(context, `# *** ERROR ***\n# cannot list ${quote(asked)}\n`, 400);
        }
        const names = (await inventory.list(what)).map((object) => object.name);
        return text(context, names.map((name) => `${name}\n`).join(''));
      }
      case 'autodetect': {
        const names = await autodetect(context);
        if (names.length === 0) return text(context, 'FAILED: no match\n');
        if (names.length > 1) return text(context, 'FAILED: multiple matches\n');
        return text(context, names[0] as string);
      }
      case 'find_autoinstall':
      case 'findks': {
        const names = await autodetect(context);
        if (names.length !== 1)
          return text(context, `# *** ERROR ***\n# autodetect found ${names.length} systems\n`, 404);
        // A MAC header is easily forged, so with autoinstall_secrets on this too needs the system's secret.
        return renderAutoinstall(context, { kind: 'system', name: names[0] as string }, pairs);
      }
      case 'settings': {
        // Open, as in Cobbler, but the root password hash in it is for callers with a token (secrets.ts).
        const settings = await inventory.settings();
        return context.json((await hasReadToken(services, context)) ? settings : redactSecrets(settings));
      }
      case 'yum': {
        const target = targetOf(pairs);
        if (!target) return text(context, '# object not found\n', 404);
        return text(context, await repoConfigFor(renderer, target));
      }
      case 'apt': {
        const target = targetOf(pairs);
        if (!target) return text(context, '# object not found\n', 404);
        return text(context, await aptSourcesFor(renderer, target));
      }
      case 'trig': {
        const target = targetOf(pairs);
        if (!target)
          return text(
            context,
            '# *** ERROR ***\n# say /mode/pre|post|firstboot and a system or profile\n',
            400,
          );
        await requireSecret(context, target, pairs);
        await reportInstallStep(services, parseInstallMode(pairs.mode), target, remoteAddress(context));
        return text(context, 'True');
      }
      case 'nopxe': {
        if (!pairs.system) return text(context, 'False');
        await requireSecret(context, { kind: 'system', name: pairs.system }, pairs);
        return text(context, (await inventory.finishNetboot(pairs.system)) ? 'True' : 'False');
      }
      case 'puppet': {
        // cobbler-ext-nodes asks here; an unknown host still gets what the role rules give it.
        if (!pairs.hostname) return text(context, '# *** ERROR ***\n# say /op/puppet/hostname/FQDN\n', 400);
        return text(context, await answerNodeClassifier(services, pairs.hostname, remoteAddress(context)));
      }
      default:
        throw new BootwrightError('E_NOT_FOUND', `Unknown service operation ${quote(pairs.op ?? '')}.`);
    }
  });

  return { routes: svc };
}
