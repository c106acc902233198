// The api_require_tls setting: logins and every call that needs a token are refused over the plain-HTTP listener,
// so that passwords and tokens never cross the network in clear. Installers and firmware cannot do TLS with our
// certificate, so reads and the installer routes stay on plain HTTP.

import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { BootwrightError } from '../errors.js';

export interface RequireTls {
  /** The port of serve's HTTPS listener, named in the refusal. */
  httpsPort: number;
  /** The host named in the refusal when the request has no Host header (the `server` setting). */
  serverName: string;
}

export interface RequestTransport {
  /** True when the request came in on the HTTPS listener. */
  encrypted: boolean;
  /** The request's Host header, which names this server as the client reached it. */
  host?: string;
}

/**
 * How a request reached the app: the listener's own socket says whether it was TLS (a header could be forged).
 * Requests made without a socket (`app.request()` in tests) count as plain HTTP.
 */
export function transportOf(context: Context): RequestTransport {
  const incoming = (context.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const socket = incoming?.socket as { encrypted?: boolean } | undefined;
  const host = context.req.header('host');
  return { encrypted: socket?.encrypted === true, ...(host ? { host } : {}) };
}

/** Throws E_FORBIDDEN for a login or a token's use over plain HTTP when the server requires TLS for them. */
export function refuseCredentialsInClear(policy: RequireTls | undefined, transport: RequestTransport): void {
  if (!policy || transport.encrypted) return;
  let hostname = policy.serverName;
  try {
    if (transport.host) hostname = new URL(`http://${transport.host}`).hostname;
  } catch {
    // A malformed Host header names nothing useful; the server setting does.
  }
  const url = `https://${hostname}:${policy.httpsPort}`;
  throw new BootwrightError(
    'E_FORBIDDEN',
    `This server takes logins and changes only over ${url} (the api_require_tls setting), so that passwords and tokens never cross the network in clear; use that URL, e.g. --server=${url}.`,
  );
}
