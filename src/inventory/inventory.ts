// The inventory service: every add, edit, copy, rename and removal of distros, profiles, systems, repos and roles,
// with Cobbler's rules (references must exist, MACs/IPs/hostnames unique, no orphans without --recursive).
// The CLI, the REST API and XML-RPC all call this one class; each change is one store transaction. The work is
// done by one module per job: changes.ts (writes and hooks), checks.ts (the rules), resolution.ts (lineage,
// blended and rendered views, settings), field-changes.ts, random-macs.ts and search.ts; machine-lookup.ts
// answers "which machine is this" on top of it.

import { ServedPaths } from '../config/served-paths.js';
import type { BlendedView, Lineage } from '../model/blend.js';
import { INHERIT, type InventoryObject, type ObjectKind } from '../model/kinds.js';
import type { Settings } from '../model/settings.js';
import type { ObjectRef, Store, StoreReader, UniqueKeyType } from '../store/store.js';
import type { InventoryBackend } from './backend.js';
import { InventoryChanges } from './changes.js';
import { ObjectChecks } from './checks.js';
import type { InventoryHooks } from './hooks.js';
import { unusedMac } from './random-macs.js';
import { existingObject, Resolver } from './resolution.js';
import { searchObjects } from './search.js';
import type { Changes, EditOptions, ListQuery } from './types.js';
import { VersionedCache } from './versioned-cache.js';

export type { Changes, EditOptions, ListQuery } from './types.js';

export class Inventory implements InventoryBackend {
  private readonly resolver: Resolver;
  private readonly changes: InventoryChanges;

  /**
   * With hooks, every change is announced to them (Cobbler's add/delete/change triggers hang on this). Paths that
   * would be served (kernels, trees, tftp_root) are refused unless `servedPaths` allows them.
   */
  constructor(
    private readonly store: Store,
    hooks?: InventoryHooks,
    readonly servedPaths: ServedPaths = new ServedPaths(),
    settingDefaults: Readonly<Record<string, unknown>> = {},
  ) {
    this.resolver = new Resolver(store, settingDefaults);
    const checks = new ObjectChecks(servedPaths, (reader) => this.resolver.settings(reader));
    this.changes = new InventoryChanges(store, this.resolver, checks, hooks);
  }

  settings(reader: StoreReader = this.store): Promise<Settings> {
    return this.resolver.settings(reader);
  }

  /** Only the settings that differ from their defaults, as stored: cheap to compare for a change. */
  settingOverrides(): Promise<Record<string, unknown>> {
    return this.store.settingOverrides();
  }

  /** Moves on with every committed change to objects or settings, by any process: see Store.inventoryVersion. */
  inventoryVersion(): Promise<number> {
    return this.store.inventoryVersion();
  }

  /** The object, or undefined when there is none by that name (get throws instead). */
  find(kind: ObjectKind, name: string): Promise<InventoryObject | undefined> {
    return this.store.get(kind, name);
  }

  /** Whether objects exist, by kind and name, kept while the inventory version stands (as many as blended views). */
  readonly #existing = new VersionedCache<boolean>(16_384);

  /**
   * Whether there is an object of that kind and name: asked after every install request, to keep events only for
   * what exists, where reading and parsing the object's row each time cost more than the check is worth. Only
   * names found are kept: a flood of made-up (and long) names must not fill memory.
   */
  async exists(kind: ObjectKind, name: string): Promise<boolean> {
    const version = await this.store.inventoryVersion();
    return this.#existing.get(
      version,
      `${kind}:${name}`,
      async () => (await this.store.get(kind, name)) !== undefined,
      (found) => found,
    );
  }

  /** One setting as stored (a list or dictionary is the caller's own copy), without copying all the others. */
  setting(name: string): Promise<unknown> {
    return this.resolver.setting(name);
  }

  /** The systems holding a unique value, e.g. MAC 52:54:00:12:34:56, from the index (values lowercased). */
  systemsWithKey(type: UniqueKeyType, value: string): Promise<ObjectRef[]> {
    return this.store.findByKey(type, value);
  }

  /** Every indexed value of a type, e.g. all systems' IP addresses, which a DHCP pool must not hand out. */
  keysOfType(type: UniqueKeyType): Promise<string[]> {
    return this.store.keysOfType(type);
  }

  get(kind: ObjectKind, name: string, reader: StoreReader = this.store): Promise<InventoryObject> {
    return existingObject(reader, kind, name);
  }

  list(kind: ObjectKind, query: ListQuery = {}): Promise<InventoryObject[]> {
    return searchObjects(this.store, kind, query);
  }

  count(kind: ObjectKind): Promise<number> {
    return this.store.count(kind);
  }

  add(kind: ObjectKind, changes: Changes, options: EditOptions = {}): Promise<InventoryObject> {
    return this.changes.add(kind, changes, options);
  }

  /**
   * Adds several objects in one transaction, all or none: each is checked exactly as `add` checks one (against the
   * store and the items before it), and a refusal names the item's index, counted from 0.
   */
  addMany(kind: ObjectKind, items: Changes[], options: EditOptions = {}): Promise<InventoryObject[]> {
    return this.changes.addMany(kind, items, options);
  }

  edit(
    kind: ObjectKind,
    name: string,
    changes: Changes,
    options: EditOptions = {},
  ): Promise<InventoryObject> {
    return this.changes.edit(kind, name, changes, options);
  }

  /** Copies an object under a new name; a copied system drops its MACs, IPs and names, which must stay unique. */
  copy(kind: ObjectKind, name: string, newName: string, changes: Changes = {}): Promise<InventoryObject> {
    return this.changes.copy(kind, name, newName, changes);
  }

  /** Renames an object and every reference to it, in one transaction. */
  rename(kind: ObjectKind, name: string, newName: string): Promise<InventoryObject> {
    return this.changes.rename(kind, name, newName);
  }

  /** Removes an object; with `recursive`, also every profile and system below it, else refuses to orphan them. */
  remove(kind: ObjectKind, name: string, options: { recursive?: boolean } = {}): Promise<ObjectRef[]> {
    return this.changes.remove(kind, name, options);
  }

  lineage(object: InventoryObject, reader: StoreReader = this.store): Promise<Lineage> {
    return this.resolver.lineage(object, reader);
  }

  /** The blended view of an object: what templates see and `dumpvars` prints, a fresh one the caller may change. */
  blended(kind: ObjectKind, name: string, reader: StoreReader = this.store): Promise<BlendedView> {
    return this.resolver.blended(kind, name, reader);
  }

  /** The flattened view koan reads from `get_*_as_rendered`. */
  rendered(kind: ObjectKind, name: string): Promise<Record<string, unknown>> {
    return this.resolver.rendered(kind, name);
  }

  setSetting(name: string, value: unknown): Promise<Settings> {
    return this.changes.setSetting(name, value);
  }

  resetSetting(name: string): Promise<Settings> {
    return this.changes.resetSetting(name);
  }

  /**
   * The end of an install (Cobbler's `nopxe`): with pxe_just_once set, netboot goes off so the next boot is from
   * disk, with the change triggers only if nopxe_with_triggers says so. Returns whether it was turned off.
   */
  finishNetboot(systemName: string): Promise<boolean> {
    return this.changes.finishNetboot(systemName);
  }

  /** A MAC no system uses yet, with the vendor prefix of the given virtualization type. */
  randomMac(virtType?: string): Promise<string> {
    return unusedMac(this.store, this.resolver, virtType);
  }
}

export { INHERIT };
