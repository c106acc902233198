// Every change to the inventory: add, edit, copy, rename and removal of objects, and the settings. Each change is
// one store transaction; an object change is announced to the hooks (Cobbler's add/delete/change triggers) once it
// has passed its checks, and no orphans are left without --recursive.

import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { asBootwrightError, BootwrightError, invalid, quote } from '../errors.js';
import { fieldsByKind } from '../model/fields.js';
import type { FieldValue, InventoryObject, ObjectKind } from '../model/kinds.js';
import { findSetting, parseSettingValue, type Settings } from '../model/settings.js';
import { parseName } from '../model/values.js';
import type { ObjectRef, Store, StoreTransaction } from '../store/store.js';
import type { ObjectChecks } from './checks.js';
import { applyFieldChanges, copyOfDefault } from './field-changes.js';
import type { InventoryHooks, ObjectChange } from './hooks.js';
import { describeRef, kindLabel } from './labels.js';
import { assignRandomMacs } from './random-macs.js';
import { existingObject, type Resolver } from './resolution.js';
import type { Changes, EditOptions } from './types.js';

type Announce = (change: ObjectChange) => Promise<void>;

/**
 * As in Cobbler, a removed repo disappears from the profiles that list it, and a removed menu from the profiles and
 * images in it (they move to the top menu); other dependents stop a removal unless it is recursive.
 */
function detachedOnRemoval(removed: ObjectKind, dependent: ObjectKind): boolean {
  if (removed === 'repo') return dependent === 'profile';
  if (removed === 'menu') return dependent === 'profile' || dependent === 'image';
  return false;
}

export class InventoryChanges {
  constructor(
    private readonly store: Store,
    private readonly resolver: Resolver,
    private readonly checks: ObjectChecks,
    private readonly hooks?: InventoryHooks,
  ) {}

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
    announce: Announce,
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
    await this.checks.check(tx, object);
    await announce({ action: 'add', kind, name });
    await tx.put(object);
    return object;
  }

  /**
   * Edits an object in one transaction. `runHooks` false leaves the change triggers out (nopxe without
   * nopxe_with_triggers); `skipIfUnchanged` writes and announces nothing when the changes change nothing.
   */
  async edit(
    kind: ObjectKind,
    name: string,
    changes: Changes,
    options: EditOptions = {},
    runHooks = true,
    skipIfUnchanged = false,
  ): Promise<InventoryObject> {
    return this.changing(async (tx, announce) => {
      const original = await existingObject(tx, kind, name);
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
      await this.checks.check(tx, object, original);
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
      const source = await existingObject(tx, kind, name);
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
      await this.checks.check(tx, copy);
      await announce({ action: 'copy', kind, name: target, from: name });
      await tx.put(copy);
      return copy;
    });
  }

  /** Renames an object and every reference to it, in one transaction. */
  async rename(kind: ObjectKind, name: string, newName: string): Promise<InventoryObject> {
    const target = parseName(newName, `New ${kind} name`, '--newname');
    return this.changing(async (tx, announce) => {
      const object = structuredClone(await existingObject(tx, kind, name));
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
        const dependent = structuredClone(await existingObject(tx, ref.kind, ref.name));
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
      await existingObject(tx, kind, name);
      const removed: ObjectRef[] = [];
      const visit = async (ref: ObjectRef): Promise<void> => {
        const dependents = (await tx.dependents(ref.kind, ref.name)).filter(
          (dependent) => !detachedOnRemoval(ref.kind, dependent.kind),
        );
        if (dependents.length > 0 && !options.recursive) {
          const shown = dependents.slice(0, 3).map(describeRef).join(', ');
          const more = dependents.length > 3 ? ` and ${dependents.length - 3} more` : '';
          throw new BootwrightError(
            'E_IN_USE',
            `Cannot remove ${describeRef(ref)}: ${shown}${more} depend${dependents.length === 1 ? 's' : ''} on it; remove ${dependents.length === 1 ? 'it' : 'them'} first or pass --recursive.`,
          );
        }
        for (const dependent of dependents) await visit(dependent);
        await announce({ action: 'remove', kind: ref.kind, name: ref.name });
        await this.detachFrom(tx, ref);
        if (await tx.delete(ref.kind, ref.name)) removed.push(ref);
      };
      await visit({ kind, name });
      return removed;
    });
  }

  async setSetting(name: string, value: unknown): Promise<Settings> {
    const field = findSetting(name);
    const parsed = parseSettingValue(field.name, value);
    return this.store.transaction(async (tx) => {
      await this.checks.checkSetting(tx, field.name, parsed);
      await tx.setSetting(field.name, parsed);
      return this.resolver.settings(tx);
    });
  }

  async resetSetting(name: string): Promise<Settings> {
    const field = findSetting(name);
    return this.store.transaction(async (tx) => {
      await tx.deleteSetting(field.name);
      return this.resolver.settings(tx);
    });
  }

  /**
   * The end of an install (Cobbler's `nopxe`): with pxe_just_once set, netboot goes off so the next boot is from
   * disk, with the change triggers only if nopxe_with_triggers says so. Returns whether it was turned off.
   */
  async finishNetboot(systemName: string): Promise<boolean> {
    const settings = await this.resolver.settings();
    if (settings.pxe_just_once !== true) {
      await existingObject(this.store, 'system', systemName);
      return false;
    }
    const runHooks = settings.nopxe_with_triggers === true;
    // Checked inside the write: a repeated nopxe (open to all with autoinstall_secrets off) changes nothing, so it
    // starts no change triggers, however many arrive at once.
    await this.edit('system', systemName, { netboot_enabled: false }, {}, runHooks, true);
    return true;
  }

  /** The changes applied in memory, then the MACs given as "random" chosen within the transaction. */
  private async applyChanges(
    tx: StoreTransaction,
    object: InventoryObject,
    changes: Changes,
    options: EditOptions,
  ): Promise<void> {
    applyFieldChanges(object, changes, options);
    if (object.kind === 'system') await assignRandomMacs(tx, this.resolver, object);
  }

  /**
   * Runs a change in one transaction. `announce` hands the change to the hooks' pre step once it has passed its
   * checks, inside the transaction, so that a refusal leaves nothing written; the post steps run after the commit.
   */
  private async changing<T>(
    work: (tx: StoreTransaction, announce: Announce) => Promise<T>,
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

  /** What names a removed repo or menu simply stops naming it (detachedOnRemoval). */
  private async detachFrom(tx: StoreTransaction, ref: ObjectRef): Promise<void> {
    for (const dependent of await tx.dependents(ref.kind, ref.name)) {
      if (!detachedOnRemoval(ref.kind, dependent.kind)) continue;
      const object = structuredClone(await existingObject(tx, dependent.kind, dependent.name));
      for (const field of fieldsByKind[object.kind]) {
        if (field.refKind !== ref.kind) continue;
        const value = object.fields[field.name];
        object.fields[field.name] = Array.isArray(value)
          ? value.filter((name) => name !== ref.name)
          : value === ref.name
            ? ''
            : (value as FieldValue);
      }
      await tx.put(object);
    }
  }
}
