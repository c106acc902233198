// Reading request bodies with a size cap: a boot server's API must not buffer whatever a stranger sends.

import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { BootwrightError, invalid } from '../errors.js';

export const maxBodyBytes = 4 * 1024 * 1024;

function tooLarge(limit: number, declared?: number): BootwrightError {
  return new BootwrightError(
    'E_TOO_LARGE',
    `Request body${declared === undefined ? '' : ` of ${declared} bytes`} is over the ${limit}-byte limit; send at most ${limit} bytes per request.`,
  );
}

/**
 * The request body, counted as it arrives: a chunked body declares no length, so the limit is enforced on the
 * bytes themselves, and reading stops at the limit (the answer then closes the connection, see api/app.ts) instead
 * of buffering whatever a stranger keeps sending.
 */
export async function readBody(context: Context, limit = maxBodyBytes): Promise<Buffer> {
  const declared = context.req.header('content-length');
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit, Number(declared));
  const incoming = (context.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming ? readIncoming(incoming, limit) : readWebStream(context.req.raw.body, limit);
}

/**
 * On node:http, from the socket's own stream rather than the web Request's: Readable.toWeb queues up to 16384
 * chunks ahead of its reader (Node 20), so a fast sender would fill memory behind a reader that stopped at the limit.
 * Here, a paused stream leaves the rest in the kernel's socket buffer, which TCP flow control bounds.
 */
export function readIncoming(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (settle: () => void) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onClose).off('close', onClose);
      settle();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        incoming.pause();
        finish(() => reject(tooLarge(limit)));
      } else chunks.push(chunk);
    };
    const onEnd = () => finish(() => resolve(Buffer.concat(chunks, size)));
    const onClose = () =>
      finish(() => reject(invalid('The client closed the connection before the request body ended.')));
    incoming.on('data', onData).on('end', onEnd).on('error', onClose).on('close', onClose);
  });
}

async function readWebStream(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
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

/** How long, and for how many more bytes, a refused body is read and thrown away before the connection closes. */
const lingerMs = 1_000;
const lingerBytes = maxBodyBytes;

/**
 * Closes the connection of a request whose body was refused once its answer is written, as nginx's lingering close
 * does: half-close, then read and discard for a moment before closing. Closing a socket that still holds unread
 * bytes makes the kernel send a reset, and a reset can reach the client before it has read the answer, which then
 * sees a dropped connection instead of the 413 that says why. Bounded in time and bytes, so that the sender is
 * still stopped far short of a huge body.
 */
export function closeAfterAnswer(incoming: IncomingMessage): void {
  const socket = incoming.socket;
  // node:http calls destroySoon once the answer of a `Connection: close` response is written.
  socket.destroySoon = () => {
    if (socket.writable) socket.end();
    let discarded = 0;
    const close = () => {
      clearTimeout(timer);
      incoming.off('data', onData);
      socket.destroy();
    };
    // The rest of the body still reaches the request (node:http parses it off the socket): counted, then dropped.
    const onData = (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > lingerBytes) close();
    };
    const timer = setTimeout(close, lingerMs);
    timer.unref();
    incoming.on('data', onData);
    socket.once('end', close);
  };
  incoming.resume();
}
