// The Cobbler XML-RPC methods that are about the server rather than one kind of object: sync and the task API,
// generated files (autoinstall, iPXE, scripts, repo stanzas, template files), the template library, settings and
// signatures, check and status, koan's --update-config and cobbler-register (cobbler/remote.py, v3.3.7).

import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkBootServer } from '../boot/check.js';
import { loaderNamed } from '../boot/loaders/registry.js';
import { dataPaths } from '../config/paths.js';
import { importDistro } from '../distros/import.js';
import { loadSignatures, userSignaturesFile } from '../distros/signatures.js';
import { asBootwrightError, BootwrightError, invalid, notFound, quote } from '../errors.js';
import { parseTries } from '../mirror/reposync.js';
import { archs, breeds } from '../model/fields.js';
import {
  INHERIT,
  type InventoryObject,
  isObjectKind,
  type ObjectKind,
  objectKinds,
  pluralOf,
} from '../model/kinds.js';
import { kvToString } from '../model/kv.js';
import { formatStatusTable, installStatus } from '../status/install-status.js';
import type { StoredEvent } from '../store/store.js';
import type { AutoinstallTarget } from '../templates/install-urls.js';
import { checkRelativeName } from '../templates/library.js';
import { XmlRpcDouble, type XmlRpcValue } from '../xmlrpc/codec.js';
import { requireAutoinstallSecret } from './autoinstall-access.js';
import { cobblerSettingsView } from './cobbler-settings-view.js';
import { CobblerTasks } from './cobbler-tasks.js';
import {
  cobblerItem,
  type MethodRegistry,
  optionalText,
  structOf,
  text,
  toWire,
  truthy,
} from './cobbler-wire.js';
import { parsePowerAction, requirePower } from './power-routes.js';
import { repoConfigFor } from './repo-config.js';
import { startReposync } from './reposync-task.js';
import { REDACTED, redactSecrets, secretFields } from './secrets.js';
import type { ApiServices } from './services.js';

/** Cobbler's answer when generate_autoinstall cannot render, followed here by the reason. */
const renderFailedHeader =
  '# This automatic OS installation file had errors that prevented it from being rendered correctly.\n';

const stallMinutes = 100;

function renderTarget(
  system: string | undefined,
  profile: string | undefined,
): AutoinstallTarget | undefined {
  if (system) return { kind: 'system', name: system };
  if (profile) return { kind: 'profile', name: profile };
  return undefined;
}

/** Cobbler's status entry per address: [most recent start, most recent stop, target, starts, stops, state]. */
function cobblerStatus(events: readonly StoredEvent[], now: number): Record<string, XmlRpcValue> {
  const rows = installStatus(events, now, stallMinutes);
  const result: Record<string, XmlRpcValue> = {};
  for (const row of rows) {
    const system = row.target.replace(/^system:/, '');
    const mine = events.filter((event) => event.system === system);
    const starts = mine.filter((event) => event.type === 'install.pre');
    const stops = mine.filter((event) => event.type === 'install.post');
    const lastStop = stops.at(-1);
    result[row.ip] = [
      new XmlRpcDouble(row.started / 1000),
      new XmlRpcDouble(lastStop ? lastStop.time / 1000 : -1),
      row.target,
      starts.length,
      stops.length,
      row.state.startsWith('stalled') ? 'unknown/stalled' : row.state,
    ];
  }
  return result;
}

