// The inventory service: every add, edit, copy, rename and removal of distros, profiles, systems, repos and roles,
// with Cobbler's rules (references must exist, MACs/IPs/hostnames unique, no orphans without --recursive).
// The CLI, the REST API and XML-RPC all call this one class; each change is one store transaction.

import { randomUUID } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { refusalSentence, ServedPaths } from '../config/served-paths.js';
import { asBootwrightError, BootwrightError, invalid, notFound, quote } from '../errors.js';
import { type BlendedView, blend, type Lineage } from '../model/blend.js';
import {
  type FieldDef,
  fieldsByKind,
  findField,
  interfaceFields,
  legacyInterfaceFieldNames,
  profileFields,
} from '../model/fields.js';
import { compileGlob } from '../model/glob.js';
import {
  type FieldValue,
  INHERIT,
  type InventoryObject,
  type KvDict,
  type NetworkInterface,
  type ObjectKind,
} from '../model/kinds.js';
import { editKvDictInPlace, kvToString } from '../model/kv.js';
import { parseFieldValue } from '../model/parse-field.js';
import { randomMac } from '../model/random-mac.js';
import { renderForKoan } from '../model/rendered.js';
import { applySettingOverrides, findSetting, parseSettingValue, type Settings } from '../model/settings.js';
import { parseName } from '../model/values.js';
import type { ObjectRef, Store, StoreReader, StoreTransaction, UniqueKeyType } from '../store/store.js';
import type { InventoryBackend } from './backend.js';
import type { InventoryHooks, ObjectChange } from './hooks.js';

/** Field changes as given: keys in any spelling (`virt_ram`, `virt-ram`, `kopts`), values as text or JSON. */
export type Changes = Record<string, unknown>;

export interface EditOptions {
  /** Change only the named keys of dictionary fields instead of replacing them. */
  inPlace?: boolean;
  /** The interface that interface fields (`--mac`, `--ip-address`, ...) apply to. */
  interface?: string;
  deleteInterface?: boolean;
  renameInterface?: string;
}

export interface ListQuery {
  /** Field name to glob pattern, e.g. `{ profile: 'rhel*', mac_address: '52:54:00:*' }`. */
  criteria?: Record<string, string>;
  offset?: number;
  limit?: number;
}

const RANDOM = 'random';

function kindLabel(kind: ObjectKind): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}

function describe(ref: ObjectRef): string {
  return `${ref.kind} ${quote(ref.name)}`;
}

