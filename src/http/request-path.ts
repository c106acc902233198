// Percent-decoding of request paths (RFC 3986 §2.1). A `%` that starts no valid UTF-8 sequence
// (`/cblr/svc/op/ks/system/%E0%A4%A`) is the client's mistake: it gets a 400 naming the path, not a 500 and a
// stack trace in the server's log.

import type { MiddlewareHandler } from 'hono';
import { invalid, quote } from '../errors.js';

function malformed(path: string) {
  return invalid(
    `Path ${quote(path)} is not valid percent-encoding: each % must be followed by two hex digits, together forming UTF-8 (such as %2F or %C3%A9).`,
  );
}

/** One segment of `path`, percent-decoded. */
export function decodePathSegment(segment: string, path: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw malformed(path);
  }
}

/**
 * Refuses a request whose raw path cannot be decoded, before any route: Hono leaves such a path undecoded, and a
 * route would otherwise look up `%E0%A4%A` as a name or fail on it.
 */
export function refuseMalformedPaths(): MiddlewareHandler {
  return async (context, next) => {
    const url = context.req.url;
    const start = url.indexOf('/', url.indexOf('://') + 3);
    const query = url.indexOf('?', start);
    const path = start === -1 ? '/' : url.slice(start, query === -1 ? undefined : query);
    if (path.includes('%')) decodePathSegment(path, path);
    await next();
  };
}
