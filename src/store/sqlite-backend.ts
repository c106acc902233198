// The embedded backend: objects, settings, events and DHCP leases in one SQLite file, users in the users file beside
// it, login tokens in memory (one server per data directory).

import { BootwrightError } from '../errors.js';
import { InMemoryTokenStore } from './memory-token-store.js';
import { SqliteLeaseStore } from './sqlite-lease-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { StoreBackend, StoreBackendOptions } from './store-backend.js';
import { UsersFile } from './users-file.js';

export function sqliteBackend(path: string, { usersFile }: StoreBackendOptions): StoreBackend {
  return {
    objects: () => SqliteStore.open(path),
    // On connections of their own, in the same file as the objects.
    leases: () => SqliteLeaseStore.open(path),
    users: () => {
      if (usersFile === undefined) {
        throw new BootwrightError(
          'E_INTERNAL',
          'The sqlite: store keeps its users in a users file; name it.',
        );
      }
      return new UsersFile(usersFile);
    },
    tokens: () => new InMemoryTokenStore(),
    // Each store has connections of its own.
    close: async () => {},
  };
}
