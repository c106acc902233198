// Cobbler's XML-RPC API at /cobbler_api, as koan, Cobbler's own CLI, Ansible and users' Python scripts call it
// (shared/reference/cobbler-koan.md §3, koan-wire.md; the method list of Cobbler 3.3's remote.py is kept in
// test/support/cobbler-3.3-remote-methods.json). Reads need no token; writes need one from `login`. This file holds
// the per-kind methods, generic over every kind in objectKinds; cobbler-service-methods.ts the rest.
// A missing object is "~" for get_*, as Cobbler's xmlrpc_hacks makes of None, and `{}` for the rendered views,
// which koan reports as "No entry/entries found".

import { randomBytes } from 'node:crypto';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { type RequestTransport, refuseCredentialsInClear } from '../auth/require-tls.js';
import type { TokenOwner } from '../auth/tokens.js';
import { asBootwrightError, BootwrightError, invalid, notFound, quote } from '../errors.js';
import { findInterfaceField } from '../inventory/field-changes.js';
import type { Changes, EditOptions } from '../inventory/inventory.js';
import { fieldsByKind, findField, legacyInterfaceFieldNames } from '../model/fields.js';
import type { InventoryObject, ObjectKind } from '../model/kinds.js';
import { objectKinds, pluralOf } from '../model/kinds.js';
import { parseBool } from '../model/values.js';
import { installLogsDir, listInstallLogs } from '../triggers/install-logs.js';
import {
  parseMethodCall,
  serializeFault,
  serializeMethodResponse,
  XmlRpcDouble,
  type XmlRpcValue,
} from '../xmlrpc/codec.js';
import { requireAutoinstallSecret } from './autoinstall-access.js';
import { registerServiceMethods } from './cobbler-service-methods.js';
import {
  cobblerItem,
  flattenItem,
  kindFrom,
  type Method,
  type MethodRegistry,
  optionalText,
  structOf,
  text,
  toWire,
  truthy,
} from './cobbler-wire.js';
import { parseInstallMode, receiveInstallLog, reportInstallStep } from './install-report.js';
import { redactSecrets } from './secrets.js';
import type { ApiServices } from './services.js';

/**
 * The Cobbler release bootwright answers as: `version()` gives it as Cobbler computes it from the tuple
 * (major + minor/10 + patch/1000), which koan and scripts compare as a float, and `extended_version()` the tuple.
 */
const cobblerVersionTuple = [3, 3, 0] as const;
const pendingHandleLimit = 10_000;
const NEW_HANDLE_PREFIX = '___NEW___';
/** Reads that take a password or a token; with the writes, what api_require_tls refuses over plain HTTP. */
const credentialReads = /^(?:login|token_check|get_user_from_token|get_\w+_handle)$/;

interface PendingEdit {
  kind: ObjectKind;
  /** Undefined for objects made by new_* until modify_*(handle, "name", ...) names them. */
  name: string | undefined;
  /** True until the first save of an object made by new_*. */
  isNew: boolean;
  changes: Changes;
  options: EditOptions;
  interfaceChanges: Record<string, Record<string, unknown> | null>;
  renames: { from: string; to: string }[];
}

/** The interface field a `modify_interface` key names: Cobbler 3.3 drops the underscores (`dhcp_tag` → dhcptag). */
function interfaceFieldOf(key: string): string | undefined {
  const plain = key.replaceAll('_', '').replaceAll('-', '');
  return findInterfaceField(legacyInterfaceFieldNames[plain] ?? key)?.name;
}

function struct(value: XmlRpcValue | undefined, what: string): Record<string, XmlRpcValue> {
  if (value === undefined || value === '~') return {};
  const record = structOf(value);
  if (!record) throw invalid(`${what} must be a struct of field name to value.`);
  return record;
}

/** Cobbler's sort: by the given field then the name, "!field" reversed. */
function sortObjects(objects: InventoryObject[], sortField: string | undefined): InventoryObject[] {
  const reverse = sortField?.startsWith('!') ?? false;
  const field = reverse ? sortField?.slice(1) : sortField;
  const keyOf = (object: InventoryObject) => [
    field ? String(field === 'name' ? object.name : (object.fields[field] ?? '')) : '',
    object.name,
  ];
  const sorted = [...objects].sort((a, b) => {
    const [a1, a2] = keyOf(a);
    const [b1, b2] = keyOf(b);
    return (a1 as string).localeCompare(b1 as string) || (a2 as string).localeCompare(b2 as string);
  });
  return reverse ? sorted.reverse() : sorted;
}

