// Sending files over HTTP with what installers and koan rely on: correct Content-Length, single byte ranges
// (RFC 9110 §14) for resumed downloads, ETag/Last-Modified with conditional requests, and streaming, so that a
// 1 GB initrd never sits in memory. One plan decides status and headers; the Hono route turns it into a Response
// and the node:http listener's fast path (download-route.ts) writes it straight to the socket.

import { createReadStream, type Stats, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from 'hono';
import { LruCache } from '../iso9660/lru-cache.js';
import { noSniff } from './security-headers.js';

export interface FileSource {
  size: number;
  mtimeMs: number;
  /**
   * Names exactly these bytes (which file, and its inode, size and mtime where the source has them), so that a
   * small file can be kept in memory and is read again as soon as it changes; absent where no such name exists
   * (a tree on another web server), and then nothing is kept.
   */
  identity?: string;
  /** Where the source can read into the caller's buffers, a big file is sent that way rather than through read(). */
  openReader?(): Promise<FileReader>;
  /** Bytes start..end inclusive. */
  read(start: number, end: number): Readable;
}

export interface FileReader {
  /** Reads bytes from `position` into `buffer` (as many as it holds, or fewer); resolves with how many, 0 at the end. */
  readInto(buffer: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

/** Big reads: a kernel goes out in 40 writes of 1 MiB rather than 640 of the default 64 KiB. */
const fileChunkBytes = 1024 * 1024;

export function localFileSource(path: string, stats: Stats = statSync(path)): FileSource {
  return new LocalFileSource(path, stats);
}

/** A class, not an object of closures: one is made for every download, and methods cost nothing to make. */
class LocalFileSource implements FileSource {
  readonly size: number;
  readonly mtimeMs: number;
  readonly identity: string;

  constructor(
    private readonly path: string,
    stats: Stats,
  ) {
    this.size = stats.size;
    this.mtimeMs = stats.mtimeMs;
    this.identity = `file:${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${path}`;
  }

  async openReader(): Promise<FileReader> {
    const handle = await open(this.path, 'r');
    return {
      readInto: async (buffer, position) => (await handle.read(buffer, 0, buffer.length, position)).bytesRead,
      close: () => handle.close(),
    };
  }

  read(start: number, end: number): Readable {
    return createReadStream(this.path, { start, end, highWaterMark: fileChunkBytes });
  }
}

/**
 * Small files (boot configs, .treeinfo, repodata, 2 KiB initrds in tests) are served from memory: reading each one
 * again costs a trip through libuv's thread pool, which at thousands of requests a second is most of the work. Keyed
 * by the source's identity, so a changed file is read again on its next request.
 */
const smallFileMaxBytes = 256 * 1024;
const smallFiles = new LruCache<string, Buffer>(64 * 1024 * 1024, (bytes) => bytes.length);

async function readWhole(source: FileSource): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source.read(0, source.size - 1)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The body for bytes start..end: a buffer for a small file (kept for the next request), else a stream. */
async function bodyOf(source: FileSource, start: number, end: number): Promise<Buffer | Readable> {
  if (source.identity === undefined || source.size > smallFileMaxBytes) return source.read(start, end);
  let whole = smallFiles.get(source.identity);
  if (whole === undefined) {
    whole = await readWhole(source);
    // A file that changed while read is served as read, but not kept under the name of its old bytes.
    if (whole.length !== source.size) return whole.subarray(start, end + 1);
    smallFiles.set(source.identity, whole);
  }
  return start === 0 && end === whole.length - 1 ? whole : whole.subarray(start, end + 1);
}

/**
 * Sends bytes start..end of a file through two buffers used in turn: one is read into while the other is written
 * to the socket, and none is allocated per chunk. A stream allocates a buffer per chunk, and for kernels sent to
 * many clients the garbage collector then did as much work as the socket writes.
 */
async function pumpFile(
  reader: FileReader,
  start: number,
  end: number,
  response: ServerResponse,
): Promise<void> {
  try {
    const gone = new Promise<void>((resolve) => response.once('close', resolve));
    const buffers = [Buffer.allocUnsafe(fileChunkBytes), Buffer.allocUnsafe(fileChunkBytes)];
    const written: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
    let turn = 0;
    for (let position = start; position <= end; turn ^= 1) {
      // A buffer is read into again only once the socket is done with its last chunk.
      await Promise.race([written[turn], gone]);
      if (response.destroyed) return;
      const buffer = buffers[turn] as Buffer;
      const bytesRead = await reader.readInto(
        buffer.subarray(0, Math.min(buffer.length, end + 1 - position)),
        position,
      );
      if (bytesRead === 0) throw new Error(`The file ended at byte ${position} of the ${end + 1} promised`);
      // A failed write needs no handling here: the socket is destroyed, and the next turn sees it.
      written[turn] = new Promise<void>((resolve) =>
        response.write(buffer.subarray(0, bytesRead), () => resolve()),
      );
      position += bytesRead;
    }
    await Promise.race([Promise.all(written), gone]);
    if (!response.destroyed) response.end();
  } finally {
    await reader.close();
  }
}

function etagOf(source: FileSource): string {
  return `"${source.size.toString(16)}-${Math.floor(source.mtimeMs).toString(16)}"`;
}

/** A file's validators and the headers of its whole-file 200, which every request but a conditional or range gets. */
interface FileHeaders {
  contentType: string;
  etag: string;
  lastModified: string;
  whole: Readonly<Record<string, string>>;
}

function fileHeadersOf(source: FileSource, contentType: string): FileHeaders {
  const etag = etagOf(source);
  const lastModified = new Date(source.mtimeMs).toUTCString();
  // Named key by key, not spread: a spread made this object slow to build and to read (a dictionary, not a shape),
  // which cost a small file's download a tenth of its time.
  const whole: Record<string, string> = {
    'x-content-type-options': noSniff['x-content-type-options'],
    'content-type': contentType,
    'accept-ranges': 'bytes',
    etag,
    'last-modified': lastModified,
    'content-length': String(source.size),
  };
  return { contentType, etag, lastModified, whole };
}

/**
 * Kept per source identity (which names the bytes, so their size and mtime): formatting the date, the ETag and the
 * length again for every download of a small file was a tenth of its cost. Bounded by clearing: a busy server's
 * files are back in it after one request each.
 */
const fileHeadersByIdentity = new Map<string, FileHeaders>();

function knownFileHeaders(source: FileSource, contentType: string): FileHeaders {
  if (source.identity === undefined) return fileHeadersOf(source, contentType);
  const kept = fileHeadersByIdentity.get(source.identity);
  if (kept !== undefined && kept.contentType === contentType) return kept;
  if (fileHeadersByIdentity.size >= 4096) fileHeadersByIdentity.clear();
  const made = fileHeadersOf(source, contentType);
  fileHeadersByIdentity.set(source.identity, made);
  return made;
}

/** Parses `bytes=a-b`, `bytes=a-` and `bytes=-n`; undefined for anything we do not serve as a range. */
export function parseRange(
  header: string,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** What of a request decides the answer: its method and its conditional and Range headers. */
export interface FileRequest {
  method: string;
  ifNoneMatch?: string | undefined;
  range?: string | undefined;
  ifRange?: string | undefined;
}

export interface FilePlan {
  status: 200 | 206 | 304 | 416;
  /** Not to be changed: the whole-file 200's headers are shared by every request for the same bytes. */
  headers: Readonly<Record<string, string>>;
  /** The bytes to send, inclusive; absent when there is no body (HEAD, 304, 416, an empty file). */
  body?: { start: number; end: number };
}

/** Status, headers and which bytes to send, from the request's method, conditional and Range headers. */
export function planFileResponse(
  request: FileRequest,
  source: FileSource,
  contentType = 'application/octet-stream',
): FilePlan {
  const known = knownFileHeaders(source, contentType);
  const { etag } = known;
  const rangeHeader = request.range;
  const head = request.method === 'HEAD';
  if (request.ifNoneMatch === undefined && rangeHeader === undefined) return whole(known, source, head);
  const headers: Record<string, string> = {
    'x-content-type-options': noSniff['x-content-type-options'],
    'content-type': contentType,
    'accept-ranges': 'bytes',
    etag,
    'last-modified': known.lastModified,
  };
  if (request.ifNoneMatch === etag) return { status: 304, headers };
  const ifRange = request.ifRange;
  const range =
    rangeHeader && (!ifRange || ifRange === etag) ? parseRange(rangeHeader, source.size) : undefined;
  if (range === 'unsatisfiable') {
    return {
      status: 416,
      headers: { ...headers, 'content-range': `bytes */${source.size}`, 'content-length': '0' },
    };
  }
  if (range) {
    headers['content-length'] = String(range.end - range.start + 1);
    headers['content-range'] = `bytes ${range.start}-${range.end}/${source.size}`;
    return { status: 206, headers, ...(head ? {} : { body: range }) };
  }
  return whole(known, source, head);
}

function whole(known: FileHeaders, source: FileSource, head: boolean): FilePlan {
  if (head || source.size === 0) return { status: 200, headers: known.whole };
  return { status: 200, headers: known.whole, body: { start: 0, end: source.size - 1 } };
}

export async function fileResponse(
  context: Context,
  source: FileSource,
  contentType = 'application/octet-stream',
): Promise<Response> {
  const plan = planFileResponse(
    {
      method: context.req.method,
      ifNoneMatch: context.req.header('if-none-match'),
      range: context.req.header('range'),
      ifRange: context.req.header('if-range'),
    },
    source,
    contentType,
  );
  if (!plan.body) return new Response(null, { status: plan.status, headers: plan.headers });
  const body = await bodyOf(source, plan.body.start, plan.body.end);
  return new Response(
    Buffer.isBuffer(body)
      ? (body as Uint8Array<ArrayBuffer>)
      : (Readable.toWeb(body) as ReadableStream<Uint8Array>),
    { status: plan.status, headers: plan.headers },
  );
}

/**
 * The same answer as fileResponse, written to node:http's response without a web Request, Response or stream in
 * between. Resolves with the status once the headers are written, while the body goes on streaming; a source that
 * fails mid-body cuts the connection, as the Content-Length already promised more.
 */
export async function sendFile(
  request: IncomingMessage,
  response: ServerResponse,
  source: FileSource,
  contentType = 'application/octet-stream',
): Promise<number> {
  const plan = planFileResponse(
    {
      method: request.method ?? 'GET',
      ifNoneMatch: request.headers['if-none-match'],
      range: request.headers.range,
      ifRange: request.headers['if-range'] as string | undefined,
    },
    source,
    contentType,
  );
  if (!plan.body) {
    response.writeHead(plan.status, plan.headers).end();
    return plan.status;
  }
  const { start, end } = plan.body;
  // A small file already in memory is answered at once, without a promise's turn.
  const kept = source.identity === undefined ? undefined : smallFiles.get(source.identity);
  if (kept !== undefined) {
    response.writeHead(plan.status, plan.headers);
    response.end(start === 0 && end === kept.length - 1 ? kept : kept.subarray(start, end + 1));
    return plan.status;
  }
  if (source.openReader && (source.identity === undefined || source.size > smallFileMaxBytes)) {
    const reader = await source.openReader();
    response.writeHead(plan.status, plan.headers);
    // The Content-Length is promised: a file that cannot be read to the end cuts the connection.
    pumpFile(reader, start, end, response).catch((error: Error) => response.destroy(error));
    return plan.status;
  }
  const body = await bodyOf(source, start, end);
  response.writeHead(plan.status, plan.headers);
  if (Buffer.isBuffer(body)) response.end(body);
  else {
    // pipeline destroys both ends when the client goes away or the source fails; nothing else is left to do.
    pipeline(body, response).catch(() => {});
  }
  return plan.status;
}
