// For the breeds' own tests: a SyncSession that downloads straight into a directory (with only the checks the
// contract promises: size, checksum, a 404 skipping an optional file, a known checksum not fetched twice), and a
// loopback HTTP origin serving a directory with autoindex pages and a log of what was asked. The real engine
// (engine.ts) adds snapshots, retries and resumption; the breeds must not depend on any of that.

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { TestContext } from 'node:test';
import { BootwrightError, quote } from '../errors.js';
import type { MirroredRepo, OriginFile, SyncSession } from './contract.js';

export function testRepo(
  fields: Partial<MirroredRepo> & Pick<MirroredRepo, 'name' | 'mirror' | 'breed'>,
): MirroredRepo {
  return {
    mirror_type: 'baseurl',
    arch: '',
    rpm_list: [],
    apt_dists: [],
    apt_components: [],
    createrepo_flags: '',
    proxy: '',
    ...fields,
  };
}

export interface TestSession extends SyncSession {
  /** Every file placed, by path. */
  readonly placed: Map<string, OriginFile>;
  readonly lines: string[];
}

export function testSession(repo: MirroredRepo, snapshotDir: string): TestSession {
  const placed = new Map<string, OriginFile>();
  const byChecksum = new Map<string, string>();
  const lines: string[] = [];
  const base = repo.mirror.endsWith('/') ? repo.mirror : `${repo.mirror}/`;

  async function fetchOne(file: OriginFile): Promise<OriginFile | undefined> {
    const target = resolve(snapshotDir, file.path);
    if (!target.startsWith(snapshotDir + sep))
      throw new Error(`path ${quote(file.path)} leaves the snapshot`);
    mkdirSync(dirname(target), { recursive: true });
    const known = file.checksum && byChecksum.get(`${file.checksum.type}:${file.checksum.value}`);
    if (known) {
      copyFileSync(known, target);
      return file;
    }
    const url = file.url ?? new URL(file.path, base).href;
    const response = await fetch(url);
    if (response.status === 404 && file.optional) return undefined;
    if (!response.ok)
      throw new BootwrightError('E_UNAVAILABLE', `${quote(url)} answered HTTP ${response.status}.`);
    const body = Buffer.from(await response.arrayBuffer());
    if (file.size !== undefined && body.length !== file.size)
      throw new BootwrightError('E_INVALID', `${file.path}: ${body.length} bytes, expected ${file.size}.`);
    if (file.checksum) {
      const actual = createHash(file.checksum.type).update(body).digest('hex');
      if (actual !== file.checksum.value)
        throw new BootwrightError(
          'E_INVALID',
          `${file.path}: ${file.checksum.type} ${actual}, expected ${file.checksum.value}.`,
        );
      byChecksum.set(`${file.checksum.type}:${file.checksum.value}`, target);
    }
    writeFileSync(target, body);
    return file;
  }

  return {
    repo,
    placed,
    lines,
    async fetch(files) {
      const results = await Promise.all(files.map(fetchOne));
      const done = results.filter((file): file is OriginFile => file !== undefined);
      for (const file of done) placed.set(file.path, file);
      return done;
    },
    async read(path) {
      if (!placed.has(path)) throw new Error(`${quote(path)} was not fetched into this snapshot`);
      return readFileSync(join(snapshotDir, path));
    },
    log(line) {
      lines.push(line);
    },
  };
}

/** Every file under `dir`, as sorted relative paths with forward slashes. */
export function filesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else found.push(relative(dir, path).split(sep).join('/'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return found.sort();
}

export interface StaticOrigin {
  /** http://127.0.0.1:PORT/ */
  base: string;
  /** The path and query of every request, in order. */
  requests: string[];
}

export type IndexStyle = 'apache' | 'nginx' | 'bootwright';

/**
 * Serves `root` on loopback: files as they are, directories (asked for with a trailing slash) as an index page in
 * the style given, the way the servers a wget repo points at write them. Closed when the test ends.
 */
export async function startStaticOrigin(
  context: { after: TestContext['after'] },
  root: string,
  style: IndexStyle = 'apache',
): Promise<StaticOrigin> {
  const requests: string[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? '/';
    requests.push(url);
    const path = decodeURIComponent(url.replace(/\?.*$/, ''));
    const target = resolve(root, `.${path}`);
    if (target !== root && !target.startsWith(root + sep)) return answer(response, 403, 'forbidden');
    if (!existsSync(target)) return answer(response, 404, 'not found');
    if (statSync(target).isDirectory()) {
      if (!path.endsWith('/')) {
        response.writeHead(301, { location: `${path}/` }).end();
        return;
      }
      const page = indexPage(target, path, style);
      response
        .writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) })
        .end(page);
      return;
    }
    const body = readFileSync(target);
    response.writeHead(200, { 'content-length': body.length }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  context.after(() => {
    server.closeAllConnections();
    return new Promise<void>((done) => server.close(() => done()));
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests };
}

function answer(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}

function indexPage(dir: string, urlPath: string, style: IndexStyle): string {
  const entries = readdirSync(dir)
    .sort()
    .map((name) => ({ name, directory: statSync(join(dir, name)).isDirectory() }));
  const href = (entry: { name: string; directory: boolean }) =>
    encodeURIComponent(entry.name) + (entry.directory ? '/' : '');
  if (style === 'apache') {
    // Apache's sort links (?C=N;O=D) and its absolute link to the parent directory.
    const parent = urlPath.replace(/[^/]+\/$/, '');
    const rows = entries.map((entry) => `<tr><td><a href="${href(entry)}">${entry.name}</a></td></tr>`);
    return `<html><body><h1>Index of ${urlPath}</h1><table><tr><th><a href="?C=N;O=D">Name</a></th>
<th><a href="?C=M;O=A">Last modified</a></th></tr><tr><td><a href="${parent}">Parent Directory</a></td></tr>
${rows.join('\n')}</table></body></html>`;
  }
  if (style === 'nginx') {
    const rows = entries.map(
      (entry) => `<a href="${href(entry)}">${entry.name}</a>     07-Dec-2026 12:00   -`,
    );
    return `<html><head><title>Index of ${urlPath}</title></head><body><h1>Index of ${urlPath}</h1><hr><pre><a href="../">../</a>\n${rows.join('\n')}\n</pre><hr></body></html>`;
  }
  // bootwright's own (src/api/tree-http.ts): single-quoted attributes would be legal too; it writes double quotes.
  const rows = entries.map(
    (entry) => `<a href="${href(entry)}">${entry.name}${entry.directory ? '/' : ''}</a>`,
  );
  return `<!DOCTYPE html>\n<html><head><title>Index of ${urlPath}</title></head><body>\n<pre>\n<a href="../">../</a>\n${rows.join('\n')}\n</pre>\n</body></html>\n`;
}