export function registerServiceMethods(registry: MethodRegistry, services: ApiServices): void {
  const { inventory, renderer } = services;
  const tasks = services.tasks ?? new CobblerTasks();
  const { open, withToken } = registry;

  // ---- sync and tasks: nothing is generated ahead of time, so a sync has nothing to write.
  const nothingToSync = async (log: (line: string) => void) => {
    log('bootwright renders boot configs, DHCP answers and autoinstall files when asked: nothing to sync.');
  };
  withToken('sync', async ([token]) => {
    await registry.owner(token);
    return true;
  });
  withToken('sync_dhcp', async ([token]) => {
    await registry.owner(token);
    return true;
  });
  const backgroundTasks: Record<string, [string, (log: (line: string) => void) => Promise<void>]> = {
    background_sync: ['Sync', nothingToSync],
    background_syncsystems: ['Syncsystems', nothingToSync],
    background_hardlink: [
      'Hardlink',
      async (log) =>
        log('Install trees are served in place from their ISO or directory: nothing to hardlink.'),
    ],
    background_validate_autoinstall_files: [
      'Automated installation files validation',
      async (log) => {
        const results = await renderer.validateAll();
        for (const result of results) {
          const head = `${result.kind} ${result.name}`;
          if (result.errors.length === 0) log(`ok ${head} (${result.template})`);
          for (const error of result.errors) log(`FAILED ${head}: ${error}`);
        }
        const failed = results.filter((result) => result.errors.length > 0).length;
        if (failed > 0)
          throw new BootwrightError(
            'E_TEMPLATE',
            `${failed} of ${results.length} autoinstall files have errors.`,
          );
      },
    ],
    background_signature_update: [
      'Updating Signatures',
      async (log) => {
        const table = await loadSignatures(services.dataDir && userSignaturesFile(services.dataDir));
        log(`${table.signatures.length} signatures loaded; they are read from disk each time they are used.`);
      },
    ],
  };
  // Cobbler's import copies the tree with rsync first; bootwright reads it in place (`bootwright import`), so the
  // task has ended by the time its id is handed out. rsync_flags has nothing to apply to.
  withToken('background_import', async ([options, token]) => {
    await registry.owner(token);
    const given = (key: string) => optionalText(structOf(options)?.[key]);
    const path = given('path');
    if (!path) throw invalid('background_import needs options.path: the ISO image or tree on the server.');
    const dataDir = services.dataDir;
    if (!dataDir)
      throw new BootwrightError('E_UNAVAILABLE', 'This server has no data directory to import into.');
    return tasks.run('Media import', async (log) => {
      const result = await importDistro(inventory, {
        path,
        dataDir,
        ...(given('name') ? { name: given('name') } : {}),
        ...(given('arch') ? { arch: given('arch') } : {}),
        ...(given('breed') ? { breed: given('breed') } : {}),
        ...(given('os_version') ? { osVersion: given('os_version') } : {}),
        ...(given('available_as') ? { availableAs: given('available_as') } : {}),
        ...(given('autoinstall_file') ? { autoinstall: given('autoinstall_file') } : {}),
      });
      const { detection } = result;
      log(
        `${detection.breed} ${detection.osVersion} ${detection.arch} (signature ${detection.signature.name})`,
      );
      for (const change of result.changes) log(change);
    });
  });
  // Cobbler's remote.py: the web UI passes `repos` (a list of names), its CLI `only` (one name); nofail is on by
  // default when repos are named. Started, not awaited: a reposync takes minutes, and the client polls.
  withToken('background_reposync', async ([options, token]) => {
    await registry.owner(token, 'write');
    const given = structOf(options) ?? {};
    const only = optionalText(given.only);
    const repos = Array.isArray(given.repos) ? given.repos.map((repo) => text(repo, 'Repo name')) : [];
    const names = only === undefined ? repos : [only];
    const tries = given.tries === undefined || given.tries === '~' ? undefined : given.tries;
    return startReposync(services, tasks, {
      ...(names.length > 0 ? { names } : {}),
      ...(tries === undefined ? {} : { tries: parseTries(tries) }),
      onlyNew: truthy(given.only_new),
      noFail: given.nofail === undefined ? names.length > 0 : truthy(given.nofail),
    }).id;
  });
  for (const [method, [name, work]] of Object.entries(backgroundTasks)) {
    withToken(method, async ([_options, token]) => {
      await registry.owner(token);
      return tasks.run(name, work);
    });
  }
  // ---- power (src/power/), Cobbler's power_system: true when done (for status: when on); a failed action is a
  // fault with the BMC's answer, as Cobbler's CX.
  const systemOf = (handle: XmlRpcValue | undefined) => text(handle, 'System').replace(/^system::/, '');
  withToken('power_system', async ([handle, power, token]) => {
    const owner = await registry.owner(token, power === 'status' ? 'read' : 'write');
    const action = parsePowerAction(power);
    const result = await requirePower(services).act(systemOf(handle), action, owner.user);
    if (!result.ok) throw new BootwrightError('E_UNAVAILABLE', result.message);
    return action === 'status' ? result.state === 'on' : true;
  });
  // Cobbler's web UI powers several systems as one task: each system's outcome is a line of the task's log.
  withToken('background_power_system', async ([options, token]) => {
    const given = structOf(options) ?? {};
    const owner = await registry.owner(token, given.power === 'status' ? 'read' : 'write');
    const action = parsePowerAction(given.power);
    const systems = Array.isArray(given.systems) ? given.systems.map((name) => systemOf(name)) : [];
    const power = requirePower(services);
    return tasks.start(`Power management (${action})`, async (log) => {
      // A name that is no system is that system's failure, not the others'.
      const results = await Promise.all(
        systems.map((system) =>
          power
            .act(system, action, owner.user)
            .catch((error: Error) => ({ system, ok: false, message: error.message })),
        ),
      );
      for (const result of results)
        log(`${result.system}: ${result.ok ? 'done' : 'FAILED'}: ${result.message}`);
      const failed = results.filter((result) => !result.ok).length;
      if (failed > 0)
        throw new BootwrightError('E_UNAVAILABLE', `${failed} of ${results.length} systems failed.`);
    }).id;
  });
  open('get_task_status', async ([id]) => {
    const status = tasks.status(text(id, 'Event id'));
    if (!status) throw notFound(`No event with the id ${quote(id)}; get_events lists the known ones.`);
    return toWire(status.map((item, index) => (index === 0 ? new XmlRpcDouble(item as number) : item)));
  });
  open('get_events', async ([forUser]) => {
    const events = tasks.unread(typeof forUser === 'string' ? forUser : '');
    return Object.fromEntries(
      Object.entries(events).map(([id, [started, ...rest]]) => [
        id,
        toWire([new XmlRpcDouble(started), ...rest]),
      ]),
    );
  });
  open('get_event_log', async ([id]) => tasks.log(text(id, 'Event id')));

  // ---- generated files. Open as in Cobbler; with autoinstall_secrets on, the URL's ?secret= must match.
  const guard = (
    target: AutoinstallTarget,
    urlSecret: string | undefined,
    transport: Parameters<typeof requireAutoinstallSecret>[4],
  ) => requireAutoinstallSecret(services, target, urlSecret, undefined, transport);

  const generateAutoinstall = async (
    target: AutoinstallTarget | undefined,
    urlSecret: string | undefined,
    transport: Parameters<typeof requireAutoinstallSecret>[4],
  ): Promise<string> => {
    if (!target) return '# no profile or system given\n';
    await guard(target, urlSecret, transport);
    if (!(await inventory.find(target.kind, target.name)))
      return `# ${target.kind} not found: ${target.name}\n`;
    try {
      return (await renderer.autoinstall(target)).text;
    } catch (thrown) {
      return `${renderFailedHeader}# ${asBootwrightError(thrown).message.replaceAll('\n', '\n# ')}\n`;
    }
  };
  open('generate_autoinstall', async ([profile, system], _source, urlSecret, transport) =>
    generateAutoinstall(renderTarget(optionalText(system), optionalText(profile)), urlSecret, transport),
  );
  open('generate_profile_autoinstall', async ([profile], _source, urlSecret, transport) =>
    generateAutoinstall(renderTarget(undefined, optionalText(profile)), urlSecret, transport),
  );
  open('generate_system_autoinstall', async ([system], _source, urlSecret, transport) =>
    generateAutoinstall(renderTarget(optionalText(system), undefined), urlSecret, transport),
  );
  open('generate_ipxe', async ([profile, image, system], _source, urlSecret, transport) => {
    const ipxe = loaderNamed('ipxe');
    if (!ipxe) throw new BootwrightError('E_INTERNAL', 'Internal error: the iPXE loader is not registered.');
    if (
      optionalText(image) !== undefined &&
      optionalText(system) === undefined &&
      optionalText(profile) === undefined
    )
      throw invalid('generate_ipxe for an image is not supported; give a profile or a system.');
    const target = renderTarget(optionalText(system), optionalText(profile));
    if (!target) throw invalid('generate_ipxe needs a profile or a system name.');
    await guard(target, urlSecret, transport);
    if (target.kind === 'system')
      return services.boot.systemConfig(ipxe, await inventory.get('system', target.name));
    return services.boot.profileConfig(ipxe, target.name);
  });
  open('generate_script', async ([profile, system, name], _source, urlSecret, transport) => {
    // Profile wins when both are given, as in Cobbler.
    const target = renderTarget(
      optionalText(profile) ? undefined : optionalText(system),
      optionalText(profile),
    );
    if (!target) throw invalid('generate_script needs a profile or a system name.');
    await guard(target, urlSecret, transport);
    return (await renderer.script(target, checkRelativeName(text(name, 'Script name'), 'Script'))).text;
  });

  const byName = async (kind: 'profile' | 'system', name: XmlRpcValue | undefined) => {
    const object = await inventory.find(kind, text(name, 'Name'));
    return object && { kind, name: object.name };
  };
  for (const kind of ['profile', 'system'] as const) {
    open(`get_repo_config_for_${kind}`, async ([name]) => {
      const target = await byName(kind, name);
      return target ? repoConfigFor(renderer, target) : `# object not found: ${String(name)}`;
    });
    open(`get_template_file_for_${kind}`, async ([name, path], _source, urlSecret, transport) => {
      const target = await byName(kind, name);
      if (!target) return `# object not found: ${String(name)}`;
      await guard(target, urlSecret, transport);
      return (await renderer.templateFile(target, text(path, 'Path'))).text;
    });
  }

  // ---- the template library: reads are for logged-in users, as in Cobbler (check_access), writes too.
  const library = renderer.library;
  for (const [kind, folder] of [
    ['template', 'templates'],
    ['snippet', 'snippets'],
  ] as const) {
    const label = kind === 'template' ? 'Template' : 'Snippet';
    open(`get_autoinstall_${folder}`, async () => library.list(folder).map((entry) => entry.name));
    withToken(`read_autoinstall_${kind}`, async ([path, token]) => {
      await registry.owner(token, 'read');
      const name = checkRelativeName(text(path, `${label} path`), label);
      if (kind === 'template') return library.template(name).text;
      const snippet = library.snippet(name, {});
      if (!snippet)
        throw notFound(`Snippet ${quote(name)} not found (${library.describeSnippetSearch(name, {})}).`);
      return snippet.text;
    });
    withToken(`write_autoinstall_${kind}`, async ([path, data, token]) => {
      await registry.owner(token);
      const file = join(library.userDir, folder, checkRelativeName(text(path, `${label} path`), label));
      mkdirSync(dirname(file), { recursive: true });
      // Beside the target, then renamed: a server reading it never sees half a template.
      const temporary = `${file}.tmp-${process.pid}`;
      writeFileSync(temporary, text(data, `${label} text`));
      renameSync(temporary, file);
      return true;
    });
    withToken(`remove_autoinstall_${kind}`, async ([path, token]) => {
      await registry.owner(token);
      const name = checkRelativeName(text(path, `${label} path`), label);
      try {
        rmSync(join(library.userDir, folder, name));
      } catch {
        throw notFound(`There is no ${kind} ${quote(name)} of your own to remove (built-in ones stay).`);
      }
      return true;
    });
  }
  // In use through inheritance too: Cobbler compares each object's resolved autoinstall.
  open('is_autoinstall_in_use', async ([name]) => {
    const wanted = text(name, 'Autoinstall template');
    for (const kind of ['profile', 'system'] as const) {
      for (const object of await inventory.list(kind)) {
        const own = object.fields.autoinstall;
        if (own === wanted) return true;
        if (own === INHERIT && (await inventory.blended(kind, object.name)).autoinstall === wanted)
          return true;
      }
    }
    return false;
  });

  // ---- settings, signatures and the values Cobbler's web UI offers.
  open('get_settings', async () => toWire(cobblerSettingsView(await inventory.settings())));
  open('get_signatures', async () => {
    const table = await loadSignatures(services.dataDir && userSignaturesFile(services.dataDir));
    const byBreed: Record<string, Record<string, unknown>> = {};
    for (const signature of table.signatures) {
      const versions = byBreed[signature.breed] ?? {};
      byBreed[signature.breed] = versions;
      versions[signature.osVersion] = {
        signatures: signature.requires,
        kernel_file: signature.boot.map((candidate) => candidate.kernel),
        initrd_file: signature.boot.map((candidate) => candidate.initrd),
        supported_arches: [...new Set(signature.boot.flatMap((candidate) => candidate.arch ?? []))],
        signature_name: signature.name,
        installer: signature.installer ?? '',
      };
    }
    return toWire({ breeds: byBreed });
  });
  open('get_valid_breeds', async () => [...breeds].sort());
  // bootwright takes any os_version (templates choose by it); the valid ones are those its distros carry.
  const osVersions = async (breed?: string) => {
    const distros = await inventory.list('distro');
    return [
      ...new Set(
        distros
          .filter((distro) => breed === undefined || distro.fields.breed === breed)
          .map((distro) => String(distro.fields.os_version ?? ''))
          .filter((version) => version !== ''),
      ),
    ].sort();
  };
  open('get_valid_os_versions', async () => osVersions());
  open('get_valid_os_versions_for_breed', async ([breed]) => osVersions(text(breed, 'Breed')));
  open('get_valid_archs', async () => [...archs].sort());
  const validBootLoaders = async (kind: ObjectKind, name: XmlRpcValue | undefined) => {
    const wanted = optionalText(name);
    if (wanted === undefined) return ['grub', 'ipxe', 'pxe'];
    const object = await inventory.find(kind, wanted);
    if (!object) return `# object not found: ${wanted}`;
    const view = await inventory.blended(kind, object.name);
    return toWire(view.boot_loaders ?? ['grub', 'ipxe', 'pxe']);
  };
  for (const kind of ['distro', 'profile', 'system', 'image']) {
    if (!isObjectKind(kind)) continue;
    open(`get_valid_${kind}_boot_loaders`, async ([name]) => validBootLoaders(kind, name));
  }

  // ---- check and status (Cobbler asks for a token: both read the whole server).
  withToken('check', async ([token]) => {
    await registry.owner(token, 'read');
    const loaders = services.dataDir ? dataPaths(services.dataDir).loaders : '';
    return (await checkBootServer(inventory, loaders, undefined, services.mirrors)).map(
      (finding) => `${finding.problem} Fix: ${finding.fix}`,
    );
  });
  withToken('get_status', async ([mode, token]) => {
    await registry.owner(token, 'read');
    // Events are written in batches: the last reports must be in the store before it is read.
    await services.events?.flush();
    const events = services.events ? await services.events.query({ type: 'install.', limit: 100_000 }) : [];
    if (mode === 'text') return formatStatusTable(installStatus(events, Date.now(), stallMinutes));
    return cobblerStatus(events, Date.now());
  });

  // ---- koan --update-config and cobbler-register.
  open('get_config_data', async ([hostname]) => {
    const wanted = text(hostname, 'Host name');
    const system = (await inventory.list('system')).find((object) => object.fields.hostname === wanted);
    if (!system) throw notFound(`No system has the host name ${quote(wanted)}.`);
    const view = await inventory.blended('system', system.name);
    const config = {
      files: {},
      packages: {},
      repo_data: await repoConfigFor(renderer, { kind: 'system', name: system.name }),
      repos_enabled: view.repos_enabled === true,
    };
    // Packages and files come from mgmtclass objects; a class that is only a puppet class name carries none.
    const mgmtclassKind: string = 'mgmtclass';
    for (const className of (view.mgmt_classes as string[] | undefined) ?? []) {
      if (!isObjectKind(mgmtclassKind)) break;
      const mgmtclass = await inventory.find(mgmtclassKind, className);
      const carries = (field: string) =>
        ((mgmtclass?.fields[field] as unknown[] | undefined) ?? []).length > 0;
      if (carries('packages') || carries('files'))
        throw invalid(
          `System ${quote(system.name)}: management class ${quote(className)} has packages or files, which get_config_data does not carry yet.`,
        );
    }
    // Cobbler answers with JSON text (sorted keys, indent 4), which koan parses.
    return JSON.stringify(config, null, 4);
  });
  open('register_new_system', async ([info]) => registerNewSystem(services, info));

  // ---- changes since a time, for replication and caches.
  open('last_modified_time', async () => {
    let latest = 0;
    for (const kind of objectKinds) {
      for (const object of await inventory.list(kind)) latest = Math.max(latest, object.mtime);
    }
    return new XmlRpcDouble(latest);
  });
  for (const kind of objectKinds) {
    open(`get_${pluralOf(kind)}_since`, async ([mtime]) => {
      const since = Number(mtime instanceof XmlRpcDouble ? mtime.value : mtime);
      if (!Number.isFinite(since)) throw invalid(`The time ${quote(mtime)} must be seconds since the epoch.`);
      const changed = (await inventory.list(kind)).filter((object) => object.mtime > since);
      return toWire(changed.map(cobblerItem));
    });
  }

  // ---- values through inheritance, by uid as Cobbler asks for them.
  const byUid = async (uid: XmlRpcValue | undefined): Promise<InventoryObject> => {
    const wanted = text(uid, 'Item uid');
    for (const kind of objectKinds) {
      const found = (await inventory.list(kind)).find((object) => object.uid === wanted);
      if (found) return found;
    }
    throw notFound(`Item with uid ${quote(wanted)} does not exist.`);
  };
  open('get_item_resolved_value', async ([uid, attribute]) => {
    const object = await byUid(uid);
    const name = text(attribute, 'Attribute');
    const view = await inventory.blended(object.kind, object.name);
    const value = name === 'interfaces' ? view.interfaces : view[name];
    if (value === undefined || value === null)
      throw invalid(`A ${object.kind} has no attribute ${quote(name)} with a value; dump_vars lists them.`);
    // A bare value escapes the redaction of structs in replies, so secrets are kept back here.
    if (secretFields.has(name) && value !== '') return REDACTED;
    return toWire(value);
  });
  // Cobbler's dump_vars is its blender's output for the object: get_blended_data's view, found by uid.
  open('dump_vars', async ([uid, formatted, removeDicts]) => {
    const object = await byUid(uid);
    const view = redactSecrets(await inventory.blended(object.kind, object.name));
    const flat: Record<string, unknown> = {};
    for (const key of Object.keys(view).sort()) {
      const value = view[key];
      const dictionary = value !== null && typeof value === 'object' && !Array.isArray(value);
      flat[key] =
        (removeDicts === undefined || truthy(removeDicts)) && dictionary && key !== 'interfaces'
          ? kvToString(value as Parameters<typeof kvToString>[0])
          : value;
    }
    if (!truthy(formatted)) return toWire(flat);
    const width = Math.max(0, ...Object.keys(flat).map((key) => key.length));
    return Object.entries(flat)
      .map(
        ([key, value]) =>
          `${key.padEnd(width)} : ${typeof value === 'string' ? value : JSON.stringify(value)}\n`,
      )
      .join('');
  });
}

