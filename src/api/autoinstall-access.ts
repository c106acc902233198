// Who may read a system's or profile's rendered files and report its install steps while the autoinstall_secrets
// setting is on: whoever shows the object's secret (the URLs bootwright writes into boot configs and templates carry
// it), or an operator with a valid token. With the setting off, everyone, as in Cobbler.

import type { Context } from 'hono';
import { bearerToken } from '../auth/bearer-token.js';
import { type RequestTransport, refuseCredentialsInClear, transportOf } from '../auth/require-tls.js';
import { BootwrightError, quote } from '../errors.js';
import type { AutoinstallTarget } from '../templates/install-urls.js';
import type { ApiServices } from './services.js';

export async function requireAutoinstallSecret(
  services: ApiServices,
  target: AutoinstallTarget,
  given: string | undefined,
  token: string | undefined,
  transport: RequestTransport,
): Promise<void> {
  if ((await services.inventory.setting('autoinstall_secrets')) !== true) return;
  // The secret is checked before the object is looked up, so that a refusal does not tell whether the name exists.
  const secrets = services.renderer.secrets;
  if (secrets?.matches(target, given)) return;
  if (token !== undefined) {
    // With api_require_tls, a token over plain HTTP is refused here as on every other route that takes one.
    refuseCredentialsInClear(services.requireTls, transport);
    try {
      // Any valid token, as for the other secrets in reads (password hashes): operators debugging a kickstart.
      await services.auth.requireToken(token, 'read');
      return;
    } catch {
      // A dead token is refused like no token, below.
    }
  }
  throw new BootwrightError(
    'E_FORBIDDEN',
    `${target.kind === 'system' ? 'System' : 'Profile'} ${quote(target.name)} is protected by autoinstall_secrets: ${given === undefined ? 'this URL has no secret' : 'this secret is wrong'}; use the URL from its boot config or kernel options, or send a login token.`,
  );
}

/** The REST form: the secret in `?secret=HEX`, or a token in the Authorization header. */
export function requireAutoinstallSecretOf(
  services: ApiServices,
  context: Context,
  target: AutoinstallTarget,
): Promise<void> {
  return requireAutoinstallSecret(
    services,
    target,
    context.req.query('secret'),
    bearerToken(context),
    transportOf(context),
  );
}