/** Cobbler's paging of find_items_paged: out-of-range numbers fall back to page 1 of 25, as its __paginate does. */
function paginate<T>(items: T[], pageValue: XmlRpcValue | undefined, perPageValue: XmlRpcValue | undefined) {
  const asInt = (value: XmlRpcValue | undefined, fallback: number) => {
    const number = Number.parseInt(String(value), 10);
    return Number.isFinite(number) && number > 0 ? number : fallback;
  };
  let page = asInt(pageValue, 1);
  const perPage = asInt(perPageValue, 25);
  const count = items.length;
  const pages = Math.max(1, Math.floor((count - 1) / perPage) + 1);
  if (page > pages) page = pages;
  const start = perPage * (page - 1);
  const end = Math.min(start + perPage, count);
  return {
    items: items.slice(start, end),
    pageinfo: {
      page,
      prev_page: page > 1 ? page - 1 : null,
      next_page: page < pages ? page + 1 : null,
      pages: Array.from({ length: pages }, (_, index) => index + 1),
      num_pages: pages,
      num_items: count,
      start_item: start,
      end_item: end,
      items_per_page: perPage,
      items_per_page_list: [10, 20, 50, 100, 200, 500],
    },
  };
}

export class CobblerXmlRpc {
  private readonly methods = new Map<string, Method>();
  private readonly pending = new Map<string, PendingEdit>();
  private readonly credentialMethods = new Set<string>();
  /** The methods open to all, as in Cobbler, which take no credentials: each one the security sweep calls. */
  readonly openReads: ReadonlySet<string>;

  constructor(private readonly services: ApiServices) {
    const registry: MethodRegistry = {
      open: (name, method) => this.methods.set(name, method),
      withToken: (name, method) => {
        this.methods.set(name, method);
        this.credentialMethods.add(name);
      },
      owner: (token, access) => this.owner(token, access),
    };
    this.registerSession(registry);
    this.registerObjectReads(registry);
    this.registerObjectWrites(registry);
    this.registerInstallerCalls(registry);
    registerServiceMethods(registry, services);
    for (const name of this.methods.keys()) if (credentialReads.test(name)) this.credentialMethods.add(name);
    this.openReads = new Set([...this.methods.keys()].filter((name) => !this.credentialMethods.has(name)));
  }

  /** Every method this server answers, as `system.listMethods` gives them. */
  get methodNames(): string[] {
    return [...this.methods.keys()].sort();
  }

  /** Handles one POST body and returns the XML response; failures become XML-RPC faults, never HTTP errors. */
  async handle(
    body: Buffer,
    source?: string,
    transport?: RequestTransport,
    urlSecret?: string,
  ): Promise<string> {
    try {
      const call = parseMethodCall(body);
      const method = this.methods.get(call.methodName);
      if (!method) {
        throw new BootwrightError(
          'E_NOT_FOUND',
          `Unknown XML-RPC method ${quote(call.methodName)}; system.listMethods lists the ones bootwright answers.`,
        );
      }
      if (this.credentialMethods.has(call.methodName))
        refuseCredentialsInClear(this.services.requireTls, transport ?? { encrypted: false });
      // XML-RPC reads carry no token, as in Cobbler: their secrets are never sent (secrets.ts).
      return serializeMethodResponse(
        redactSecrets(await method(call.params, source, urlSecret, transport ?? { encrypted: false })),
      );
    } catch (thrown) {
      const error = asBootwrightError(thrown);
      return serializeFault(error.faultCode, error.message);
    }
  }

  private owner(token: XmlRpcValue | undefined, access: 'read' | 'write' = 'write'): Promise<TokenOwner> {
    return this.services.auth.requireToken(typeof token === 'string' ? token : undefined, access);
  }

