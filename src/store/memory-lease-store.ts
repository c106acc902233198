// Leases in memory: the index SqliteLeaseStore answers reads from, and a whole store of its own for tests (DHCP's
// policy and server tests) that forgets everything on restart.

import type { Lease, LeaseStore } from './lease-store.js';

function holdsAddress(lease: Lease): boolean {
  return lease.state !== 'declined';
}

/**
 * Leases by address and by client, in memory: all of InMemoryLeaseStore, and what SqliteLeaseStore answers reads
 * from. It hands out its own records; the stores copy them. Every change returns the addresses it touched.
 */
export class LeaseIndex {
  private readonly leases = new Map<string, Lease>();
  private readonly addressByMac = new Map<string, string>();

  byMac(mac: string): Lease | undefined {
    const address = this.addressByMac.get(mac);
    return address === undefined ? undefined : this.leases.get(address);
  }

  byAddress(address: string): Lease | undefined {
    return this.leases.get(address);
  }

  put(lease: Lease): string[] {
    const touched = [lease.address];
    this.remove(lease.address);
    if (holdsAddress(lease)) {
      const previous = this.addressByMac.get(lease.mac);
      if (previous !== undefined && this.remove(previous)) touched.push(previous);
      this.addressByMac.set(lease.mac, lease.address);
    }
    this.leases.set(lease.address, { ...lease });
    return touched;
  }

  /** True when the address was held. */
  remove(address: string): boolean {
    const lease = this.leases.get(address);
    if (!lease) return false;
    this.leases.delete(address);
    if (holdsAddress(lease) && this.addressByMac.get(lease.mac) === address)
      this.addressByMac.delete(lease.mac);
    return true;
  }

  expire(now: number): Lease[] {
    const expired = [...this.leases.values()].filter((lease) => lease.expiresAt < now);
    for (const lease of expired) this.remove(lease.address);
    return expired;
  }

  /** Copies, ordered by address as the SQLite store always listed them. */
  all(): Lease[] {
    return [...this.leases.values()]
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
      .map((lease) => ({ ...lease }));
  }
}

/** For unit tests and for `dhcp` mode off; forgets everything on restart. */
export class InMemoryLeaseStore implements LeaseStore {
  private readonly index = new LeaseIndex();

  async byMac(mac: string): Promise<Lease | undefined> {
    return copyLease(this.index.byMac(mac));
  }

  async byAddress(address: string): Promise<Lease | undefined> {
    return copyLease(this.index.byAddress(address));
  }

  async upsert(lease: Lease): Promise<void> {
    this.index.put(lease);
  }

  async release(address: string): Promise<void> {
    this.index.remove(address);
  }

  async expire(now: number): Promise<Lease[]> {
    return this.index.expire(now);
  }

  async all(): Promise<Lease[]> {
    return this.index.all();
  }

  async close(): Promise<void> {}
}

export function copyLease(lease: Lease | undefined): Lease | undefined {
  return lease ? { ...lease } : undefined;
}
