// Downloads for reposync: node:http/https with redirects and an http:// proxy, a bounded pool, `.part` files resumed
// with Range, every file checked against the size and checksum its metadata gives, retried with back-off.

import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { BootwrightError, quote } from '../errors.js';
import type { ChecksumType } from './contract.js';

const maxRedirects = 5;
const idleTimeoutMs = 30_000;

/** Runs at most `size` tasks at once; the rest wait in order. */
export class Pool {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}

export interface DownloadOptions {
  /** An http:// proxy URL; '' for none. */
  proxy?: string;
  /** Tries for network errors and 5xx answers; default 3. */
  tries?: number;
  /** The first back-off, doubled on each retry; default 1 s. */
  retryDelayMs?: number;
  signal?: AbortSignal;
  /** Certificates (PEM) to trust for https:// origins instead of the system's, for a site's own CA. */
  ca?: string | Buffer;
  /** Bytes as they arrive (for progress); negative when a restart throws bytes away. */
  onBytes?: (bytes: number) => void;
}

export interface DownloadRequest {
  url: string;
  /** The name a person reads in messages: `Packages/foo-1.0.rpm`. */
  label: string;
  /** Where the verified file ends up; `${target}.part` (and `.part.json`) hold it while it downloads. */
  target: string;
  size?: number;
  checksum?: { type: ChecksumType; value: string };
  optional?: boolean;
  /** Validators of the copy already held: the origin answers 304 when it has not changed. */
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

export type DownloadOutcome =
  | {
      kind: 'downloaded';
      sha256: string;
      size: number;
      etag?: string;
      lastModified?: string;
      received: number;
    }
  | { kind: 'not-modified' }
  | { kind: 'missing' };

/** A failure worth another try (a cut connection, a 5xx), as opposed to one that would only fail again. */
class Transient extends Error {}

interface PartMeta {
  url: string;
  etag?: string;
  lastModified?: string;
}

const checksumNames: Record<ChecksumType, string> = {
  sha256: 'SHA-256',
  sha512: 'SHA-512',
  sha384: 'SHA-384',
  sha224: 'SHA-224',
  sha1: 'SHA-1',
  md5: 'MD5',
};

/** Yum metadata says `sha` for SHA-1 (createrepo's old name) and apt's fields are upper case. */
export function checksumType(name: string): ChecksumType | undefined {
  const lower = name.toLowerCase().replace(/-/g, '');
  if (lower === 'sha') return 'sha1';
  return lower in checksumNames ? (lower as ChecksumType) : undefined;
}

/** Downloads one file into `target`, verified; resumes a `.part` left by an earlier try or an earlier process. */
export async function download(
  request: DownloadRequest,
  options: DownloadOptions = {},
): Promise<DownloadOutcome> {
  const tries = Math.max(1, options.tries ?? 3);
  const baseDelay = options.retryDelayMs ?? 1000;
  let checksumRetried = false;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await attemptDownload(request, options);
    } catch (error) {
      if (options.signal?.aborted) throw abortError(request);
      if (error instanceof ChecksumMismatch) {
        // The origin may have been mid-update (a package replaced under the same name): one fresh try, then fail.
        await discardPart(request.target);
        if (checksumRetried) throw error.failure;
        checksumRetried = true;
        continue;
      }
      if (!(error instanceof Transient)) throw error;
      if (attempt >= tries)
        throw new BootwrightError(
          'E_UNAVAILABLE',
          `${request.label} from ${quote(request.url)} failed ${tries} time${tries === 1 ? '' : 's'} (${error.message}); check that the origin answers, or raise --tries.`,
        );
      await sleep(baseDelay * 2 ** (attempt - 1), options.signal);
    }
  }
}

class ChecksumMismatch extends Error {
  constructor(readonly failure: BootwrightError) {
    super(failure.message);
  }
}

function abortError(request: DownloadRequest): BootwrightError {
  return new BootwrightError('E_UNAVAILABLE', `The download of ${request.label} was cancelled.`);
}

async function discardPart(target: string): Promise<void> {
  await rm(`${target}.part`, { force: true });
  await rm(`${target}.part.json`, { force: true });
}