  private registerSession({ open, withToken }: MethodRegistry): void {
    open('ping', async () => true);
    open('system.listMethods', async () => this.methodNames);
    const [major, minor, patch] = cobblerVersionTuple;
    open('version', async () => new XmlRpcDouble(Number((major + minor / 10 + patch / 1000).toFixed(3))));
    open('extended_version', async () => ({
      version: cobblerVersionTuple.join('.'),
      version_tuple: [...cobblerVersionTuple],
      gitstamp: '',
      gitdate: '',
      builddate: '',
      bootwright_version: this.services.version,
    }));
    open('get_random_mac', async ([virtType]) =>
      this.services.inventory.randomMac(typeof virtType === 'string' ? virtType : undefined),
    );
    open('xmlrpc_hacks', async ([data]) => toWire(data));

    open('login', async ([user, password], source) =>
      this.services.auth.login(text(user ?? '', 'User'), text(password ?? '', 'Password'), source),
    );
    open('logout', async ([token]) => this.services.auth.logout(text(token, 'Token')));
    open('token_check', async ([token]) => {
      await this.owner(token, 'read');
      return true;
    });
    open('get_user_from_token', async ([token]) => (await this.owner(token, 'read')).user);
    // Cobbler answers 1 when the token's user may use the resource; bootwright's roles: writers may change
    // anything, readers read.
    const mayUse = async (token: XmlRpcValue | undefined, resource: XmlRpcValue | undefined) => {
      const wanted = typeof resource === 'string' ? resource : '';
      const readOnly = /^(?:get_|read_|find_|check$)/.test(wanted);
      await this.owner(token, readOnly ? 'read' : 'write');
      return 1;
    };
    withToken('check_access', async ([token, resource]) => mayUse(token, resource));
    withToken('check_access_no_fail', async ([token, resource]) => {
      try {
        return await mayUse(token, resource);
      } catch {
        return 0;
      }
    });
  }

