// Values that let someone into machines: the power-management password and the root password hash that templates
// write into kickstarts. Reads are open, as in Cobbler (koan and scripts read without logging in), so these are
// shown only to a caller with a valid token; everyone else sees that a value is set, not what it is.

import type { Context } from 'hono';
import { bearerToken } from '../auth/bearer-token.js';
import { refuseCredentialsInClear, transportOf } from '../auth/require-tls.js';
import type { ApiServices } from './services.js';

export const secretFields: ReadonlySet<string> = new Set(['power_pass', 'default_password_crypted']);

export const REDACTED = '********';

/** A copy of `value` with every secret field's non-empty value replaced; untouched parts are shared, not copied. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const redacted = redactSecrets(item);
      if (redacted !== item) changed = true;
      return redacted;
    });
    return (changed ? items : value) as T;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    let replacement = item;
    if (secretFields.has(key)) {
      if (item !== '' && item !== null && item !== undefined && item !== '~') replacement = REDACTED;
    } else replacement = redactSecrets(item);
    if (replacement !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = replacement;
    }
  }
  return (copy ?? value) as T;
}

/**
 * Whether the request carries a live token (any role), sent the way the api_require_tls setting allows: who may see
 * the secrets in an open read.
 */
export async function hasReadToken(services: ApiServices, context: Context): Promise<boolean> {
  try {
    refuseCredentialsInClear(services.requireTls, transportOf(context));
    await services.auth.requireToken(bearerToken(context), 'read');
    return true;
  } catch {
    return false;
  }
}