/** Defaults are shared by every object: lists and dictionaries are copied, strings and numbers need not be. */
function copyOfDefault(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

function newInterface(): NetworkInterface {
  return Object.fromEntries(
    interfaceFields.map((field) => [field.name, copyOfDefault(field.default)]),
  ) as unknown as NetworkInterface;
}

function findInterfaceField(key: string): FieldDef | undefined {
  const plain = key.replaceAll('-', '_');
  return findField(interfaceFields, legacyInterfaceFieldNames[plain] ?? plain);
}

function valueAsText(value: unknown): string[] {
  if (value === null || value === undefined) return [''];
  if (Array.isArray(value)) return value.length === 0 ? [''] : value.map(String);
  if (typeof value === 'object') return [kvToString(value as KvDict)];
  return [String(value)];
}

/** The unique-key index a system search field can use: hostname, or an interface's MAC, IP or DNS name. */
function indexedKeyType(key: string): UniqueKeyType | undefined {
  const field = findField(fieldsByKind.system, key);
  if (field) return field.name === 'hostname' ? 'hostname' : undefined;
  const indexed: Record<string, UniqueKeyType> = {
    mac_address: 'mac',
    ip_address: 'ip',
    dns_name: 'dns_name',
  };
  const ifaceField = findInterfaceField(key);
  return ifaceField ? indexed[ifaceField.name] : undefined;
}

/** A test of every criterion, each glob compiled once for the whole search (a long pattern is refused here). */
function criteriaMatcher(criteria: Record<string, string>): (object: InventoryObject) => boolean {
  const globs = Object.entries(criteria).map(
    ([key, pattern]) => [key, compileGlob(pattern, `Search pattern for ${quote(key)}`)] as const,
  );
  return (object) => {
    const fields = fieldsByKind[object.kind];
    return globs.every(([key, glob]) => {
      if (key === 'name') return glob.test(object.name);
      const field = findField(fields, key);
      if (field) return valueAsText(object.fields[field.name]).some((text) => glob.test(text));
      const ifaceField = object.kind === 'system' ? findInterfaceField(key) : undefined;
      if (ifaceField) {
        return Object.values(object.interfaces ?? {}).some((iface) =>
          valueAsText(iface[ifaceField.name as keyof NetworkInterface]).some((text) => glob.test(text)),
        );
      }
      throw invalid(`Cannot search ${object.kind}s by ${quote(key)}: there is no such field.`);
    });
  };
}

export class Inventory implements InventoryBackend {
  /**
   * With hooks, every change is announced to them (Cobbler's add/delete/change triggers hang on this). Paths that
   * would be served (kernels, trees, tftp_root) are refused unless `servedPaths` allows them.
   */
  constructor(
    private readonly store: Store,
    private readonly hooks?: InventoryHooks,
    readonly servedPaths: ServedPaths = new ServedPaths(),
  ) {}

  async settings(reader: StoreReader = this.store): Promise<Settings> {
    return applySettingOverrides(await reader.settingOverrides());
  }

  /** Only the settings that differ from their defaults, as stored: cheap to compare for a change. */
  settingOverrides(): Promise<Record<string, unknown>> {
    return this.store.settingOverrides();
  }

  /** The object, or undefined when there is none by that name (get throws instead). */
  find(kind: ObjectKind, name: string): Promise<InventoryObject | undefined> {
    return this.store.get(kind, name);
  }

  /** The systems holding a unique value, e.g. MAC 52:54:00:12:34:56, from the index (values lowercased). */
  systemsWithKey(type: UniqueKeyType, value: string): Promise<ObjectRef[]> {
    return this.store.findByKey(type, value);
  }

  /** Every indexed value of a type, e.g. all systems' IP addresses, which a DHCP pool must not hand out. */
  keysOfType(type: UniqueKeyType): Promise<string[]> {
    return this.store.keysOfType(type);
  }

  async get(kind: ObjectKind, name: string, reader: StoreReader = this.store): Promise<InventoryObject> {
    const object = await reader.get(kind, name);
    if (!object)
      throw notFound(
        `${kindLabel(kind)} ${quote(name)} does not exist; "bootwright ${kind} list" shows them.`,
      );
    return object;
  }

  async list(kind: ObjectKind, query: ListQuery = {}): Promise<InventoryObject[]> {
    const criteria = query.criteria ?? {};
    if (Object.keys(criteria).length === 0) return this.store.list(kind, query);
    const matches = criteriaMatcher(criteria);
    const candidates = (await this.indexedCandidates(kind, criteria)) ?? (await this.store.list(kind));
    const found = candidates.filter(matches);
    const offset = query.offset ?? 0;
    return found.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
  }

  /**
   * For a search by an exact MAC, IP address, hostname or DNS name (koan's and the installers' lookups), the systems
   * the unique-key index names, in name order, instead of every system: a superset of the matches, since the index
   * holds every such value lowercased and the glob match is case-insensitive. Undefined when no criterion can use it.
   */
  private async indexedCandidates(
    kind: ObjectKind,
    criteria: Record<string, string>,
  ): Promise<InventoryObject[] | undefined> {
    if (kind !== 'system') return undefined;
    const exact = Object.entries(criteria).find(
      ([key, pattern]) => pattern !== '' && !/[*?[]/.test(pattern) && indexedKeyType(key) !== undefined,
    );
    if (!exact) return undefined;
    // An unknown field is refused as the full search refuses it, even when the index finds nothing to test.
    for (const key of Object.keys(criteria)) {
      if (key !== 'name' && !findField(fieldsByKind.system, key) && !findInterfaceField(key))
        throw invalid(`Cannot search systems by ${quote(key)}: there is no such field.`);
    }
    const refs = await this.store.findByKey(indexedKeyType(exact[0]) as UniqueKeyType, exact[1]);
    const systems = await Promise.all(refs.map((ref) => this.store.get('system', ref.name)));
    return systems.filter((system): system is InventoryObject => system !== undefined);
  }

  async count(kind: ObjectKind): Promise<number> {
    return this.store.count(kind);
  }

  async add(kind: ObjectKind, changes: Changes, options: EditOptions = {}): Promise<InventoryObject> {
    const name = parseName(changes.name, `${kindLabel(kind)} name`);
    return this.changing((tx, announce) => this.addWithin(tx, announce, kind, name, changes, options));
  }

  /**
   * Adds several objects in one transaction, all or none: each is checked exactly as `add` checks one (against the
   * store and the items before it), and a refusal names the item's index, counted from 0.
   */
  async addMany(kind: ObjectKind, items: Changes[], options: EditOptions = {}): Promise<InventoryObject[]> {
    const itemError = (index: number, error: unknown) => {
      const cause = asBootwrightError(error);
      return new BootwrightError(cause.code, `Item ${index}: ${cause.message}`);
    };
    const names = items.map((changes, index) => {
      try {
        return parseName(changes.name, `${kindLabel(kind)} name`);
      } catch (error) {
        throw itemError(index, error);
      }
    });
    return this.changing(async (tx, announce) => {
      const added: InventoryObject[] = [];
      for (const [index, changes] of items.entries()) {
        try {
          added.push(await this.addWithin(tx, announce, kind, names[index] as string, changes, options));
        } catch (error) {
          throw itemError(index, error);
        }
      }
      return added;
    });
  }

  private async addWithin(
    tx: StoreTransaction,
    announce: (change: ObjectChange) => Promise<void>,
    kind: ObjectKind,
    name: string,
    changes: Changes,
    options: EditOptions,
  ): Promise<InventoryObject> {
    if (await tx.get(kind, name)) {
      throw new BootwrightError(
        'E_DUPLICATE_NAME',
        `${kindLabel(kind)} ${quote(name)} already exists; use "bootwright ${kind} edit" to change it or pick another name.`,
      );
    }
    const now = Date.now() / 1000;
    const object: InventoryObject = {
      kind,
      name,
      uid: randomUUID().replaceAll('-', ''),
      ctime: now,
      mtime: now,
      fields: {},
    };
    for (const field of fieldsByKind[kind]) {
      if (field.name !== 'name') object.fields[field.name] = copyOfDefault(field.default) as FieldValue;
    }
    if (kind === 'system') object.interfaces = {};
    const { name: _ignored, ...rest } = changes;
    await this.applyChanges(tx, object, rest, options);
    await this.check(tx, object);
    await announce({ action: 'add', kind, name });
    await tx.put(object);
    return object;
  }

  async edit(
    kind: ObjectKind,
    name: string,
    changes: Changes,
    options: EditOptions = {},
  ): Promise<InventoryObject> {
    return this.editObject(kind, name, changes, options, true);
  }

  private async editObject(
    kind: ObjectKind,
    name: string,
    changes: Changes,
    options: EditOptions,
    runHooks: boolean,
    skipIfUnchanged = false,
  ): Promise<InventoryObject> {
    return this.changing(async (tx, announce) => {
      const original = await this.get(kind, name, tx);
      const object = structuredClone(original);
      const { name: newName, ...rest } = changes;
      if (newName !== undefined && newName !== name) {
        throw invalid(
          `Cannot change the name of ${kind} ${quote(name)} with edit; use "bootwright ${kind} rename".`,
        );
      }
      await this.applyChanges(tx, object, rest, options);
      if (skipIfUnchanged && isDeepStrictEqual(object, original)) return object;
      object.mtime = Date.now() / 1000;
      await this.check(tx, object, original);
      await announce({ action: 'edit', kind, name });
      await tx.put(object);
      return object;
    }, runHooks);
  }

  /** Copies an object under a new name; a copied system drops its MACs, IPs and names, which must stay unique. */
  async copy(
    kind: ObjectKind,
    name: string,
    newName: string,
    changes: Changes = {},
  ): Promise<InventoryObject> {
    const target = parseName(newName, `New ${kind} name`, '--newname');
    return this.changing(async (tx, announce) => {
      const source = await this.get(kind, name, tx);
      if (await tx.get(kind, target)) {
        throw new BootwrightError(
          'E_DUPLICATE_NAME',
          `${kindLabel(kind)} ${quote(target)} already exists; pick another name.`,
        );
      }
      const now = Date.now() / 1000;
      const copy: InventoryObject = {
        ...structuredClone(source),
        name: target,
        uid: randomUUID().replaceAll('-', ''),
        ctime: now,
        mtime: now,
      };
      if (copy.kind === 'system') {
        copy.fields.hostname = '';
        for (const iface of Object.values(copy.interfaces ?? {})) {
          Object.assign(iface, {
            mac_address: '',
            ip_address: '',
            dns_name: '',
            cnames: [],
            ipv6_address: '',
            ipv6_secondaries: [],
          });
        }
      }
      await this.applyChanges(tx, copy, changes, {});
      await this.check(tx, copy);
      await announce({ action: 'copy', kind, name: target, from: name });
      await tx.put(copy);
      return copy;
    });
  }

  /** Renames an object and every reference to it, in one transaction. */
  async rename(kind: ObjectKind, name: string, newName: string): Promise<InventoryObject> {
    const target = parseName(newName, `New ${kind} name`, '--newname');
    return this.changing(async (tx, announce) => {
      const object = structuredClone(await this.get(kind, name, tx));
      if (target === name) return object;
      if (await tx.get(kind, target)) {
        throw new BootwrightError(
          'E_DUPLICATE_NAME',
          `${kindLabel(kind)} ${quote(target)} already exists; pick another name.`,
        );
      }
      await announce({ action: 'rename', kind, name: target, from: name });
      const dependents = await tx.dependents(kind, name);
      await tx.delete(kind, name);
      object.name = target;
      object.mtime = Date.now() / 1000;
      await tx.put(object);
      for (const ref of dependents) {
        const dependent = structuredClone(await this.get(ref.kind, ref.name, tx));
        for (const field of fieldsByKind[ref.kind]) {
          if (field.refKind !== kind) continue;
          const value = dependent.fields[field.name];
          if (value === name) dependent.fields[field.name] = target;
          if (Array.isArray(value))
            dependent.fields[field.name] = value.map((item) => (item === name ? target : item));
        }
        await tx.put(dependent);
      }
      return object;
    });
  }

  /** Removes an object; with `recursive`, also every profile and system below it, else refuses to orphan them. */
  async remove(kind: ObjectKind, name: string, options: { recursive?: boolean } = {}): Promise<ObjectRef[]> {
    return this.changing(async (tx, announce) => {
      await this.get(kind, name, tx);
      const removed: ObjectRef[] = [];
      const visit = async (ref: ObjectRef): Promise<void> => {
        const dependents = (await tx.dependents(ref.kind, ref.name)).filter(
          (dependent) => !(ref.kind === 'repo' && dependent.kind === 'profile'),
        );
        if (dependents.length > 0 && !options.recursive) {
          const shown = dependents.slice(0, 3).map(describe).join(', ');
          const more = dependents.length > 3 ? ` and ${dependents.length - 3} more` : '';
          throw new BootwrightError(
            'E_IN_USE',
            `Cannot remove ${describe(ref)}: ${shown}${more} depend${dependents.length === 1 ? 's' : ''} on it; remove ${dependents.length === 1 ? 'it' : 'them'} first or pass --recursive.`,
          );
        }
        for (const dependent of dependents) await visit(dependent);
        await announce({ action: 'remove', kind: ref.kind, name: ref.name });
        await this.detachRepo(tx, ref);
        if (await tx.delete(ref.kind, ref.name)) removed.push(ref);
      };
      await visit({ kind, name });
      return removed;
    });
  }

  /**
   * Runs a change in one transaction. `announce` hands the change to the hooks' pre step once it has passed its
   * checks, inside the transaction, so that a refusal leaves nothing written; the post steps run after the commit.
   */
  private async changing<T>(
    work: (tx: StoreTransaction, announce: (change: ObjectChange) => Promise<void>) => Promise<T>,
    runHooks = true,
  ): Promise<T> {
    const hooks = runHooks ? this.hooks : undefined;
    const announced: ObjectChange[] = [];
    const result = await this.store.transaction((tx) =>
      work(tx, async (change) => {
        await hooks?.beforeChange(change);
        announced.push(change);
      }),
    );
    for (const change of announced) {
      try {
        await hooks?.afterChange(change);
      } catch (error) {
        // The change is committed; a broken post hook must not make it look failed.
        console.error(
          `bootwright: after ${change.action} of ${change.kind} ${quote(change.name)}: ${(error as Error).message}`,
        );
      }
    }
    return result;
  }

  /** A removed repo simply disappears from the profiles that listed it, as in Cobbler. */
  private async detachRepo(tx: StoreTransaction, ref: ObjectRef): Promise<void> {
    if (ref.kind !== 'repo') return;
    for (const dependent of await tx.dependents('repo', ref.name)) {
      const profile = structuredClone(await this.get(dependent.kind, dependent.name, tx));
      profile.fields.repos = ((profile.fields.repos ?? []) as string[]).filter((repo) => repo !== ref.name);
      await tx.put(profile);
    }
  }

  async lineage(object: InventoryObject, reader: StoreReader = this.store): Promise<Lineage> {
    const lineage: Lineage = { profiles: [], repos: [] };
    let profileName: string | undefined;
    if (object.kind === 'system') {
      lineage.system = object;
      profileName = String(object.fields.profile ?? '');
    } else if (object.kind === 'profile') {
      lineage.profiles.push(object);
      profileName = String(object.fields.parent ?? '') || undefined;
      if (!profileName && object.fields.distro)
        lineage.distro = await reader.get('distro', String(object.fields.distro));
    } else if (object.kind === 'distro') {
      lineage.distro = object;
    } else {
      lineage.repo = object;
    }
    const seen = new Set(lineage.profiles.map((profile) => profile.name));
    while (profileName) {
      if (seen.has(profileName))
        throw invalid(`Profile ${quote(profileName)} is its own ancestor; fix its --parent.`);
      seen.add(profileName);
      const profile = await reader.get('profile', profileName);
      if (!profile) break;
      lineage.profiles.push(profile);
      profileName = String(profile.fields.parent ?? '') || undefined;
      if (!profileName && profile.fields.distro)
        lineage.distro = await reader.get('distro', String(profile.fields.distro));
    }
    const repoNames = new Set(
      lineage.profiles.flatMap((profile) => (profile.fields.repos ?? []) as string[]),
    );
    for (const repoName of repoNames) {
      const repo = await reader.get('repo', repoName);
      if (repo) lineage.repos.push(repo);
    }
    return lineage;
  }

  /** The blended view of an object: what templates see and `dumpvars` prints. */
  async blended(kind: ObjectKind, name: string, reader: StoreReader = this.store): Promise<BlendedView> {
    const object = await this.get(kind, name, reader);
    return this.blendObject(object, reader);
  }

  private async blendObject(object: InventoryObject, reader: StoreReader): Promise<BlendedView> {
    return blend(await this.lineage(object, reader), await this.settings(reader));
  }

  /** The flattened view koan reads from `get_*_as_rendered`. */
  async rendered(kind: ObjectKind, name: string): Promise<Record<string, unknown>> {
    return renderForKoan(await this.blended(kind, name));
  }

  async setSetting(name: string, value: unknown): Promise<Settings> {
    const field = findSetting(name);
    const parsed = parseSettingValue(field.name, value);
    return this.store.transaction(async (tx) => {
      // Served to anyone over TFTP: only from the served roots.
      if (field.name === 'tftp_root' && parsed !== '') {
        const refusal = this.servedPaths.refusal(
          String(parsed),
          'Setting tftp_root',
          await this.settings(tx),
        );
        if (refusal) throw invalid(refusalSentence(refusal));
      }
      await tx.setSetting(field.name, parsed);
      return this.settings(tx);
    });
  }

  async resetSetting(name: string): Promise<Settings> {
    const field = findSetting(name);
    return this.store.transaction(async (tx) => {
      await tx.deleteSetting(field.name);
      return this.settings(tx);
    });
  }

  /**
   * The end of an install (Cobbler's `nopxe`): with pxe_just_once set, netboot goes off so the next boot is from
   * disk, with the change triggers only if nopxe_with_triggers says so. Returns whether it was turned off.
   */
  async finishNetboot(systemName: string): Promise<boolean> {
    const settings = await this.settings();
    if (settings.pxe_just_once !== true) {
      await this.get('system', systemName);
      return false;
    }
    const runHooks = settings.nopxe_with_triggers === true;
    // Checked inside the write: a repeated nopxe (open to all with autoinstall_secrets off) changes nothing, so it
    // starts no change triggers, however many arrive at once.
    await this.editObject('system', systemName, { netboot_enabled: false }, {}, runHooks, true);
    return true;
  }

  /** A MAC no system uses yet, with the vendor prefix of the given virtualization type. */
  async randomMac(virtType?: string): Promise<string> {
    const type = virtType || String((await this.settings()).default_virt_type);
    return randomMac(type, async (mac) => (await this.store.findByKey('mac', mac)).length > 0);
  }

  private async applyChanges(
    tx: StoreTransaction,
    object: InventoryObject,
    changes: Changes,
    options: EditOptions,
  ): Promise<void> {
    const fields = fieldsByKind[object.kind];
    const interfaceChanges: Changes = {};
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      if (key === 'interfaces' && object.kind === 'system') {
        this.applyInterfacesObject(object, value);
        continue;
      }
      const field = findField(fields, key);
      if (field && field.name !== 'name') {
        object.fields[field.name] = this.parseChange(field, object.fields[field.name], value, options);
        continue;
      }
      if (object.kind === 'system' && findInterfaceField(key)) {
        interfaceChanges[key] = value;
        continue;
      }
      throw invalid(
        `Unknown field ${quote(key)} for a ${object.kind}; "bootwright ${object.kind} add --help" lists the fields.`,
      );
    }
    if (object.kind === 'profile') this.switchProfileParent(object, changes);
    if (object.kind === 'system') {
      this.applyInterfaceEdit(object, interfaceChanges, options);
      await this.assignRandomMacs(tx, object);
    }
  }

  /** Giving a profile a parent makes it a sub-profile (its distro then comes from the parent), and back. */
  private switchProfileParent(profile: InventoryObject, changes: Changes): void {
    const given = (name: string) =>
      Object.keys(changes).some((key) => findField(profileFields, key)?.name === name);
    if (given('parent') && !given('distro') && profile.fields.parent) profile.fields.distro = '';
    if (given('distro') && !given('parent') && profile.fields.distro) profile.fields.parent = '';
  }

  private parseChange(
    field: FieldDef,
    existing: FieldValue | undefined,
    value: unknown,
    options: EditOptions,
  ): FieldValue {
    const parsed = parseFieldValue(field, value);
    if (
      options.inPlace &&
      field.type === 'dict' &&
      existing &&
      typeof existing === 'object' &&
      existing !== null
    ) {
      return editKvDictInPlace(existing as KvDict, parsed as KvDict);
    }
    return parsed;
  }

  /** The REST/JSON form: `interfaces: { eth0: { mac_address: ... }, eth1: null }`, merged per interface. */
  private applyInterfacesObject(object: InventoryObject, value: unknown): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw invalid(
        `interfaces must be an object of interface name to fields, received ${quote(JSON.stringify(value))}.`,
      );
    }
    const interfaces = object.interfaces ?? {};
    for (const [ifname, ifaceChanges] of Object.entries(value as Record<string, unknown>)) {
      parseName(ifname, 'Interface name');
      if (ifaceChanges === null) {
        delete interfaces[ifname];
        continue;
      }
      if (typeof ifaceChanges !== 'object' || Array.isArray(ifaceChanges)) {
        throw invalid(
          `Interface ${quote(ifname)} must be an object of fields, received ${quote(JSON.stringify(ifaceChanges))}.`,
        );
      }
      const iface = interfaces[ifname] ?? newInterface();
      this.setInterfaceFields(iface, ifaceChanges as Changes, ifname);
      interfaces[ifname] = iface;
    }
    object.interfaces = interfaces;
  }

  /** Picks the interface a CLI edit means, as Cobbler 3 does: --interface, else "default", else the only one. */
  private chooseInterface(object: InventoryObject, requested: string | undefined): string {
    if (requested) return parseName(requested, 'Interface name');
    const names = Object.keys(object.interfaces ?? {});
    if (names.includes('default') || names.length === 0) return 'default';
    if (names.length === 1) return names[0] as string;
    throw invalid(
      `System ${quote(object.name)} has interfaces ${names.join(', ')}; say which one with --interface=NAME.`,
    );
  }

  private applyInterfaceEdit(object: InventoryObject, changes: Changes, options: EditOptions): void {
    const interfaces = object.interfaces ?? {};
    object.interfaces = interfaces;
    const touches = Object.keys(changes).length > 0 || options.deleteInterface || options.renameInterface;
    if (!touches) return;
    const ifname = this.chooseInterface(object, options.interface);
    if (options.deleteInterface) {
      if (!interfaces[ifname])
        throw notFound(`System ${quote(object.name)} has no interface ${quote(ifname)}.`);
      delete interfaces[ifname];
      return;
    }
    const iface = interfaces[ifname] ?? newInterface();
    this.setInterfaceFields(iface, changes, ifname);
    if (options.renameInterface) {
      const newName = parseName(options.renameInterface, 'New interface name');
      if (!interfaces[ifname])
        throw notFound(`System ${quote(object.name)} has no interface ${quote(ifname)}.`);
      if (newName !== ifname && interfaces[newName])
        throw invalid(`System ${quote(object.name)} already has an interface ${quote(newName)}.`);
      delete interfaces[ifname];
      interfaces[newName] = iface;
      return;
    }
    interfaces[ifname] = iface;
  }

  private setInterfaceFields(iface: NetworkInterface, changes: Changes, ifname: string): void {
    const record = iface as unknown as Record<string, FieldValue>;
    for (const [key, value] of Object.entries(changes)) {
      const field = findInterfaceField(key);
      if (!field) throw invalid(`Unknown interface field ${quote(key)} for interface ${quote(ifname)}.`);
      // "random" is resolved once the system's virt type is known (assignRandomMacs).
      const isRandomMac = field.name === 'mac_address' && String(value).toLowerCase() === RANDOM;
      record[field.name] = isRandomMac
        ? RANDOM
        : parseFieldValue(field, value, `--${field.name.replaceAll('_', '-')}`);
    }
  }

  private async assignRandomMacs(tx: StoreTransaction, system: InventoryObject): Promise<void> {
    const wanting = Object.values(system.interfaces ?? {}).filter((iface) => iface.mac_address === RANDOM);
    if (wanting.length === 0) return;
    const view = blend(await this.lineage(system, tx), await this.settings(tx));
    const taken = new Set<string>();
    for (const iface of wanting) {
      iface.mac_address = await randomMac(String(view.virt_type ?? ''), async (mac) => {
        return taken.has(mac) || (await tx.findByKey('mac', mac)).length > 0;
      });
      taken.add(iface.mac_address);
    }
  }

  /**
   * Everything that must hold before an object is written: references, required fields, uniqueness, and served
   * paths; an edit passes `before`, so that a path stored earlier and left as it was does not stop the edit.
   */
  private async check(
    tx: StoreTransaction,
    object: InventoryObject,
    before?: InventoryObject,
  ): Promise<void> {
    const fields = fieldsByKind[object.kind];
    for (const field of fields) {
      if (
        field.required &&
        field.refKind === undefined &&
        field.name !== 'name' &&
        !object.fields[field.name]
      ) {
        throw invalid(
          `${kindLabel(object.kind)} ${quote(object.name)} needs --${field.name.replaceAll('_', '-')}.`,
        );
      }
    }
    if (object.kind === 'profile') await this.checkProfileParents(tx, object);
    if (object.kind === 'system' && !object.fields.profile) {
      throw invalid(
        `System ${quote(object.name)} needs --profile=NAME; "bootwright profile list" shows them.`,
      );
    }
    for (const field of fields) {
      if (!field.refKind) continue;
      const value = object.fields[field.name];
      const names = Array.isArray(value) ? value : value ? [String(value)] : [];
      for (const refName of names) {
        if (!(await tx.get(field.refKind, refName))) {
          throw notFound(
            `${kindLabel(object.kind)} ${quote(object.name)}: ${field.refKind} ${quote(refName)} does not exist; "bootwright ${field.refKind} list" shows them.`,
          );
        }
      }
    }
    if (object.kind === 'system') await this.checkUnique(tx, object);
    if (object.kind === 'distro') await this.checkServedPaths(tx, object, before);
  }

  /** A distro's kernel, initrd and tree on this server are served to anyone who asks: only from the served roots. */
  private async checkServedPaths(
    tx: StoreTransaction,
    distro: InventoryObject,
    before?: InventoryObject,
  ): Promise<void> {
    for (const field of ['kernel', 'initrd', 'tree_source'] as const) {
      const value = String(distro.fields[field] ?? '');
      if (before && value === String(before.fields[field] ?? '')) continue;
      const local = field === 'tree_source' ? value !== '' && !/^https?:\/\//.test(value) : isAbsolute(value);
      if (!local) continue;
      const what = `Distro ${quote(distro.name)}: ${field}`;
      if (!isAbsolute(value))
        throw invalid(
          `${what} ${quote(value)} is not an absolute path or an http(s) URL; give one of those.`,
        );
      const refusal = this.servedPaths.refusal(value, what, await this.settings(tx));
      if (refusal) throw invalid(refusalSentence(refusal));
    }
  }

  private async checkProfileParents(tx: StoreTransaction, profile: InventoryObject): Promise<void> {
    const { distro, parent } = profile.fields;
    if (distro && parent) {
      throw invalid(
        `Profile ${quote(profile.name)} has both --distro and --parent; a sub-profile takes its distro from its parent.`,
      );
    }
    if (!distro && !parent)
      throw invalid(`Profile ${quote(profile.name)} needs --distro=NAME or --parent=PROFILE.`);
    let ancestor = parent ? String(parent) : '';
    const seen = new Set([profile.name]);
    while (ancestor) {
      if (seen.has(ancestor)) {
        throw invalid(
          `Profile ${quote(profile.name)} cannot have parent ${quote(String(parent))}: that would make a loop.`,
        );
      }
      seen.add(ancestor);
      ancestor = String((await tx.get('profile', ancestor))?.fields.parent ?? '');
    }
  }

  private async checkUnique(tx: StoreTransaction, system: InventoryObject): Promise<void> {
    const settings = await this.settings(tx);
    const rules: { type: UniqueKeyType; allowed: unknown; label: string; code: BootwrightError['code'] }[] = [
      { type: 'mac', allowed: settings.allow_duplicate_macs, label: 'MAC address', code: 'E_DUPLICATE_MAC' },
      { type: 'ip', allowed: settings.allow_duplicate_ips, label: 'IP address', code: 'E_DUPLICATE_IP' },
      {
        type: 'hostname',
        allowed: settings.allow_duplicate_hostnames,
        label: 'hostname',
        code: 'E_DUPLICATE_HOSTNAME',
      },
      {
        type: 'dns_name',
        allowed: settings.allow_duplicate_hostnames,
        label: 'DNS name',
        code: 'E_DUPLICATE_HOSTNAME',
      },
    ];
    const values = new Map<UniqueKeyType, string[]>();
    if (system.fields.hostname) values.set('hostname', [String(system.fields.hostname)]);
    for (const iface of Object.values(system.interfaces ?? {})) {
      for (const [type, value] of [
        ['mac', iface.mac_address],
        ['ip', iface.ip_address],
        ['dns_name', iface.dns_name],
      ] as const) {
        if (value) values.set(type, [...(values.get(type) ?? []), value]);
      }
    }
    for (const rule of rules) {
      if (rule.allowed === true) continue;
      const own = values.get(rule.type) ?? [];
      const lowered = own.map((value) => value.toLowerCase());
      const repeated = own.find((_value, index) => lowered.indexOf(lowered[index] as string) !== index);
      if (repeated) {
        throw new BootwrightError(
          rule.code,
          `System ${quote(system.name)} uses ${rule.label} ${quote(repeated)} on two interfaces.`,
        );
      }
      for (const value of own) {
        const holders = (await tx.findByKey(rule.type, value)).filter(
          (ref) => !(ref.kind === 'system' && ref.name === system.name),
        );
        if (holders.length > 0) {
          throw new BootwrightError(
            rule.code,
            `${rule.label.charAt(0).toUpperCase()}${rule.label.slice(1)} ${quote(value)} is already used by system ${quote((holders[0] as ObjectRef).name)}; pick another or set allow_duplicate_${rule.type === 'mac' ? 'macs' : rule.type === 'ip' ? 'ips' : 'hostnames'}.`,
          );
        }
      }
    }
  }
}

export { INHERIT };
