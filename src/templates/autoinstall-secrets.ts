// Per-object secrets in autoinstall URLs (the autoinstall_secrets setting), so that one machine cannot read another's
// kickstart, and the root password hash in it, by guessing its name. Each secret is derived, not stored: an
// HMAC-SHA256 of "system:NAME" or "profile:NAME" under a server key, so there is nothing to keep in step with the
// inventory (renaming an object changes its secret) and deleting the key file rotates every secret at once.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { ensureSharedSecret } from '../auth/shared-secret.js';
import type { AutoinstallTarget } from './install-urls.js';

/** 128 bits: more than enough against guessing over the network, and short on a 1023-character APPEND line. */
const secretHexLength = 32;

export function deriveAutoinstallSecret(key: string, target: AutoinstallTarget): string {
  return createHmac('sha256', key)
    .update(`${target.kind}:${target.name}`)
    .digest('hex')
    .slice(0, secretHexLength);
}

export class AutoinstallSecrets {
  #key: string | undefined;

  /**
   * `keyPath` is made (mode 0600, 32 random bytes) on first use; it is its own file rather than the CLI's shared
   * secret so that rotating one does not rotate the other.
   */
  constructor(private readonly keyPath: string) {}

  secretFor(target: AutoinstallTarget): string {
    this.#key ??= ensureSharedSecret(this.keyPath);
    return deriveAutoinstallSecret(this.#key, target);
  }

  /** Whether `given` is the target's secret, compared in constant time so that timing does not reveal a prefix. */
  matches(target: AutoinstallTarget, given: string | undefined): boolean {
    if (given === undefined) return false;
    const expected = Buffer.from(this.secretFor(target));
    const actual = Buffer.from(given.toLowerCase());
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
