// Headers that tell browsers how little to trust what this server sends. Installers and koan ignore them; they
// matter when an operator opens a URL in a browser, where an uploaded install log, a rendered template or a tree's
// file name is text that someone else chose.

import type { MiddlewareHandler } from 'hono';

/** A browser must not take text a client uploaded for HTML or script (MIME sniffing; WHATWG Fetch, nosniff). */
export const noSniff = { 'x-content-type-options': 'nosniff' } as const;

/**
 * For HTML and uploaded text opened in a browser: no script, style, frame or form of any origin, and `sandbox`
 * gives the page an opaque origin, so that markup an installer wrote into its log cannot act as this server.
 */
export const lockedDownPolicy =
  "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox";

/**
 * Sent by the HTTPS listener only (RFC 6797 §7.2: a host must not send it over plain HTTP, where it means nothing
 * and could be injected). No includeSubDomains: the server does not speak for other hosts of its domain.
 */
export const strictTransportSecurity = 'max-age=31536000';

/** nosniff on every answer of the app, and the locked-down policy on every HTML one. */
export function securityHeaders(): MiddlewareHandler {
  return async (context, next) => {
    await next();
    const headers = context.res.headers;
    headers.set('x-content-type-options', noSniff['x-content-type-options']);
    if (headers.get('content-type')?.startsWith('text/html')) {
      headers.set('content-security-policy', lockedDownPolicy);
    }
  };
}
