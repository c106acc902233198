// Cobbler's XML-RPC API at /cobbler_api, as koan, Cobbler's own CLI and users' Python scripts call it
// (shared/reference/cobbler-koan.md §3, koan-wire.md). Reads need no token; writes need one from `login`.
// Unknown names give `{}` for the rendered views, which koan reports as "No entry/entries found".

import { randomBytes } from 'node:crypto';
import { type RequestTransport, refuseCredentialsInClear } from '../auth/require-tls.js';
import type { TokenOwner } from '../auth/tokens.js';
import { asBootwrightError, BootwrightError, invalid, notFound, quote } from '../errors.js';
import type { Changes, EditOptions } from '../inventory/inventory.js';
import { legacyInterfaceFieldNames } from '../model/fields.js';
import { isObjectKind, type ObjectKind, objectKinds, pluralOf } from '../model/kinds.js';
import { parseBool } from '../model/values.js';
import {
  parseMethodCall,
  serializeFault,
  serializeMethodResponse,
  XmlRpcDouble,
  type XmlRpcValue,
} from '../xmlrpc/codec.js';
import { requireAutoinstallSecret } from './autoinstall-access.js';
import { receiveInstallLog } from './install-report.js';
import { objectToJson } from './object-json.js';
import { redactSecrets } from './secrets.js';
import type { ApiServices } from './services.js';

/** The Cobbler API level bootwright answers as in `version()`; koan and scripts compare it as a float. */
const cobblerApiVersion = 3.3;
const pendingHandleLimit = 10_000;
const NEW_HANDLE_PREFIX = '___NEW___';
/** Reads that take a password or a token; with the writes, what api_require_tls refuses over plain HTTP. */
const credentialReads = /^(?:login|token_check|get_user_from_token|get_\w+_handle)$/;

/** `source` is the caller's address; `urlSecret` the `?secret=` of the URL it called, which installers may carry. */
type Method = (
  params: XmlRpcValue[],
  source: string | undefined,
  urlSecret: string | undefined,
  /** How the call arrived: a token in it must come over TLS when api_require_tls says so. */
  transport: RequestTransport,
) => Promise<XmlRpcValue>;

interface PendingEdit {
  kind: ObjectKind;
  /** Undefined for objects made by new_*; they get their name from modify_*(handle, "name", ...). */
  name: string | undefined;
  changes: Changes;
  options: EditOptions;
  interfaceChanges: Record<string, Record<string, unknown> | null>;
  renames: { from: string; to: string }[];
  createdAt: number;
}

/** Cobbler sends None as "~"; bootwright's dictionaries use null for a bare key (`quiet`), which becomes "~". */
function toWire(value: unknown): XmlRpcValue {
  if (value === null || value === undefined) return '~';
  if (Array.isArray(value)) return value.map(toWire);
  if (value instanceof Date || Buffer.isBuffer(value) || value instanceof XmlRpcDouble)
    return value as XmlRpcValue;
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toWire(item)]));
  }
  return value as XmlRpcValue;
}

function text(value: XmlRpcValue | undefined, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw invalid(`${what} must be a string, received ${quote(JSON.stringify(value))}.`);
}

function kindFrom(what: string): ObjectKind {
  if (!isObjectKind(what))
    throw invalid(`Unknown object type ${quote(what)}; use ${objectKinds.join(', ')}.`);
  return what;
}

/** `macaddress-eth0` → interface eth0, field mac_address (Cobbler's modify_interface keys). */
function splitInterfaceKey(key: string): { ifname: string; field: string } {
  const dash = key.indexOf('-');
  if (dash === -1) throw invalid(`Interface key ${quote(key)} must look like "macaddress-eth0".`);
  const field = key.slice(0, dash);
  return { ifname: key.slice(dash + 1), field: legacyInterfaceFieldNames[field] ?? field };
}

export class CobblerXmlRpc {
  private readonly methods = new Map<string, Method>();
  private readonly pending = new Map<string, PendingEdit>();
  private readonly credentialMethods: Set<string>;
  /** The methods open to all, as in Cobbler, which take no credentials: each one the security sweep calls. */
  readonly openReads: ReadonlySet<string>;