async function readPartMeta(target: string): Promise<PartMeta | undefined> {
  try {
    return JSON.parse(await readFile(`${target}.part.json`, 'utf8')) as PartMeta;
  } catch {
    return undefined;
  }
}

async function partSize(target: string): Promise<number> {
  try {
    return (await stat(`${target}.part`)).size;
  } catch {
    return 0;
  }
}

async function attemptDownload(request: DownloadRequest, options: DownloadOptions): Promise<DownloadOutcome> {
  const meta = await readPartMeta(request.target);
  let have = meta?.url === request.url ? await partSize(request.target) : 0;
  if (have === 0) await discardPart(request.target);
  // A part as long as the whole file needs no request: only its check.
  if (have > 0 && request.size !== undefined && have >= request.size)
    return await finish(request, meta, have);

  const headers: Record<string, string> = {};
  if (have > 0) {
    headers.range = `bytes=${have}-`;
    // If-Range: a file that changed at the origin comes whole (200) instead of a tail glued onto the old head.
    const validator = meta?.etag ?? meta?.lastModified;
    if (validator) headers['if-range'] = validator;
  } else {
    if (request.ifNoneMatch) headers['if-none-match'] = request.ifNoneMatch;
    if (request.ifModifiedSince) headers['if-modified-since'] = request.ifModifiedSince;
  }
  const response = await get(request.url, headers, options);
  const status = response.statusCode ?? 0;
  if (status === 304 && have === 0) {
    response.resume();
    return { kind: 'not-modified' };
  }
  if (status === 404 || status === 410) {
    response.resume();
    if (request.optional) return { kind: 'missing' };
    throw new BootwrightError(
      'E_NOT_FOUND',
      `${request.label} is not at the origin (${quote(request.url)} answered HTTP ${status}); the origin's metadata names a file it does not have: run reposync again later, or check the repo's mirror URL.`,
    );
  }
  if (status === 416 && have > 0) {
    // Our part is longer than the file now is: the file changed; start over.
    response.resume();
    await discardPart(request.target);
    options.onBytes?.(-have);
    throw new Transient(`the origin refused the range from byte ${have}`);
  }
  if (status >= 500) {
    response.resume();
    throw new Transient(`HTTP ${status}`);
  }
  if (status !== 200 && status !== 206) {
    response.resume();
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `${request.label}: ${quote(request.url)} answered HTTP ${status}${status === 407 ? ' (the proxy wants credentials: give them in the repo proxy URL, http://user:password@host:port)' : ''}.`,
    );
  }
  let append = false;
  if (status === 206 && have > 0) {
    const start = /^bytes (\d+)-/.exec(String(response.headers['content-range'] ?? ''))?.[1];
    append = Number(start) === have;
  }
  if (!append && have > 0) {
    // The server ignored Range (or the file changed, If-Range): the whole file comes again.
    options.onBytes?.(-have);
    have = 0;
  }
  const nextMeta: PartMeta = {
    url: request.url,
    etag: headerValue(response.headers.etag),
    lastModified: headerValue(response.headers['last-modified']),
  };
  await writeFile(`${request.target}.part.json`, JSON.stringify(nextMeta));
  const expectedLength = Number(response.headers['content-length']);
  const received = await receiveBody(response, `${request.target}.part`, append, options);
  if (Number.isFinite(expectedLength) && received < expectedLength)
    throw new Transient(`the connection closed after ${received} of ${expectedLength} bytes`);
  return await finish(request, nextMeta, have + received, received);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function receiveBody(
  response: http.IncomingMessage,
  path: string,
  append: boolean,
  options: DownloadOptions,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const file = createWriteStream(path, { flags: append ? 'a' : 'w' });
    let received = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      response.destroy();
      file.destroy();
      // A full disk is not worth another try; everything from the network is.
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') reject(error);
      else reject(new Transient(error.message || 'the connection was cut'));
    };
    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
      options.onBytes?.(chunk.length);
      if (!file.write(chunk)) {
        response.pause();
        file.once('drain', () => response.resume());
      }
    });
    response.on('error', fail);
    response.on('aborted', () => fail(new Error('the connection was cut')));
    file.on('error', fail);
    response.on('end', () => {
      file.end(() => {
        if (settled) return;
        settled = true;
        resolve(received);
      });
    });
    response.on('close', () => {
      if (!response.complete) fail(new Error(`the connection closed after ${received} bytes`));
    });
  });
}

