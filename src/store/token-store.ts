// Login tokens and whom they stand for. The rules of their lives (how long a token lasts after its last use and after
// its login) are auth/tokens.ts's; a store only keeps each session and its two deadlines, so that servers sharing
// one store accept each other's tokens.

import type { Role } from './user-store.js';

export interface TokenSession {
  user: string;
  role: Role;
  /** Milliseconds since the epoch after which the token is refused, unless its use moved it on. */
  expiresAt: number;
  /** The absolute end, milliseconds since the epoch; `expiresAt` never passes it. */
  endsAt: number;
}

export interface TokenStore {
  /** Keeps a new session under its token. */
  put(token: string, session: TokenSession): Promise<void>;
  get(token: string): Promise<TokenSession | undefined>;
  /** Moves a held session's expiry; a token revoked meanwhile stays revoked. */
  extend(token: string, expiresAt: number): Promise<void>;
  /** Forgets a token; false when it was not held. */
  delete(token: string): Promise<boolean>;
  /** Forgets every session whose expiry is at or before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
  /** How many sessions are held, expired ones included until they are deleted. */
  count(): Promise<number>;
}
