import { createHash, timingSafeEqual } from 'node:crypto';
import { BootwrightError, invalid, quote } from '../errors.js';
import type { UserStore } from '../store/user-store.js';
import { hashPassword, verifyPassword } from './password.js';
import type { TokenIssuer, TokenOwner } from './tokens.js';

export type Access = 'read' | 'write';

export interface AuthenticatorOptions {
  /** Read at every login and every use of a token, so that the CLI's `user add|remove` count without a restart. */
  users: UserStore;
  /** Logging in with an empty user name and this secret gives an admin token for "<DIRECT>". */
  sharedSecret?: string;
  tokens: TokenIssuer;
  maxFailuresPerMinute?: number;
  /** Milliseconds since the epoch, like Date.now; tests pass a fake clock. */
  now?: () => number;
}

/** The user Cobbler reports for a login with the shared secret. */
export const DIRECT_USER = '<DIRECT>';

const WINDOW_MS = 60_000;
// Each sender of failed logins costs a few numbers of memory; past this many the oldest are forgotten.
const MAX_TRACKED_SENDERS = 10_000;

function sameSecret(a: string, b: string): boolean {
  // Hashing first gives equal lengths, so the comparison leaks neither the secret nor its length.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export class Authenticator {
  readonly #users: UserStore;
  readonly #sharedSecret: string | undefined;
  readonly #tokens: TokenIssuer;
  readonly #maxFailures: number;
  readonly #now: () => number;
  // Sender key to the times of its failed logins within the window, oldest first. Map order is the order of
  // each sender's latest failure, so pruning stops at the first sender still inside the window.
  readonly #failures = new Map<string, number[]>();
  #dummyHash: Promise<string> | undefined;

  constructor({
    users,
    sharedSecret,
    tokens,
    maxFailuresPerMinute = 10,
    now = Date.now,
  }: AuthenticatorOptions) {
    if (!Number.isInteger(maxFailuresPerMinute) || maxFailuresPerMinute < 1) {
      throw invalid(
        `Failed-login limit ${quote(maxFailuresPerMinute)} is not a positive whole number; set at least 1.`,
      );
    }
    this.#users = users;
    // An empty secret would let anyone in with an empty user name and password.
    this.#sharedSecret = sharedSecret === '' ? undefined : sharedSecret;
    this.#tokens = tokens;
    this.#maxFailures = maxFailuresPerMinute;
    this.#now = now;
  }

  /** Checks a user name and password (or "" and the shared secret) and returns a new token. */
  async login(user: string, password: string, source?: string): Promise<string> {
    // Also the key of the failure count; the two forms cannot collide.
    const sender = source === undefined ? `for user ${quote(user)}` : `from ${quote(source)}`;
    const now = this.#now();
    const recent = this.#recentFailures(sender, now);
    // Refused before the password is checked, so that guesses past the limit learn nothing.
    if (recent.length >= this.#maxFailures) {
      throw new BootwrightError(
        'E_UNAUTHORIZED',
        `Too many failed logins ${sender}; wait a minute and try again.`,
      );
    }
    // Counted as a failure before the slow password check, so that parallel guesses cannot all slip under the
    // limit; taken back unless the credentials turn out wrong.
    this.#recordFailure(sender, recent, now);
    const owner = await this.#authenticate(user, password).catch((error: unknown) => {
      this.#forgetFailure(sender, now);
      throw error;
    });
    if (!owner) {
      throw new BootwrightError(
        'E_UNAUTHORIZED',
        `Login failed for user ${quote(user)}: wrong user name or password.`,
      );
    }
    this.#forgetFailure(sender, now);
    // Success does not clear earlier failures: one known password must not buy unlimited guesses at others.
    return this.#tokens.issue(owner.user, owner.role);
  }

  /** Forgets a token; true when it was live. */
  logout(token: string): Promise<boolean> {
    return this.#tokens.revoke(token);
  }

  /** The owner of `token` if it grants `needed`; E_UNAUTHORIZED without a live token, E_FORBIDDEN without rights. */
  async requireToken(token: string | undefined, needed: Access): Promise<TokenOwner> {
    const owner = token ? await this.#currentOwner(token) : undefined;
    if (!owner) {
      throw new BootwrightError(
        'E_UNAUTHORIZED',
        'This change needs a valid login token; log in first (REST POST /api/v1/login or XML-RPC login) and send the token.',
      );
    }
    if (needed === 'write' && owner.role !== 'admin') {
      throw new BootwrightError(
        'E_FORBIDDEN',
        `User ${quote(owner.user)} may only read; log in as an admin user to make changes.`,
      );
    }
    return owner;
  }

  /**
   * The token's owner with the role the users file gives them now: a token must not outlive its user's removal or
   * keep write access after a demotion. The shared-secret user has no line in the file and keeps its role.
   */
  async #currentOwner(token: string): Promise<TokenOwner | undefined> {
    const owner = await this.#tokens.check(token);
    if (!owner || owner.user === DIRECT_USER) return owner;
    const entry = await this.#users.get(owner.user);
    if (!entry) {
      await this.#tokens.revoke(token);
      throw new BootwrightError(
        'E_UNAUTHORIZED',
        `User ${quote(owner.user)} of this login token has been removed; log in as another user.`,
      );
    }
    return { user: owner.user, role: entry.role };
  }

  async #authenticate(user: string, password: string): Promise<TokenOwner | undefined> {
    if (user === '') {
      const secret = this.#sharedSecret;
      return secret !== undefined && sameSecret(password, secret)
        ? { user: DIRECT_USER, role: 'admin' }
        : undefined;
    }
    const entry = await this.#users.get(user);
    // An unknown user still costs one hash, so that response time does not reveal which users exist.
    this.#dummyHash ??= hashPassword('no such user');
    const matches = await verifyPassword(password, entry?.hash ?? (await this.#dummyHash));
    return entry && matches ? { user, role: entry.role } : undefined;
  }

  #forgetFailure(sender: string, time: number): void {
    const times = this.#failures.get(sender);
    const index = times?.lastIndexOf(time) ?? -1;
    if (index < 0) return;
    times?.splice(index, 1);
    if (times?.length === 0) this.#failures.delete(sender);
  }

  /** The sender's failure times still inside the sliding window, after forgetting senders whose window passed. */
  #recentFailures(sender: string, now: number): number[] {
    for (const [key, times] of this.#failures) {
      if ((times.at(-1) ?? 0) > now - WINDOW_MS) break;
      this.#failures.delete(key);
    }
    return (this.#failures.get(sender) ?? []).filter((time) => time > now - WINDOW_MS);
  }

  #recordFailure(sender: string, recent: number[], now: number): void {
    this.#failures.delete(sender);
    this.#failures.set(sender, [...recent, now]);
    if (this.#failures.size > MAX_TRACKED_SENDERS) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }
}