/** cobbler-register: a machine adds itself, when register_new_installs allows, if nothing it names is taken. */
async function registerNewSystem(services: ApiServices, info: XmlRpcValue | undefined): Promise<number> {
  const { inventory } = services;
  if ((await inventory.settings()).register_new_installs !== true)
    throw new BootwrightError(
      'E_FORBIDDEN',
      'Registration is off; turn it on with "bootwright setting edit --name=register_new_installs --value=true".',
    );
  if (
    info === null ||
    typeof info !== 'object' ||
    Array.isArray(info) ||
    info instanceof Date ||
    Buffer.isBuffer(info)
  )
    throw invalid('register_new_system takes a struct with name, profile, hostname and interfaces.');
  const record = info as Record<string, XmlRpcValue>;
  const name = typeof record.name === 'string' ? record.name : '';
  const profile = typeof record.profile === 'string' ? record.profile : '';
  const hostname = typeof record.hostname === 'string' ? record.hostname : '';
  const given = (record.interfaces ?? {}) as Record<string, Record<string, XmlRpcValue>>;
  const names = Object.keys(given);
  if (name === '') throw invalid('register_new_system: no system name submitted.');
  if (profile === '') throw invalid('register_new_system: no profile submitted.');
  if (names.length === 0) throw invalid('register_new_system: no interfaces submitted.');
  if (names.length >= 64) throw invalid('register_new_system: too many interfaces submitted (64 or more).');
  if (await inventory.find('system', name))
    throw new BootwrightError('E_DUPLICATE_NAME', `A system named ${quote(name)} already exists.`);
  const interfaces: Record<string, Record<string, unknown>> = {};
  for (const ifname of names) {
    const nic = given[ifname] ?? {};
    const mac = String(nic.mac_address ?? '');
    const ip = String(nic.ip_address ?? '');
    const netmask = String(nic.netmask ?? '');
    if (ip.includes('/'))
      throw invalid(
        `register_new_system: interface ${quote(ifname)} has a CIDR address ${quote(ip)}; send the address alone.`,
      );
    if (mac === '') throw invalid(`register_new_system: interface ${quote(ifname)} has no MAC address.`);
    // koan marks bridges with bridge=1 and what it could not read with "?": neither becomes an interface.
    if (nic.bridge === 1 || mac === '?') continue;
    const nicFields: Record<string, unknown> = { mac_address: mac };
    if (hostname !== '') nicFields.dns_name = hostname;
    if (ip !== '' && ip !== '?') nicFields.ip_address = ip;
    if (netmask !== '' && netmask !== '?') nicFields.netmask = netmask;
    interfaces[ifname] = nicFields;
  }
  const fields: Record<string, unknown> = { name, profile, netboot_enabled: false, interfaces };
  if (hostname !== '') fields.hostname = hostname;
  await inventory.add('system', fields);
  return 0;
}
