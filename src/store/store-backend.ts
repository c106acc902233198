// What a store backend opens: each persistent thing of a server behind its interface (open-store.ts picks the
// backend).

import type { LeaseStore } from './lease-store.js';
import type { Store } from './store.js';
import type { TokenStore } from './token-store.js';
import type { UserStore } from './user-store.js';

export interface StoreBackend {
  /** Objects, settings and the event log. */
  objects(): Store;
  /** DHCP leases, for a server that runs DHCP. */
  leases(): LeaseStore;
  /** Who may log in (the embedded backend needs `usersFile` for them). */
  users(): UserStore;
  /** Login tokens. */
  tokens(): TokenStore;
  /**
   * Lets go of what the backend shares between the stores it opened (a connection pool), after each of them that has
   * a close of its own was closed.
   */
  close(): Promise<void>;
}

export interface StoreBackendOptions {
  /** Where the embedded backend keeps the users: the users file of the data directory. */
  usersFile?: string;
}
