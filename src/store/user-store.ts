// The users who may log in, with their password hashes and roles. The server reads them at every login and every use
// of a token, so that `bootwright user add|remove` counts without a restart; the embedded backend keeps them in the
// users file of the data directory (users-file.ts), which an operator may also edit by hand.

import { invalid, quote } from '../errors.js';

export type Role = 'admin' | 'readonly';

export interface UserEntry {
  hash: string;
  role: Role;
}

export const userNamePattern = /^[A-Za-z0-9_.@-]+$/;

/** E_INVALID for a name no store accepts, quoted. */
export function assertUserName(name: string): void {
  if (!userNamePattern.test(name)) {
    throw invalid(
      `User name ${quote(name)} is not allowed; use only letters, digits, "_", ".", "@" and "-".`,
    );
  }
}

export interface UserStore {
  /** Every user with hash and role, in the order they were first added. */
  entries(): Promise<ReadonlyMap<string, UserEntry>>;
  get(name: string): Promise<UserEntry | undefined>;
  /**
   * Adds a user or changes a user's password hash, and returns the role the user has now. Without a role a new user
   * is an admin and an existing user keeps their role, so that resetting a read-only user's password never makes
   * them an admin. E_INVALID for a name outside `userNamePattern`.
   */
  set(name: string, hash: string, role?: Role): Promise<Role>;
  /** Removes a user; E_NOT_FOUND when there is no such user, E_INVALID for a name outside `userNamePattern`. */
  remove(name: string): Promise<void>;
}
