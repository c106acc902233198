// What a client of the inventory can do, whether the inventory is the local store (Inventory) or a running
// server reached over the REST API (RemoteInventory). The CLI is written against this and nothing else.

import type { BlendedView } from '../model/blend.js';
import type { InventoryObject, ObjectKind } from '../model/kinds.js';
import type { Settings } from '../model/settings.js';
import type { ObjectRef } from '../store/store.js';
import type { AutoinstallTarget } from '../templates/install-urls.js';
import type { Changes, EditOptions, ListQuery } from './types.js';

export interface InventoryBackend {
  list(kind: ObjectKind, query?: ListQuery): Promise<InventoryObject[]>;
  get(kind: ObjectKind, name: string): Promise<InventoryObject>;
  add(kind: ObjectKind, changes: Changes, options?: EditOptions): Promise<InventoryObject>;
  edit(kind: ObjectKind, name: string, changes: Changes, options?: EditOptions): Promise<InventoryObject>;
  copy(kind: ObjectKind, name: string, newName: string, changes?: Changes): Promise<InventoryObject>;
  rename(kind: ObjectKind, name: string, newName: string): Promise<InventoryObject>;
  remove(kind: ObjectKind, name: string, options?: { recursive?: boolean }): Promise<ObjectRef[]>;
  blended(kind: ObjectKind, name: string): Promise<BlendedView>;
  rendered(kind: ObjectKind, name: string): Promise<Record<string, unknown>>;
  settings(): Promise<Settings>;
  setSetting(name: string, value: unknown): Promise<Settings>;
  resetSetting(name: string): Promise<Settings>;
  randomMac(virtType?: string): Promise<string>;
}

/** What validate-autoinstalls reports for one system or profile. */
export interface ValidationResult {
  kind: 'system' | 'profile';
  name: string;
  template: string;
  /** Empty when the file rendered cleanly. */
  errors: string[];
}

/** Rendering for a system or profile: the local AutoinstallRenderer, or a running server over REST. */
export interface RenderBackend {
  variables(target: AutoinstallTarget): Promise<Record<string, unknown>>;
  autoinstall(target: AutoinstallTarget): Promise<{ template: string; text: string }>;
  validateAll(): Promise<ValidationResult[]>;
}
