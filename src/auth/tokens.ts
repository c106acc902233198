import { randomBytes } from 'node:crypto';
import { invalid, quote } from '../errors.js';
import type { TokenStore } from '../store/token-store.js';
import type { Role } from '../store/user-store.js';

export interface TokenOwner {
  user: string;
  role: Role;
}

export interface TokenIssuerOptions {
  /** How long a token lives after its last use. */
  ttlSeconds: number;
  /** How long a token lives after its login however often it is used, so that a stolen token does not last forever. */
  maxLifetimeSeconds: number;
  /** Where the sessions are kept. */
  store: TokenStore;
  /** Milliseconds since the epoch, like Date.now; tests pass a fake clock. */
  now?: () => number;
}

/**
 * Login tokens: each lasts `ttlSeconds` after its last use, like Cobbler's token refresh, and never longer than
 * `maxLifetimeSeconds` after its login. The sessions are kept by a TokenStore.
 */
export class TokenIssuer {
  readonly #ttlMs: number;
  readonly #maxLifetimeMs: number;
  readonly #now: () => number;
  readonly #store: TokenStore;

  constructor({ ttlSeconds, maxLifetimeSeconds, store, now = Date.now }: TokenIssuerOptions) {
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
    this.#store = store;
    this.#now = now;
  }

  async issue(user: string, role: Role): Promise<string> {
    const now = this.#now();
    await this.#store.deleteExpired(now);
    const token = randomBytes(32).toString('base64url');
    const endsAt = now + this.#maxLifetimeMs;
    await this.#store.put(token, { user, role, expiresAt: Math.min(now + this.#ttlMs, endsAt), endsAt });
    return token;
  }

  /** The owner of a live token, extending its life up to its absolute end; undefined if unknown or expired. */
  async check(token: string): Promise<TokenOwner | undefined> {
    const session = await this.#store.get(token);
    if (!session) return undefined;
    const now = this.#now();
    if (now >= session.expiresAt) {
      await this.#store.delete(token);
      return undefined;
    }
    await this.#store.extend(token, Math.min(now + this.#ttlMs, session.endsAt));
    return { user: session.user, role: session.role };
  }

  /** Forgets a token; false when it was not known. */
  revoke(token: string): Promise<boolean> {
    return this.#store.delete(token);
  }

  /** How many tokens are held, expired ones included until the next issue. */
  count(): Promise<number> {
    return this.#store.count();
  }
}
