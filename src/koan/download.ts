// Kernel and initrd downloads into a local cache: resumed with a Range request after an interruption, checked
// against the size the server announces, and renamed into place only when complete, so a cached file is always a
// whole one. Progress is a redrawn bar on a terminal and a line every 10% otherwise.

import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BootwrightError } from '../errors.js';

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** `<cacheDir>/<hash of the URL>-<basename>`: one file per URL, readable by the hypervisor. */
export function cachePathFor(cacheDir: string, url: string): string {
  const base = new URL(url).pathname.split('/').filter(Boolean).pop() ?? 'file';
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 12);
  return join(cacheDir, `${hash}-${base.replaceAll(/[^\w.+-]/g, '_')}`);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function progressPrinter(out: ProgressSink, label: string, total: number | undefined) {
  let lastDecile = -1;
  return (done: number, finished = false) => {
    if (out.isTTY) {
      const fraction = total ? Math.min(1, done / total) : 0;
      const bar = total
        ? `[${'#'.repeat(Math.round(fraction * 30)).padEnd(30)}] ${Math.round(fraction * 100)}% `
        : '';
      out.write(`\r${label} ${bar}${megabytes(done)}${finished ? '\n' : ''}`);
      return;
    }
    // Without a known size there is nothing to count tenths of: one line at the end.
    const decile = total ? Math.floor((done / total) * 10) : finished ? 10 : -1;
    if (decile > lastDecile) {
      out.write(`${label}: ${megabytes(done)}${total ? ` of ${megabytes(total)}` : ''}\n`);
      lastDecile = decile;
    }
  };
}

/**
 * Downloads `url` to the cache unless a whole copy is there already (same size as the server says), resuming a
 * partial download. Returns the cached file's path.
 */
export async function downloadToCache(
  url: string,
  cacheDir: string,
  out: ProgressSink,
  label: string,
): Promise<string> {
  await mkdir(cacheDir, { recursive: true, mode: 0o755 });
  const target = cachePathFor(cacheDir, url);
  const partial = `${target}.part`;
  const head = await request(url, { method: 'HEAD' });
  const announced = Number(head.headers.get('content-length') ?? Number.NaN);
  const total = Number.isFinite(announced) ? announced : undefined;
  if (existsSync(target) && (total === undefined || statSync(target).size === total)) return target;
  let offset = existsSync(partial) ? statSync(partial).size : 0;
  if (total !== undefined && offset > total) offset = 0;
  const response = await request(url, offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {});
  // A server that ignores Range sends the whole file again: start over.
  if (offset > 0 && response.status !== 206) offset = 0;
  const show = progressPrinter(out, label, total);
  let done = offset;
  show(done);
  const counted = Readable.fromWeb(response.body as never).on('data', (chunk: Buffer) => {
    done += chunk.length;
    show(done);
  });
  let broken: unknown;
  try {
    await pipeline(counted, createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w', mode: 0o644 }));
  } catch (error) {
    // The connection dropped: what arrived stays in the .part file for the next run to resume from.
    broken = error;
  }
  const size = statSync(partial).size;
  if (broken !== undefined || (total !== undefined && size !== total)) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `Download of ${url} stopped at ${size}${total === undefined ? '' : ` of ${total}`} bytes; run the same command again to resume it.`,
    );
  }
  show(done, true);
  await rename(partial, target);
  return target;
}

async function request(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(10 * 60_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new BootwrightError('E_UNAVAILABLE', `Cannot download ${url}: ${cause}.`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `Download of ${url} answered HTTP ${response.status}; check that the distro's kernel and initrd exist on the server.`,
    );
  }
  return response;
}

export async function removeFromCache(cacheDir: string, url: string): Promise<void> {
  await rm(cachePathFor(cacheDir, url), { force: true });
}
