import { randomBytes } from 'node:crypto';
import { invalid, quote } from '../errors.js';

export type Role = 'admin' | 'readonly';

export interface TokenOwner {
  user: string;
  role: Role;
}

export interface TokenIssuerOptions {
  /** How long a token lives after its last use. */
  ttlSeconds: number;
  /** How long a token lives after its login however often it is used, so that a stolen token does not last forever. */
  maxLifetimeSeconds: number;
  /** Milliseconds since the epoch, like Date.now; tests pass a fake clock. */
  now?: () => number;
}

interface Session extends TokenOwner {
  expiresAt: number;
  /** The absolute end, `maxLifetimeSeconds` after the login; `expiresAt` never passes it. */
  endsAt: number;
}

/**
 * Login tokens kept in memory: each lasts `ttlSeconds` after its last use, like Cobbler's token refresh, and
 * never longer than `maxLifetimeSeconds` after its login.
 */
export class TokenIssuer {
  readonly #ttlMs: number;
  readonly #maxLifetimeMs: number;
  readonly #now: () => number;
  // Every token is (re)inserted with the same TTL, so the map's insertion order is the order of expiry, except
  // for tokens cut short by their absolute end: those are refused by check and pruned once the tokens before
  // them go.
  readonly #sessions = new Map<string, Session>();

  constructor({ ttlSeconds, maxLifetimeSeconds, now = Date.now }: TokenIssuerOptions) {
    if (!(ttlSeconds > 0)) {
      throw invalid(
        `Token lifetime ${quote(ttlSeconds)} is not a positive number of seconds; set a positive value.`,
      );
    }
    if (!(maxLifetimeSeconds > 0)) {
      throw invalid(
        `Token maximum lifetime ${quote(maxLifetimeSeconds)} is not a positive number of seconds; set a positive value.`,
      );
    }
    this.#ttlMs = ttlSeconds * 1000;
    this.#maxLifetimeMs = maxLifetimeSeconds * 1000;
    this.#now = now;
  }

  issue(user: string, role: Role): string {
    this.#pruneExpired();
    const token = randomBytes(32).toString('base64url');
    const now = this.#now();
    const endsAt = now + this.#maxLifetimeMs;
    this.#sessions.set(token, { user, role, expiresAt: Math.min(now + this.#ttlMs, endsAt), endsAt });
    return token;
  }

  /** The owner of a live token, extending its life up to its absolute end; undefined if unknown or expired. */
  check(token: string): TokenOwner | undefined {
    const session = this.#sessions.get(token);
    if (!session) return undefined;
    const now = this.#now();
    this.#sessions.delete(token);
    if (now >= session.expiresAt) return undefined;
    session.expiresAt = Math.min(now + this.#ttlMs, session.endsAt);
    this.#sessions.set(token, session);
    return { user: session.user, role: session.role };
  }

  /** Forgets a token; false when it was not known. */
  revoke(token: string): boolean {
    return this.#sessions.delete(token);
  }

  /** How many tokens are held, expired ones included until the next issue. */
  get size(): number {
    return this.#sessions.size;
  }

  #pruneExpired(): void {
    const now = this.#now();
    for (const [token, session] of this.#sessions) {
      if (session.expiresAt > now) break;
      this.#sessions.delete(token);
    }
  }
}