  constructor(private readonly services: ApiServices) {
    this.registerReads();
    const reads = new Set(this.methods.keys());
    this.registerWrites();
    this.credentialMethods = new Set(
      [...this.methods.keys()].filter((name) => !reads.has(name) || credentialReads.test(name)),
    );
    this.openReads = new Set([...reads].filter((name) => !this.credentialMethods.has(name)));
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
        throw new BootwrightError('E_NOT_FOUND', `Unknown XML-RPC method ${quote(call.methodName)}.`);
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

  private registerReads(): void {
    const { inventory } = this.services;
    const on = (name: string, method: Method) => this.methods.set(name, method);

    on('ping', async () => true);
    on('version', async () => new XmlRpcDouble(cobblerApiVersion));
    on('extended_version', async () => ({
      version: `bootwright ${this.services.version}`,
      version_tuple: this.services.version.split('.').map(Number),
      gitstamp: '',
      gitdate: '',
      builddate: '',
    }));
    on('get_settings', async () => toWire(await inventory.settings()));
    on('get_random_mac', async ([virtType]) =>
      inventory.randomMac(typeof virtType === 'string' ? virtType : undefined),
    );

    for (const kind of objectKinds) {
      on(`get_${pluralOf(kind)}`, async () => toWire((await inventory.list(kind)).map(objectToJson)));
      on(`get_${kind}`, async ([name]) => {
        const object = await inventory.find(kind, text(name, 'Name'));
        return object ? toWire(objectToJson(object)) : {};
      });
      on(`find_${kind}`, async ([criteria, expand]) => {
        const found = await inventory.list(kind, { criteria: this.criteria(criteria) });
        return expand === true ? toWire(found.map(objectToJson)) : found.map((object) => object.name);
      });
      on(`has_${kind}`, async ([name]) => (await inventory.find(kind, text(name, 'Name'))) !== undefined);
      const rendered: Method = async ([name]) => {
        const object = await inventory.find(kind, text(name, 'Name'));
        return object ? toWire(await inventory.rendered(kind, object.name)) : {};
      };
      on(`get_${kind}_as_rendered`, rendered);
      on(`get_${kind}_for_koan`, rendered);
      on(`get_${kind}_handle`, async ([name, token]) => {
        await this.owner(token);
        await inventory.get(kind, text(name, 'Name'));
        return this.openHandle(kind, text(name, 'Name'));
      });
    }
    on('get_item', async ([what, name]) => {
      const object = await inventory.find(kindFrom(text(what, 'Type')), text(name, 'Name'));
      return object ? toWire(objectToJson(object)) : {};
    });
    on('get_items', async ([what]) =>
      toWire((await inventory.list(kindFrom(text(what, 'Type')))).map(objectToJson)),
    );
    on('get_item_names', async ([what]) =>
      (await inventory.list(kindFrom(text(what, 'Type')))).map((o) => o.name),
    );
    on('find_items', async ([what, criteria, _sort, expand]) => {
      const found = await inventory.list(kindFrom(text(what, 'Type')), { criteria: this.criteria(criteria) });
      return expand === true ? toWire(found.map(objectToJson)) : found.map((object) => object.name);
    });
    on('find_system_by_dns_name', async ([dnsName]) => {
      const refs = await inventory.systemsWithKey('dns_name', text(dnsName, 'DNS name'));
      const first = refs[0];
      return first ? toWire(await inventory.rendered('system', first.name)) : {};
    });
    on('get_blended_data', async ([profile, system]) => {
      const systemName = typeof system === 'string' ? system : '';
      const profileName = typeof profile === 'string' ? profile : '';
      if (systemName) return toWire(await inventory.blended('system', systemName));
      if (profileName) return toWire(await inventory.blended('profile', profileName));
      throw invalid('get_blended_data needs a profile or a system name.');
    });

    on('login', async ([user, password], source) =>
      this.services.auth.login(text(user ?? '', 'User'), text(password ?? '', 'Password'), source),
    );
    on('logout', async ([token]) => this.services.auth.logout(text(token, 'Token')));
    on('token_check', async ([token]) => {
      await this.owner(token, 'read');
      return true;
    });
    on('get_user_from_token', async ([token]) => (await this.owner(token, 'read')).user);

    // Cobbler's anamon: a chunk of an installer's log, base64-encoded, with no token. Offset -1 appends; a size
    // that is not the chunk's, upload turned off or an unknown system answer false, as in Cobbler.
    // With autoinstall_secrets on, the system's secret, as for the REST upload: else any machine could fill
    // another's logs with lies. A stock anamon sends five arguments, so the secret can come in the URL it is given
    // (`/cobbler_api?secret=HEX`), or in a sixth, Cobbler's token slot, which also takes a login token. A refusal
    // is a fault, not false, so that the sender's log says why.
    on(
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
  }

  private registerWrites(): void {
    const { inventory } = this.services;
    const on = (name: string, method: Method) => this.methods.set(name, method);

    for (const kind of objectKinds) {
      on(`new_${kind}`, async ([token]) => {
        await this.owner(token);
        return this.openHandle(kind, undefined);
      });
      on(`modify_${kind}`, async ([handle, field, value, token]) => {
        await this.owner(token);
        this.modify(this.pendingFor(handle, kind), text(field, 'Field'), value);
        return true;
      });
      on(`save_${kind}`, async ([handle, token]) => {
        await this.owner(token);
        await this.save(text(handle, 'Handle'), this.pendingFor(handle, kind));
        return true;
      });
      on(`remove_${kind}`, async ([name, token, recursive]) => {
        await this.owner(token);
        await inventory.remove(kind, text(name, 'Name'), {
          recursive: recursive === undefined ? true : parseBool(recursive),
        });
        return true;
      });
      on(`copy_${kind}`, async ([handle, newName, token]) => {
        await this.owner(token);
        const edit = this.pendingFor(handle, kind);
        await inventory.copy(kind, edit.name ?? '', text(newName, 'New name'));
        return true;
      });
      on(`rename_${kind}`, async ([handle, newName, token]) => {
        await this.owner(token);
        const edit = this.pendingFor(handle, kind);
        await inventory.rename(kind, edit.name ?? '', text(newName, 'New name'));
        return true;
      });
    }
    on('new_subprofile', async ([token]) => {
      await this.owner(token);
      return this.openHandle('profile', undefined);
    });
    on('xapi_object_edit', async ([what, name, editType, attrs, token]) => {
      await this.owner(token);
      const kind = kindFrom(text(what, 'Type'));
      return this.objectEdit(kind, text(name, 'Name'), text(editType, 'Edit type'), this.attributes(attrs));
    });
    on('modify_setting', async ([name, value, token]) => {
      await this.owner(token);
      await inventory.setSetting(text(name, 'Setting'), value);
      return 0;
    });
  }

  private criteria(value: XmlRpcValue | undefined): Record<string, string> {
    if (value === undefined || value === '' || value === '~') return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalid('Search criteria must be a struct of field name to pattern.');
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
  }

  private attributes(value: XmlRpcValue | undefined): Record<string, unknown> {
    if (value === undefined || value === '~') return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalid('Attributes must be a struct of field name to value.');
    }
    return value as Record<string, unknown>;
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

  private openHandle(kind: ObjectKind, name: string | undefined): string {
    if (this.pending.size >= pendingHandleLimit) {
      // Clients that open handles and never save must not grow memory without bound; the oldest go first.
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
    const prefix = name === undefined ? NEW_HANDLE_PREFIX : '';
    const handle = `${prefix}${kind}::${randomBytes(12).toString('hex')}`;
    this.pending.set(handle, {
      kind,
      name,
      changes: {},
      options: {},
      interfaceChanges: {},
      renames: [],
      createdAt: Date.now(),
    });
    return handle;
  }

  private pendingFor(handle: XmlRpcValue | undefined, kind: ObjectKind): PendingEdit {
    const edit = this.pending.get(text(handle, 'Handle'));
    if (!edit || edit.kind !== kind) {
      throw notFound(
        `Handle ${quote(handle)} is unknown or expired; get a new one with new_${kind} or get_${kind}_handle.`,
      );
    }
    return edit;
  }

  private modify(edit: PendingEdit, field: string, value: XmlRpcValue | undefined): void {
    if (field === 'name' && edit.name === undefined) {
      edit.name = text(value, 'Name');
      return;
    }
    if (field === 'modify_interface') {
      for (const [key, item] of Object.entries(this.attributes(value))) {
        const { ifname, field: ifield } = splitInterfaceKey(key);
        const changes = edit.interfaceChanges[ifname] ?? {};
        changes[ifield] = item;
        edit.interfaceChanges[ifname] = changes;
      }
      return;
    }
    if (field === 'delete_interface') {
      edit.interfaceChanges[text(value, 'Interface')] = null;
      return;
    }
    if (field === 'rename_interface') {
      const attrs = this.attributes(value);
      edit.renames.push({ from: String(attrs.interface ?? ''), to: String(attrs.rename_interface ?? '') });
      return;
    }
    edit.changes[field] = value;
  }

  private async save(handle: string, edit: PendingEdit): Promise<void> {
    const { inventory } = this.services;
    const changes: Changes = { ...edit.changes };
    if (Object.keys(edit.interfaceChanges).length > 0) changes.interfaces = edit.interfaceChanges;
    const name = edit.name;
    if (name === undefined)
      throw invalid(`Set a name with modify_${edit.kind}(handle, "name", ...) before saving.`);
    if (handle.startsWith(NEW_HANDLE_PREFIX))
      await inventory.add(edit.kind, { ...changes, name }, edit.options);
    else await inventory.edit(edit.kind, name, changes, edit.options);
    for (const rename of edit.renames) {
      await inventory.edit(edit.kind, name, {}, { interface: rename.from, renameInterface: rename.to });
    }
    this.pending.delete(handle);
  }
}