  private registerObjectReads({ open, withToken }: MethodRegistry): void {
    const { inventory } = this.services;

    const getItem = async (
      kind: ObjectKind,
      name: XmlRpcValue | undefined,
      flatten: XmlRpcValue | undefined,
      resolved: XmlRpcValue | undefined,
    ): Promise<XmlRpcValue> => {
      const object = await inventory.find(kind, text(name, 'Name'));
      if (!object) return '~';
      let item = cobblerItem(object);
      if (truthy(resolved)) {
        const view = await inventory.blended(kind, object.name);
        item = Object.fromEntries(
          Object.entries(item).map(([key, value]) => [
            key,
            key in view && key !== 'interfaces' ? view[key] : value,
          ]),
        );
      }
      return toWire(truthy(flatten) ? flattenItem(item) : item);
    };
    const find = async (
      kind: ObjectKind,
      criteria: XmlRpcValue | undefined,
      sortField: XmlRpcValue | undefined,
      expand: boolean,
    ): Promise<XmlRpcValue> => {
      const found = sortObjects(
        await inventory.list(kind, { criteria: this.criteria(criteria) }),
        optionalText(sortField),
      );
      return expand ? toWire(found.map(cobblerItem)) : found.map((object) => object.name);
    };

    for (const kind of objectKinds) {
      open(`get_${kind}`, async ([name, flatten, resolved]) => getItem(kind, name, flatten, resolved));
      open(`get_${pluralOf(kind)}`, async () => toWire((await inventory.list(kind)).map(cobblerItem)));
      // Cobbler tests `if expand:`, so any true value expands: Ansible passes its token there.
      open(`find_${kind}`, async ([criteria, expand]) => find(kind, criteria, undefined, truthy(expand)));
      open(`has_${kind}`, async ([name]) => (await inventory.find(kind, text(name, 'Name'))) !== undefined);
      const rendered: Method = async ([name]) => {
        const object = await inventory.find(kind, text(name, 'Name'));
        return object ? toWire(await inventory.rendered(kind, object.name)) : {};
      };
      open(`get_${kind}_as_rendered`, rendered);
      open(`get_${kind}_for_koan`, rendered);
      withToken(`get_${kind}_handle`, async ([name, token]) => {
        await this.owner(token);
        return this.handleOf(kind, text(name, 'Name'));
      });
    }
    open('get_item', async ([what, name, flatten, resolved]) =>
      getItem(kindFrom(what), name, flatten, resolved),
    );
    open('get_items', async ([what]) => toWire((await inventory.list(kindFrom(what))).map(cobblerItem)));
    open('get_item_names', async ([what]) => (await inventory.list(kindFrom(what))).map((o) => o.name));
    open('find_items', async ([what, criteria, sortField, expand]) =>
      find(kindFrom(what), criteria, sortField, expand === undefined || truthy(expand)),
    );
    open('find_items_paged', async ([what, criteria, sortField, page, perPage]) => {
      const kind = kindFrom(what);
      const found = sortObjects(
        await inventory.list(kind, { criteria: this.criteria(criteria) }),
        optionalText(sortField),
      );
      const { items, pageinfo } = paginate(found, page, perPage);
      return toWire({ items: items.map(cobblerItem), pageinfo });
    });
    open(
      'has_item',
      async ([what, name]) => (await inventory.find(kindFrom(what), text(name, 'Name'))) !== undefined,
    );
    withToken('get_item_handle', async ([what, name, token]) => {
      await this.owner(token);
      return this.handleOf(kindFrom(what), text(name, 'Name'));
    });
    open('find_system_by_dns_name', async ([dnsName]) => {
      const refs = await inventory.systemsWithKey('dns_name', text(dnsName, 'DNS name'));
      const first = refs[0];
      return first ? toWire(await inventory.rendered('system', first.name)) : {};
    });
    open('get_blended_data', async ([profile, system]) => {
      const systemName = optionalText(system);
      const profileName = optionalText(profile);
      if (profileName) return toWire(await inventory.blended('profile', profileName));
      if (systemName) return toWire(await inventory.blended('system', systemName));
      throw invalid('get_blended_data needs a profile or a system name.');
    });
    open('get_repos_compatible_with_profile', async ([profile]) => {
      const name = optionalText(profile);
      if (!name || !(await inventory.find('profile', name))) return [];
      const distroArch = String((await inventory.blended('profile', name)).arch ?? '');
      // Cobbler's rule: noarch, src and unset repos suit every profile; i386-like ones suit i386 distros.
      const x86 = ['i386', 'x86', 'i686'];
      const suits = (arch: string) =>
        arch === '' ||
        arch === 'noarch' ||
        arch === 'src' ||
        (x86.includes(arch) ? x86.includes(distroArch) : arch === distroArch);
      const repos = await inventory.list('repo');
      return toWire(repos.filter((repo) => suits(String(repo.fields.arch ?? ''))).map(cobblerItem));
    });
  }