/** Checks the part's size and checksums, then renames it to the target. */
async function finish(
  request: DownloadRequest,
  meta: PartMeta | undefined,
  size: number,
  received = 0,
): Promise<DownloadOutcome> {
  const part = `${request.target}.part`;
  if (request.size !== undefined && size !== request.size) {
    throw new ChecksumMismatch(
      new BootwrightError(
        'E_UNAVAILABLE',
        `${request.label} from ${quote(request.url)} is ${size} bytes, not the ${request.size} its metadata gives; the origin is corrupt or changed during the sync: run reposync again later.`,
      ),
    );
  }
  const hashes: Hash[] = [createHash('sha256')];
  if (request.checksum && request.checksum.type !== 'sha256') hashes.push(createHash(request.checksum.type));
  await new Promise<void>((resolve, reject) => {
    createReadStream(part)
      .on('data', (chunk) => {
        for (const hash of hashes) hash.update(chunk);
      })
      .on('error', reject)
      .on('end', resolve);
  });
  const [sha256, other] = hashes.map((hash) => hash.digest('hex')) as [string, string | undefined];
  if (request.checksum) {
    const actual = request.checksum.type === 'sha256' ? sha256 : (other ?? '');
    if (actual !== request.checksum.value.toLowerCase()) {
      const name = checksumNames[request.checksum.type];
      throw new ChecksumMismatch(
        new BootwrightError(
          'E_UNAVAILABLE',
          `${request.label} from ${quote(request.url)} has ${name} ${actual}, not the ${request.checksum.value} its metadata gives; the origin is corrupt or changed during the sync: run reposync again later.`,
        ),
      );
    }
  }
  await rename(part, request.target);
  await rm(`${part}.json`, { force: true });
  return { kind: 'downloaded', sha256, size, etag: meta?.etag, lastModified: meta?.lastModified, received };
}

/** GET with redirects, through the proxy when there is one; network failures are Transient. */
async function get(
  url: string,
  headers: Record<string, string>,
  options: DownloadOptions,
): Promise<http.IncomingMessage> {
  let current = url;
  for (let hop = 0; ; hop += 1) {
    const response = await requestOnce(current, headers, options);
    const status = response.statusCode ?? 0;
    const location = headerValue(response.headers.location);
    if (![301, 302, 303, 307, 308].includes(status) || !location) return response;
    response.resume();
    if (hop >= maxRedirects)
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `${quote(url)} redirected more than ${maxRedirects} times (last to ${quote(location)}); point the repo's mirror at the final URL.`,
      );
    current = new URL(location, current).toString();
  }
}

