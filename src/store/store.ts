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

/** Something that happened to a machine: a DHCP exchange, a file fetched, an install step reported. */
export interface EventInput {
  /** Dotted and grouped by source: `dhcp.ack`, `tftp.sent`, `http.autoinstall`, `install.post`, `koan.define`. */
  type: string;
  /** Milliseconds since the epoch; now when not given. */
  time?: number;
  system?: string;
  mac?: string;
  ip?: string;
  /** The address the request came from. */
  source?: string;
  detail?: Record<string, unknown>;
}

export interface StoredEvent extends EventInput {
  id: number;
  time: number;
  detail: Record<string, unknown>;
}

export interface EventQuery {
  system?: string;
  /** A type, or a prefix ending in a dot: `dhcp.`. */
  type?: string;
  /** Only events with a larger id (for following a stream). */
  afterId?: number;
  since?: number;
  limit?: number;
  /** Newest first when true; oldest first otherwise. */
  newestFirst?: boolean;
}

export interface EventLog {
  append(events: EventInput[]): Promise<StoredEvent[]>;
  query(query: EventQuery): Promise<StoredEvent[]>;
  /** Removes events older than the given time; returns how many. */
  prune(before: number): Promise<number>;
}

export interface StoreReader {
  get(kind: ObjectKind, name: string): Promise<InventoryObject | undefined>;
  /** Objects of a kind in name order. */
  list(kind: ObjectKind, options?: ListOptions): Promise<InventoryObject[]>;
  count(kind: ObjectKind): Promise<number>;
  /** Systems holding a unique value, e.g. which system has MAC 52:54:00:12:34:56. */
  findByKey(type: UniqueKeyType, value: string): Promise<ObjectRef[]>;
  /** Every indexed value of a type, e.g. all systems' IP addresses (which a DHCP pool must not hand out). */
  keysOfType(type: UniqueKeyType): Promise<string[]>;
  /** Objects that name this one as distro, parent, profile or repo. */
  dependents(kind: ObjectKind, name: string): Promise<ObjectRef[]>;
  settingOverrides(): Promise<Record<string, unknown>>;
  /**
   * A number that moves on with every committed change to objects or settings, by this process or another sharing
   * the store (events do not move it): what was derived from them stays true while it stands still. It may be read
   * once per turn of the event loop: this process's changes show at once, another's from the next turn.
   */
  inventoryVersion(): Promise<number>;
}

export interface StoreTransaction extends StoreReader {
  put(object: InventoryObject): Promise<void>;
  delete(kind: ObjectKind, name: string): Promise<boolean>;
  setSetting(name: string, value: unknown): Promise<void>;
  deleteSetting(name: string): Promise<boolean>;
}

export interface Store extends StoreReader {
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  readonly events: EventLog;
  close(): Promise<void>;
}