  private registerObjectWrites({ withToken }: MethodRegistry): void {
    const { inventory } = this.services;
    const newItem = async (kind: ObjectKind, token: XmlRpcValue | undefined) => {
      await this.owner(token);
      return this.openHandle(kind, undefined);
    };
    const modifyItem = async (
      kind: ObjectKind,
      [handle, field, value, token]: XmlRpcValue[],
    ): Promise<boolean> => {
      await this.owner(token);
      return this.modify(await this.pendingFor(handle, kind), text(field, 'Field'), value);
    };
    const saveItem = async (kind: ObjectKind, [handle, token]: XmlRpcValue[]) => {
      await this.owner(token);
      await this.save(await this.pendingFor(handle, kind));
      return true;
    };
    const removeItem = async (kind: ObjectKind, [name, token, recursive]: XmlRpcValue[]) => {
      await this.owner(token);
      await inventory.remove(kind, text(name, 'Name'), {
        recursive: recursive === undefined ? true : parseBool(recursive),
      });
      return true;
    };
    const copyItem = async (kind: ObjectKind, [handle, newName, token]: XmlRpcValue[]) => {
      await this.owner(token);
      const edit = await this.pendingFor(handle, kind);
      await inventory.copy(kind, this.savedName(edit), text(newName, 'New name'));
      return true;
    };
    const renameItem = async (kind: ObjectKind, [handle, newName, token]: XmlRpcValue[]) => {
      await this.owner(token);
      const edit = await this.pendingFor(handle, kind);
      await inventory.rename(kind, this.savedName(edit), text(newName, 'New name'));
      // The old name's handle names nothing now, as in Cobbler.
      this.pending.delete(text(handle, 'Handle'));
      return true;
    };

    for (const kind of objectKinds) {
      withToken(`new_${kind}`, async ([token]) => newItem(kind, token));
      withToken(`modify_${kind}`, async (params) => modifyItem(kind, params));
      withToken(`save_${kind}`, async (params) => saveItem(kind, params));
      withToken(`remove_${kind}`, async (params) => removeItem(kind, params));
      withToken(`copy_${kind}`, async (params) => copyItem(kind, params));
      withToken(`rename_${kind}`, async (params) => renameItem(kind, params));
    }
    withToken('new_subprofile', async ([token]) => newItem('profile', token));
    withToken('new_item', async ([what, token]) => newItem(kindFrom(what), token));
    withToken('modify_item', async ([what, ...params]) => modifyItem(kindFrom(what), params));
    withToken('save_item', async ([what, ...params]) => saveItem(kindFrom(what), params));
    withToken('remove_item', async ([what, ...params]) => removeItem(kindFrom(what), params));
    withToken('copy_item', async ([what, ...params]) => copyItem(kindFrom(what), params));
    withToken('rename_item', async ([what, ...params]) => renameItem(kindFrom(what), params));
    withToken('xapi_object_edit', async ([what, name, editType, attrs, token]) => {
      await this.owner(token);
      return this.objectEdit(
        kindFrom(what),
        text(name, 'Name'),
        text(editType, 'Edit type'),
        struct(attrs, 'Attributes'),
      );
    });
    // Cobbler truncates the system's anamon logs, keeping the files; here they are its uploaded install logs.
    withToken('clear_system_logs', async ([handle, token]) => {
      await this.owner(token);
      const name = this.savedName(await this.pendingFor(handle, 'system'));
      const dataDir = this.services.dataDir;
      if (!dataDir) return true;
      for (const log of await listInstallLogs(dataDir, name))
        await truncate(join(installLogsDir(dataDir, name), log.name));
      return true;
    });
    withToken('modify_setting', async ([name, value, token]) => {
      await this.owner(token);
      await inventory.setSetting(text(name, 'Setting'), value);
      return 0;
    });
  }

  /** What installers call while they run: anamon's log upload, trigger reports, and turning netboot off. */
  private registerInstallerCalls({ open }: MethodRegistry): void {
    const { inventory } = this.services;
    // Cobbler's anamon: a chunk of an installer's log, base64-encoded, with no token. Offset -1 appends; a size
    // that is not the chunk's, upload turned off or an unknown system answer false, as in Cobbler.
    // With autoinstall_secrets on, the system's secret, as for the REST upload: else any machine could fill
    // another's logs with lies. A stock anamon sends five arguments, so the secret can come in the URL it is given
    // (`/cobbler_api?secret=HEX`), or in a sixth, Cobbler's token slot, which also takes a login token. A refusal
    // is a fault, not false, so that the sender's log says why.
    open(
      'upload_log_data',
      async ([name, file, size, offset, data, secretOrToken], _source, urlSecret, transport) => {
        const inCall = typeof secretOrToken === 'string' && secretOrToken !== '' ? secretOrToken : undefined;
        await requireAutoinstallSecret(
          this.services,
          { kind: 'system', name: text(name, 'System') },
          urlSecret ?? inCall,
          inCall,
          transport,
        );
        const chunk = Buffer.isBuffer(data) ? data : Buffer.from(text(data, 'Data'), 'base64');
        const at = Number(offset ?? -1);
        if (!Number.isSafeInteger(at) || at < -1) throw invalid(`Offset ${quote(offset)} is not valid.`);
        if (at !== -1 && size !== undefined && Number(size) !== chunk.length) return false;
        try {
          const fileName = text(file, 'File').replaceAll('/', '+');
          await receiveInstallLog(
            this.services,
            text(name, 'System'),
            fileName,
            chunk,
            at === -1 ? undefined : at,
          );
        } catch (thrown) {
          const error = asBootwrightError(thrown);
          if (error.code === 'E_FORBIDDEN' || error.code === 'E_NOT_FOUND') return false;
          throw error;
        }
        return true;
      },
    );
    // Cobbler's answer to a mode or type it does not know is false, not a fault; the same secret as `trig` guards it.
    open(
      'run_install_triggers',
      async ([mode, objtype, name, ip, secretOrToken], _source, urlSecret, transport) => {
        if (mode !== 'pre' && mode !== 'post' && mode !== 'firstboot') return false;
        if (objtype !== 'system' && objtype !== 'profile') return false;
        const target = { kind: objtype, name: text(name, 'Name') } as const;
        const inCall = typeof secretOrToken === 'string' && secretOrToken !== '' ? secretOrToken : undefined;
        await requireAutoinstallSecret(this.services, target, urlSecret ?? inCall, inCall, transport);
        await reportInstallStep(this.services, parseInstallMode(mode), target, optionalText(ip));
        return true;
      },
    );
    open('disable_netboot', async ([name, secretOrToken], _source, urlSecret, transport) => {
      const system = text(name, 'System');
      const inCall = typeof secretOrToken === 'string' && secretOrToken !== '' ? secretOrToken : undefined;
      await requireAutoinstallSecret(
        this.services,
        { kind: 'system', name: system },
        urlSecret ?? inCall,
        inCall,
        transport,
      );
      if ((await inventory.settings()).pxe_just_once !== true) return false;
      if (!(await inventory.find('system', system))) return false;
      return inventory.finishNetboot(system);
    });
  }

