// The store interface. The inventory talks only to this, so a PostgreSQL store for several servers sharing one
// inventory can sit beside the SQLite one. Every write happens inside `transaction`, which commits all of its
// writes or none of them.

import type { InventoryObject, ObjectKind } from '../model/kinds.js';

export interface ObjectRef {
  kind: ObjectKind;
  name: string;
}

/** Values that must be unique across systems (unless settings allow duplicates), kept in an index. */
export type UniqueKeyType = 'mac' | 'ip' | 'hostname' | 'dns_name';

export interface ListOptions {
  offset?: number;
  limit?: number;
}

export interface StoreReader {
  get(kind: ObjectKind, name: string): Promise<InventoryObject | undefined>;
  /** Objects of a kind in name order. */
  list(kind: ObjectKind, options?: ListOptions): Promise<InventoryObject[]>;
  count(kind: ObjectKind): Promise<number>;
  /** Systems holding a unique value, e.g. which system has MAC 52:54:00:12:34:56. */
  findByKey(type: UniqueKeyType, value: string): Promise<ObjectRef[]>;
  /** Objects that name this one as distro, parent, profile or repo. */
  dependents(kind: ObjectKind, name: string): Promise<ObjectRef[]>;
  settingOverrides(): Promise<Record<string, unknown>>;
}

export interface StoreTransaction extends StoreReader {
  put(object: InventoryObject): Promise<void>;
  delete(kind: ObjectKind, name: string): Promise<boolean>;
  setSetting(name: string, value: unknown): Promise<void>;
  deleteSetting(name: string): Promise<boolean>;
}

export interface Store extends StoreReader {
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
