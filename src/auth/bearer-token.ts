// The token a request carries, from POST /api/v1/login: `Authorization: Bearer <token>` (RFC 6750 §2.1).

import type { Context } from 'hono';

export function bearerToken(context: Context): string | undefined {
  const header = context.req.header('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}