  private criteria(value: XmlRpcValue | undefined): Record<string, string> {
    if (value === undefined || value === '' || value === '~') return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalid('Search criteria must be a struct of field name to pattern.');
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
  }

  /** Cobbler's one-call edit, which its CLI uses for add/edit/copy/rename/remove. */
  private async objectEdit(kind: ObjectKind, name: string, editType: string, attrs: Record<string, unknown>) {
    const { inventory } = this.services;
    const {
      interface: ifname,
      delete_interface: deleteInterface,
      rename_interface: renameInterface,
      in_place: inPlace,
      recursive,
      newname: newName,
      ...fields
    } = attrs;
    const options: EditOptions = {};
    if (ifname) options.interface = String(ifname);
    if (deleteInterface !== undefined)
      options.deleteInterface = parseBool(deleteInterface, 'delete_interface');
    if (renameInterface) options.renameInterface = String(renameInterface);
    if (inPlace !== undefined) options.inPlace = parseBool(inPlace, 'in_place');
    switch (editType) {
      case 'add':
        await inventory.add(kind, { ...fields, name }, options);
        return true;
      case 'edit':
        await inventory.edit(kind, name, fields, options);
        return true;
      case 'copy':
        await inventory.copy(kind, name, text(newName as XmlRpcValue, 'newname'), fields);
        return true;
      case 'rename':
        await inventory.rename(kind, name, text(newName as XmlRpcValue, 'newname'));
        return true;
      case 'remove':
        await inventory.remove(kind, name, {
          recursive: recursive === undefined ? false : parseBool(recursive),
        });
        return true;
      default:
        throw invalid(`Edit type ${quote(editType)} is not one of add, edit, copy, rename, remove.`);
    }
  }

