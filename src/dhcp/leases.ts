// DHCP lease state: which address is offered to, bound to or declined by which client, and until when. The policy
// reads it and says what to write; the server writes before it answers, so an acknowledged lease survives a crash
// (RFC 2131 §4.3.1 "the server MUST NOT reuse a committed address" relies on that). One row per address.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BootwrightError, quote } from '../errors.js';

/**
 * `offered`: held for a client between DHCPOFFER and DHCPREQUEST, so two clients are never offered one address.
 * `bound`: acknowledged. `declined`: a client reported the address in use (DHCPDECLINE); kept out of the pool until
 * it expires.
 */
export type LeaseState = 'offered' | 'bound' | 'declined';

export interface Lease {
  address: string;
  /** Lowercase, colon-separated. For a declined address, the client that declined it. */
  mac: string;
  state: LeaseState;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  hostname?: string;
  /** Option 61 as hex, when the client sent one. */
  clientId?: string;
}

export interface LeaseStore {
  /** The offered or bound lease of this client, expired or not (RFC 2131 §4.3.1 prefers a client's old address). */
  byMac(mac: string): Promise<Lease | undefined>;
  byAddress(address: string): Promise<Lease | undefined>;
  /**
   * Writes the lease for its address, replacing whatever held that address. An offered or bound lease also
   * replaces the client's other offered or bound lease: a client holds one address at a time.
   */
  upsert(lease: Lease): Promise<void>;
  /** Frees the address (DHCPRELEASE, or an offer the client turned down). */
  release(address: string): Promise<void>;
  /** Removes every lease whose time ran out before `now` and returns them. */
  expire(now: number): Promise<Lease[]>;
  all(): Promise<Lease[]>;
  close(): Promise<void>;
}

function holdsAddress(lease: Lease): boolean {
  return lease.state !== 'declined';
}

/** For unit tests and for `dhcp` mode off; forgets everything on restart. */
export class InMemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, Lease>();
  private readonly addressByMac = new Map<string, string>();

  async byMac(mac: string): Promise<Lease | undefined> {
    const address = this.addressByMac.get(mac);
    return address === undefined ? undefined : copy(this.leases.get(address));
  }

  async byAddress(address: string): Promise<Lease | undefined> {
    return copy(this.leases.get(address));
  }

  async upsert(lease: Lease): Promise<void> {
    this.removeAddress(lease.address);
    if (holdsAddress(lease)) {
      const previous = this.addressByMac.get(lease.mac);
      if (previous !== undefined) this.removeAddress(previous);
      this.addressByMac.set(lease.mac, lease.address);
    }
    this.leases.set(lease.address, { ...lease });
  }

  async release(address: string): Promise<void> {
    this.removeAddress(address);
  }

  async expire(now: number): Promise<Lease[]> {
    const expired = [...this.leases.values()].filter((lease) => lease.expiresAt < now);
    for (const lease of expired) this.removeAddress(lease.address);
    return expired;
  }

  async all(): Promise<Lease[]> {
    return [...this.leases.values()].map((lease) => ({ ...lease }));
  }

  async close(): Promise<void> {}

  private removeAddress(address: string): void {
    const lease = this.leases.get(address);
    if (!lease) return;
    this.leases.delete(address);
    if (holdsAddress(lease) && this.addressByMac.get(lease.mac) === address)
      this.addressByMac.delete(lease.mac);
  }
}

function copy(lease: Lease | undefined): Lease | undefined {
  return lease ? { ...lease } : undefined;
}

type LeaseRow = {
  address: string;
  mac: string;
  state: LeaseState;
  expires_at: number;
  hostname: string | null;
  client_id: string | null;
};

function rowToLease(row: LeaseRow | undefined): Lease | undefined {
  if (!row) return undefined;
  const lease: Lease = { address: row.address, mac: row.mac, state: row.state, expiresAt: row.expires_at };
  if (row.hostname !== null) lease.hostname = row.hostname;
  if (row.client_id !== null) lease.clientId = row.client_id;
  return lease;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dhcp_leases (
  address    TEXT PRIMARY KEY,
  mac        TEXT NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('offered', 'bound', 'declined')),
  expires_at INTEGER NOT NULL,
  hostname   TEXT,
  client_id  TEXT,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dhcp_leases_mac ON dhcp_leases (mac);
`;

/**
 * Leases in SQLite, on a connection of their own (the file may be the inventory store's): WAL and synchronous=FULL,
 * so a lease written before the DHCPACK went out is still there after a crash or a power cut.
 */
export class SqliteLeaseStore implements LeaseStore {
  private readonly statements;

  private constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    const columns = 'address, mac, state, expires_at, hostname, client_id';
    this.statements = {
      byMac: db.prepare<[string], LeaseRow>(
        `SELECT ${columns} FROM dhcp_leases WHERE mac = ? AND state != 'declined' ORDER BY updated_at DESC LIMIT 1`,
      ),
      byAddress: db.prepare<[string], LeaseRow>(`SELECT ${columns} FROM dhcp_leases WHERE address = ?`),
      removeOtherOfMac: db.prepare<[string, string]>(
        `DELETE FROM dhcp_leases WHERE mac = ? AND state != 'declined' AND address != ?`,
      ),
      put: db.prepare(
        `INSERT OR REPLACE INTO dhcp_leases (${columns}, updated_at)
         VALUES (@address, @mac, @state, @expiresAt, @hostname, @clientId, @updatedAt)`,
      ),
      release: db.prepare<[string]>('DELETE FROM dhcp_leases WHERE address = ?'),
      expired: db.prepare<[number], LeaseRow>(`SELECT ${columns} FROM dhcp_leases WHERE expires_at < ?`),
      expire: db.prepare<[number]>('DELETE FROM dhcp_leases WHERE expires_at < ?'),
      all: db.prepare<[], LeaseRow>(`SELECT ${columns} FROM dhcp_leases ORDER BY address`),
    };
  }

  static open(path: string): SqliteLeaseStore {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // The inventory store's writer may hold the lock for a moment when both share one file.
      db.pragma('busy_timeout = 10000');
      return new SqliteLeaseStore(db);
    } catch (error) {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `Cannot open the DHCP lease database at ${quote(path)}: ${(error as Error).message}.`,
      );
    }
  }

  async byMac(mac: string): Promise<Lease | undefined> {
    return rowToLease(this.statements.byMac.get(mac));
  }

  async byAddress(address: string): Promise<Lease | undefined> {
    return rowToLease(this.statements.byAddress.get(address));
  }

  async upsert(lease: Lease): Promise<void> {
    this.db
      .transaction(() => {
        if (holdsAddress(lease)) this.statements.removeOtherOfMac.run(lease.mac, lease.address);
        this.statements.put.run({
          address: lease.address,
          mac: lease.mac,
          state: lease.state,
          expiresAt: lease.expiresAt,
          hostname: lease.hostname ?? null,
          clientId: lease.clientId ?? null,
          updatedAt: Date.now(),
        });
      })
      .immediate();
  }

  async release(address: string): Promise<void> {
    this.statements.release.run(address);
  }

  async expire(now: number): Promise<Lease[]> {
    return this.db
      .transaction(() => {
        const expired = this.statements.expired.all(now).map((row) => rowToLease(row) as Lease);
        this.statements.expire.run(now);
        return expired;
      })
      .immediate();
  }

  async all(): Promise<Lease[]> {
    return this.statements.all.all().map((row) => rowToLease(row) as Lease);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
