// Reading request bodies with a size cap: a boot server's API must not buffer whatever a stranger sends.

import type { Context } from 'hono';
import { BootwrightError, invalid } from '../errors.js';

export const maxBodyBytes = 4 * 1024 * 1024;

export async function readBody(context: Context): Promise<Buffer> {
  const declared = Number(context.req.header('content-length') ?? 0);
  if (declared > maxBodyBytes) {
    throw new BootwrightError(
      'E_INVALID',
      `Request body of ${declared} bytes is over the ${maxBodyBytes}-byte limit.`,
    );
  }
  const body = Buffer.from(await context.req.arrayBuffer());
  if (body.length > maxBodyBytes) {
    throw new BootwrightError('E_INVALID', `Request body is over the ${maxBodyBytes}-byte limit.`);
  }
  return body;
}

/** The body parsed as JSON; an empty body reads as `{}`. */
export async function readJson(context: Context): Promise<unknown> {
  const body = await readBody(context);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw invalid(`Request body is not valid JSON: ${(error as Error).message}.`);
  }
}

export async function readJsonObject(context: Context): Promise<Record<string, unknown>> {
  const parsed = await readJson(context);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalid('Request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** The peer address of a request served by @hono/node-server; undefined in tests that call app.request(). */
export function remoteAddress(context: Context): string | undefined {
  const env = context.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}