  private remember(handle: string, edit: PendingEdit): void {
    if (this.pending.size >= pendingHandleLimit && !this.pending.has(handle)) {
      // Clients that open handles and never save must not grow memory without bound; the oldest go first.
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
    this.pending.set(handle, edit);
  }

  private blankEdit(kind: ObjectKind, name: string | undefined, isNew: boolean): PendingEdit {
    return { kind, name, isNew, changes: {}, options: {}, interfaceChanges: {}, renames: [] };
  }

  /** An existing object's handle is Cobbler's `kind::name`, so that it stays good across saves and calls. */
  private async handleOf(kind: ObjectKind, name: string): Promise<string> {
    const object = await this.services.inventory.get(kind, name);
    const handle = `${kind}::${object.name}`;
    if (!this.pending.has(handle)) this.remember(handle, this.blankEdit(kind, object.name, false));
    return handle;
  }

  private openHandle(kind: ObjectKind, name: string | undefined): string {
    const handle = `${NEW_HANDLE_PREFIX}${kind}::${randomBytes(12).toString('hex')}`;
    this.remember(handle, this.blankEdit(kind, name, true));
    return handle;
  }

  private async pendingFor(handle: XmlRpcValue | undefined, kind: ObjectKind): Promise<PendingEdit> {
    const key = text(handle, 'Handle');
    const edit = this.pending.get(key);
    if (edit && edit.kind === kind) return edit;
    // `kind::name` names an object whether or not this server handed the handle out, as in Cobbler.
    const prefix = `${kind}::`;
    if (
      !edit &&
      key.startsWith(prefix) &&
      (await this.services.inventory.find(kind, key.slice(prefix.length)))
    )
      return this.pending.get(await this.handleOf(kind, key.slice(prefix.length))) as PendingEdit;
    throw notFound(
      `Handle ${quote(key)} is unknown or expired; get a new one with new_${kind} or get_${kind}_handle.`,
    );
  }

  private savedName(edit: PendingEdit): string {
    if (edit.isNew || edit.name === undefined)
      throw invalid(`This ${edit.kind} is not saved yet; save_${edit.kind} it first.`);
    return edit.name;
  }

  /**
   * One modify_* call. As in Cobbler 3.3, an attribute the kind does not have answers false and changes nothing,
   * so that the later save_* still saves the rest; so do modify_interface keys that name no interface field.
   */
  private modify(edit: PendingEdit, field: string, value: XmlRpcValue | undefined): boolean {
    if (field === 'name' && (edit.isNew || edit.name === text(value, 'Name'))) {
      edit.name = text(value, 'Name');
      return true;
    }
    if (edit.kind === 'system' && field === 'modify_interface') {
      for (const [key, item] of Object.entries(struct(value, 'modify_interface'))) {
        const dash = key.indexOf('-');
        if (dash === -1) throw invalid(`Interface key ${quote(key)} must look like "macaddress-eth0".`);
        const ifield = interfaceFieldOf(key.slice(0, dash));
        if (ifield === undefined) continue;
        const ifname = key.slice(dash + 1);
        const changes = edit.interfaceChanges[ifname] ?? {};
        changes[ifield] = item;
        edit.interfaceChanges[ifname] = changes;
      }
      return true;
    }
    if (edit.kind === 'system' && field === 'delete_interface') {
      const ifname =
        typeof value === 'string' ? value : text(struct(value, 'delete_interface').interface, 'Interface');
      if (ifname !== '') edit.interfaceChanges[ifname] = null;
      return true;
    }
    if (edit.kind === 'system' && field === 'rename_interface') {
      const attrs = struct(value, 'rename_interface');
      edit.renames.push({ from: String(attrs.interface ?? ''), to: String(attrs.rename_interface ?? '') });
      return true;
    }
    const known =
      (field !== 'name' && findField(fieldsByKind[edit.kind], field) !== undefined) ||
      (edit.kind === 'system' && (field === 'interfaces' || findInterfaceField(field) !== undefined));
    if (!known) return false;
    edit.changes[field] = value;
    return true;
  }

  /** Writes what the handle holds; the handle stays good for more changes, as Cobbler's do. */
  private async save(edit: PendingEdit): Promise<void> {
    const { inventory } = this.services;
    const changes: Changes = { ...edit.changes };
    if (Object.keys(edit.interfaceChanges).length > 0) changes.interfaces = edit.interfaceChanges;
    const name = edit.name;
    if (name === undefined)
      throw invalid(`Set a name with modify_${edit.kind}(handle, "name", ...) before saving.`);
    const renames = edit.renames;
    const clear = () => {
      edit.changes = {};
      edit.interfaceChanges = {};
      edit.renames = [];
    };
    if (edit.isNew) {
      // A new object's handle is its client's alone: after a refusal it keeps its changes for another try.
      await inventory.add(edit.kind, { ...changes, name }, edit.options);
      edit.isNew = false;
    } else {
      // Cleared before writing: a refused change must not stay on a handle that every client of this object
      // shares (`system::vm9`), where it would make each later save fail too; Cobbler refuses it at modify time.
      clear();
      await inventory.edit(edit.kind, name, changes, edit.options);
    }
    clear();
    for (const rename of renames) {
      await inventory.edit(edit.kind, name, {}, { interface: rename.from, renameInterface: rename.to });
    }
  }
}
