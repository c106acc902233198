// DHCP lease state: which address is offered to, bound to or declined by which client, and until when. The policy
// reads it and says what to write; the server writes before it answers, so an acknowledged lease survives a crash
// (RFC 2131 §4.3.1 "the server MUST NOT reuse a committed address" relies on that). One record per address. DHCP
// depends on this interface only; the implementations sit beside it (memory-lease-store.ts, sqlite-lease-store.ts).

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
   * replaces the client's other offered or bound lease: a client holds one address at a time. Reads see the write
   * as soon as upsert is called; the promise settles once it is durable, which for an offer may be at once (an
   * offer is no commitment, RFC 2131 §4.3.1, and a lost one only frees its address early).
   */
  upsert(lease: Lease): Promise<void>;
  /** Frees the address (DHCPRELEASE, or an offer the client turned down). Seen and settled as upsert is. */
  release(address: string): Promise<void>;
  /** Removes every lease whose time ran out before `now` and returns them. */
  expire(now: number): Promise<Lease[]>;
  all(): Promise<Lease[]>;
  close(): Promise<void>;
}
