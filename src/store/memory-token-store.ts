// Login tokens in the server's memory: a restart logs everybody out, as in Cobbler.

import type { TokenSession, TokenStore } from './token-store.js';

export class InMemoryTokenStore implements TokenStore {
  readonly #sessions = new Map<string, TokenSession>();

  async put(token: string, session: TokenSession): Promise<void> {
    this.#sessions.set(token, { ...session });
  }

  async get(token: string): Promise<TokenSession | undefined> {
    const session = this.#sessions.get(token);
    return session ? { ...session } : undefined;
  }

  async extend(token: string, expiresAt: number): Promise<void> {
    const session = this.#sessions.get(token);
    if (session) session.expiresAt = expiresAt;
  }

  async delete(token: string): Promise<boolean> {
    return this.#sessions.delete(token);
  }

  async deleteExpired(now: number): Promise<number> {
    let deleted = 0;
    // Logins are rare and slow (scrypt), so the walk over every session at each one costs nothing that matters.
    for (const [token, session] of this.#sessions) {
      if (session.expiresAt > now) continue;
      this.#sessions.delete(token);
      deleted++;
    }
    return deleted;
  }

  async count(): Promise<number> {
    return this.#sessions.size;
  }
}
