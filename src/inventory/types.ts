// The shapes a caller hands the inventory: what to change and how, and what to search for. Kept apart from the
// code so that the inventory, its remote stand-in (RemoteInventory) and the interface both implement can share
// them without importing each other.

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
