// A tree published by a web server (a mirror, another bootwright): files by GET with Range, sizes by HEAD, and
// directory contents read from the server's index page (Apache, nginx and bootwright all link each entry).

import { BootwrightError, invalid, quote } from '../errors.js';
import { cleanTreePath, type TreeEntry, type TreeSource } from './tree.js';

const timeoutMs = 30_000;

/** The entries an autoindex page links to, relative and one level down: `images/`, `.treeinfo`. */
export function parseIndexLinks(html: string): string[] {
  const names = new Set<string>();
  for (const match of html.matchAll(/href\s*=\s*"([^"]+)"|href\s*=\s*'([^']+)'/gi)) {
    let href = match[1] ?? match[2] ?? '';
    if (/^[a-z]+:|^\/|^\?|^#|^\.\.?\/?$/i.test(href)) continue;
    href = href.replace(/[?#].*$/, '');
    const name = decodeURIComponent(href.replace(/\/$/, ''));
    if (name && !name.includes('/')) names.add(name);
  }
  return [...names].sort();
}

export class HttpTree implements TreeSource {
  readonly kind = 'http';
  private readonly base: string;

  constructor(readonly location: string) {
    this.base = location.endsWith('/') ? location : `${location}/`;
  }

  private url(path: string, directory = false): string {
    const clean = cleanTreePath(path);
    const encoded = clean.split('/').filter(Boolean).map(encodeURIComponent).join('/');
    return `${this.base}${encoded}${directory && encoded ? '/' : ''}`;
  }

  private async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new BootwrightError('E_UNAVAILABLE', `Cannot reach ${quote(url)} (${reason}).`);
    }
  }

  async stat(path: string): Promise<TreeEntry | undefined> {
    const head = await this.fetch(this.url(path), { method: 'HEAD' });
    if (head.ok && !(head.headers.get('content-type') ?? '').startsWith('text/html')) {
      return {
        type: 'file',
        size: Number(head.headers.get('content-length') ?? 0),
        mtimeMs: Date.parse(head.headers.get('last-modified') ?? '') || 0,
      };
    }
    // An HTML answer may be a file that is HTML, or a directory index: a directory answers with a slash too.
    const asDirectory = await this.fetch(this.url(path, true), { method: 'HEAD' });
    if (asDirectory.ok) return { type: 'directory', size: 0, mtimeMs: 0 };
    if (head.ok) return { type: 'file', size: Number(head.headers.get('content-length') ?? 0), mtimeMs: 0 };
    return undefined;
  }

  async list(path: string): Promise<string[]> {
    const response = await this.fetch(this.url(path, true));
    if (!response.ok || !(response.headers.get('content-type') ?? '').startsWith('text/html')) return [];
    return parseIndexLinks(await response.text());
  }

  async readFile(path: string, maxBytes = 16 * 1024 * 1024): Promise<Buffer> {
    const response = await this.fetch(this.url(path));
    if (!response.ok)
      throw new BootwrightError('E_NOT_FOUND', `${quote(this.url(path))} answered HTTP ${response.status}.`);
    const body = Buffer.from(await response.arrayBuffer());
    if (body.length > maxBytes) throw invalid(`${quote(this.url(path))} is over ${maxBytes} bytes.`);
    return body;
  }

  async *read(path: string, start: number, end: number): AsyncIterable<Buffer> {
    if (end < start) return;
    const response = await this.fetch(this.url(path), { headers: { range: `bytes=${start}-${end}` } });
    if (response.status !== 206 && !(response.status === 200 && start === 0)) {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `${quote(this.url(path))} answered HTTP ${response.status} to a range request.`,
      );
    }
    let remaining = end - start + 1;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const piece = Buffer.from(chunk).subarray(0, remaining);
      remaining -= piece.length;
      yield piece;
      if (remaining <= 0) break;
    }
  }

  async close(): Promise<void> {}
}
