// Sending files over HTTP with what installers and koan rely on: correct Content-Length, single byte ranges
// (RFC 9110 §14) for resumed downloads, ETag/Last-Modified with conditional requests, and streaming, so that a
// 1 GB initrd never sits in memory.

import { createReadStream, type Stats, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Context } from 'hono';

export interface FileSource {
  size: number;
  mtimeMs: number;
  /** Reads bytes start..end inclusive as a stream. */
  stream(start: number, end: number): ReadableStream<Uint8Array>;
}

export function localFileSource(path: string, stats: Stats = statSync(path)): FileSource {
  return {
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    stream: (start, end) =>
      Readable.toWeb(createReadStream(path, { start, end })) as ReadableStream<Uint8Array>,
  };
}

function etagOf(source: FileSource): string {
  return `"${source.size.toString(16)}-${Math.floor(source.mtimeMs).toString(16)}"`;
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

export function fileResponse(
  context: Context,
  source: FileSource,
  contentType = 'application/octet-stream',
): Response {
  const etag = etagOf(source);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'accept-ranges': 'bytes',
    etag,
    'last-modified': new Date(source.mtimeMs).toUTCString(),
  };
  if (context.req.header('if-none-match') === etag) return new Response(null, { status: 304, headers });
  const rangeHeader = context.req.header('range');
  const ifRange = context.req.header('if-range');
  const range =
    rangeHeader && (!ifRange || ifRange === etag) ? parseRange(rangeHeader, source.size) : undefined;
  const head = context.req.method === 'HEAD';
  if (range === 'unsatisfiable') {
    return new Response(null, {
      status: 416,
      headers: { ...headers, 'content-range': `bytes */${source.size}` },
    });
  }
  if (range) {
    const length = range.end - range.start + 1;
    return new Response(head ? null : source.stream(range.start, range.end), {
      status: 206,
      headers: {
        ...headers,
        'content-length': String(length),
        'content-range': `bytes ${range.start}-${range.end}/${source.size}`,
      },
    });
  }
  const body = head || source.size === 0 ? null : source.stream(0, source.size - 1);
  return new Response(body, { status: 200, headers: { ...headers, 'content-length': String(source.size) } });
}
