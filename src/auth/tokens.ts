import { randomBytes } from 'node:crypto';
import { invalid, quote } from '../errors.js';

export type Role = 'admin' | 'readonly';

export interface TokenOwner {
  user: string;
  role: Role;
}

export interface TokenIssuerOptions {
  ttlSeconds: number;
  /** Milliseconds since the epoch, like Date.now; tests pass a fake clock. */
  now?: () => number;
}

interface Session extends TokenOwner {
  expiresAt: number;
}

/** Login tokens kept in memory: each lasts `ttlSeconds` after its last use, like Cobbler's token refresh. */
export class TokenIssuer {
  readonly #ttlMs: number;
  readonly #now: () => number;
  // Every token is (re)inserted with the same TTL, so the map's insertion order is also the order of expiry.
  readonly #sessions = new Map<string, Session>();

  constructor({ ttlSeconds, now = Date.now }: TokenIssuerOptions) {
    if (!(ttlSeconds > 0)) {
      throw invalid(
        `Token lifetime ${quote(ttlSeconds)} is not a positive number of seconds; set a positive value.`,
      );
    }
    this.#ttlMs = ttlSeconds * 1000;
    this.#now = now;
  }

  issue(user: string, role: Role): string {
    this.#pruneExpired();
    const token = randomBytes(32).toString('base64url');
    this.#sessions.set(token, { user, role, expiresAt: this.#now() + this.#ttlMs });
    return token;
  }

  /** The owner of a live token, extending its life; undefined for an unknown or expired token. */
  check(token: string): TokenOwner | undefined {
    const session = this.#sessions.get(token);
    if (!session) return undefined;
    const now = this.#now();
    this.#sessions.delete(token);
    if (now >= session.expiresAt) return undefined;
    session.expiresAt = now + this.#ttlMs;
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