function requestOnce(
  url: string,
  headers: Record<string, string>,
  options: DownloadOptions,
): Promise<http.IncomingMessage> {
  const target = parseUrl(url);
  const proxy = options.proxy ? parseUrl(options.proxy, 'proxy') : undefined;
  const proxyAuthorization =
    proxy && (proxy.username || proxy.password)
      ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`
      : undefined;
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
  const allHeaders: Record<string, string> = { 'user-agent': 'bootwright-reposync', ...headers };
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      // A certificate that is not trusted fails the same way on every try.
      if (/CERT|SELF_SIGNED|UNABLE_TO_|^ERR_TLS_/.test(code))
        reject(
          new BootwrightError(
            'E_UNAVAILABLE',
            `${quote(url)}: the origin's certificate is not trusted here (${code}); add its CA to this machine's trust store, or use the origin's http:// URL.`,
          ),
        );
      else reject(new Transient(code || error.message));
    };
    const started = (request: http.ClientRequest) => {
      request.setTimeout(idleTimeoutMs, () => request.destroy(new Error('no answer for 30 seconds')));
      request.on('response', (response) => {
        response.setTimeout(idleTimeoutMs, () => response.destroy(new Error('no data for 30 seconds')));
        resolve(response);
      });
      request.on('error', onError);
      if (options.signal) {
        const abort = () => request.destroy(new Error('cancelled'));
        if (options.signal.aborted) abort();
        options.signal.addEventListener('abort', abort, { once: true });
        request.on('close', () => options.signal?.removeEventListener('abort', abort));
      }
      request.end();
    };
    if (!proxy) {
      if (target.protocol === 'https:')
        started(
          https.request(target, {
            method: 'GET',
            headers: allHeaders,
            ...(options.ca ? { ca: options.ca } : {}),
          }),
        );
      else started(http.request(target, { method: 'GET', headers: allHeaders }));
      return;
    }
    const proxyPort = Number(proxy.port) || 80;
    if (target.protocol === 'http:') {
      // A proxy takes the absolute URI in the request line (RFC 9112 section 3.2.2).
      started(
        http.request({
          host: proxy.hostname,
          port: proxyPort,
          method: 'GET',
          path: target.toString(),
          headers: {
            ...allHeaders,
            host: target.host,
            ...(proxyAuthorization ? { 'proxy-authorization': proxyAuthorization } : {}),
          },
        }),
      );
      return;
    }
    // HTTPS through the proxy: a CONNECT tunnel, then TLS to the origin inside it (RFC 9110 section 9.3.6).
    const connect = http.request({
      host: proxy.hostname,
      port: proxyPort,
      method: 'CONNECT',
      path: `${target.hostname}:${port}`,
      headers: {
        host: `${target.hostname}:${port}`,
        ...(proxyAuthorization ? { 'proxy-authorization': proxyAuthorization } : {}),
      },
    });
    connect.setTimeout(idleTimeoutMs, () => connect.destroy(new Error('the proxy did not answer')));
    connect.on('error', onError);
    connect.on('connect', (answer, socket) => {
      if (answer.statusCode !== 200) {
        socket.destroy();
        reject(
          new BootwrightError(
            'E_UNAVAILABLE',
            `The proxy ${quote(options.proxy)} refused to tunnel to ${target.host} (HTTP ${answer.statusCode}).`,
          ),
        );
        return;
      }
      started(
        https.request(target, {
          method: 'GET',
          headers: allHeaders,
          // SNI names hosts only, never addresses (RFC 6066 section 3).
          createConnection: () =>
            tlsConnect({
              socket,
              host: target.hostname,
              ...(isIP(target.hostname) ? {} : { servername: target.hostname }),
              ...(options.ca ? { ca: options.ca } : {}),
            }),
        }),
      );
    });
    connect.end();
  });
}

function parseUrl(url: string, what = 'URL'): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BootwrightError('E_INVALID', `The ${what} ${quote(url)} is not a URL; give http://host/path.`);
  }
  if (what === 'proxy' && parsed.protocol !== 'http:')
    throw new BootwrightError(
      'E_INVALID',
      `The proxy ${quote(url)} is not an http:// URL; bootwright speaks to proxies over plain HTTP (http://host:port).`,
    );
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new BootwrightError(
      'E_INVALID',
      `The ${what} ${quote(url)} is neither http:// nor https://; reposync downloads over HTTP and HTTPS only.`,
    );
  return parsed;
}

/** A small document (a mirrorlist, a metalink) read whole; undefined when the origin answers 4xx. */
export async function fetchSmall(
  url: string,
  options: DownloadOptions = {},
  maxBytes = 8 * 1024 * 1024,
): Promise<Buffer | undefined> {
  const tries = Math.max(1, options.tries ?? 3);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await get(url, {}, options);
      const status = response.statusCode ?? 0;
      if (status >= 500) {
        response.resume();
        throw new Transient(`HTTP ${status}`);
      }
      if (status !== 200) {
        response.resume();
        return undefined;
      }
      const chunks: Buffer[] = [];
      let length = 0;
      for await (const chunk of response) {
        length += (chunk as Buffer).length;
        if (length > maxBytes)
          throw new BootwrightError(
            'E_INVALID',
            `${quote(url)} is over ${maxBytes} bytes; is it really a list?`,
          );
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks);
    } catch (error) {
      if (!(error instanceof Transient) || attempt >= tries) {
        if (error instanceof Transient) return undefined;
        throw error;
      }
      await sleep((options.retryDelayMs ?? 1000) * 2 ** (attempt - 1), options.signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
