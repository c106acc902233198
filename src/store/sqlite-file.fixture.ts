// For tests outside the store that play another process at the store's SQLite file (a sqlite3 shell, a second
// bootwright): holding its write lock, and reading what is on disk behind the store's back. Only src/store/ opens
// SQLite itself.

import Database from 'better-sqlite3';

export interface StoreFileLock {
  /** Commits the transaction that held the lock; the store can write again. */
  release(): void;
  close(): void;
}

/**
 * Holds the write lock of a store file, as a sqlite3 shell with a transaction open would: `BEGIN IMMEDIATE`, or
 * `BEGIN EXCLUSIVE`, until released.
 */
export function lockStoreFile(path: string, mode: 'immediate' | 'exclusive' = 'immediate'): StoreFileLock {
  const db = new Database(path);
  try {
    db.exec(`BEGIN ${mode === 'exclusive' ? 'EXCLUSIVE' : 'IMMEDIATE'}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    release: () => {
      if (db.inTransaction) db.exec('COMMIT');
    },
    close: () => db.close(),
  };
}

/** The DHCP lease row of an address as it is on disk, read on a connection of its own. */
export function leaseRowOnDisk(path: string, address: string): { mac: string; state: string } | undefined {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT mac, state FROM dhcp_leases WHERE address = ?').get(address) as
      | { mac: string; state: string }
      | undefined;
  } finally {
    db.close();
  }
}
