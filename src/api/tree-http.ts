// Install trees over HTTP, read in place from each distro's tree_source (an ISO image or a directory):
// `/distros/NAME/PATH`, and `/cblr/links/NAME/PATH` where Cobbler's templates and koan look for a tree. Files go
// through fileResponse (Range, ETag, HEAD); a directory gets an HTML index for people, since installers ask only
// for files they already know the names of (.treeinfo, repodata/, images/).

import { Readable } from 'node:stream';
import { type Context, Hono } from 'hono';
import type { BootFiles } from '../boot/boot-files.js';
import type { TreeEntry, TreeSource } from '../distros/tree.js';
import { BootwrightError, notFound, quote } from '../errors.js';
import { addDownloadRoute, type Download, type DownloadRoute } from '../http/download-route.js';
import type { FileSource } from '../http/file-response.js';
import { decodePathSegment } from '../http/request-path.js';
import { type RequestReport, reportRequests, reportServed } from './request-events.js';
import type { RouteModule } from './route-module.js';
import type { ApiServices } from './services.js';

/** Tells apart trees opened one after the other from the same location, whose entries may differ. */
const treeIds = new WeakMap<TreeSource, number>();
let lastTreeId = 0;

function treeIdOf(tree: TreeSource): number {
  let id = treeIds.get(tree);
  if (id === undefined) {
    id = ++lastTreeId;
    treeIds.set(tree, id);
  }
  return id;
}

/**
 * An ISO image's files are fixed while the tree is open (it is reopened when the distro's tree_source changes), so
 * the open tree and the path name their bytes; a directory tree's file is named by its inode, size and mtime; a tree
 * on another web server gives nothing trustworthy, so its files are never kept.
 */
function identityOf(tree: TreeSource, path: string, entry: TreeEntry): string | undefined {
  if (tree.kind === 'iso') return `iso:${treeIdOf(tree)}:${entry.size}:${entry.mtimeMs}:${path}`;
  if (tree.kind === 'directory' && entry.inode !== undefined)
    return `tree:${entry.inode}:${entry.size}:${entry.mtimeMs}:${tree.location}/${path}`;
  return undefined;
}

export function treeFileSource(tree: TreeSource, path: string, entry: TreeEntry): FileSource {
  const identity = identityOf(tree, path, entry);
  const readInto = tree.readInto?.bind(tree);
  return {
    size: entry.size,
    mtimeMs: entry.mtimeMs,
    ...(identity ? { identity } : {}),
    read: (start, end) => Readable.from(tree.read(path, start, end), { objectMode: false }),
    ...(readInto
      ? {
          openReader: async () => ({
            readInto: (buffer: Buffer, position: number) => readInto(path, buffer, position),
            close: async () => {},
          }),
        }
      : {}),
  };
}

const textTypes: Record<string, string> = {
  '.treeinfo': 'text/plain; charset=utf-8',
  '.discinfo': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.cfg': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
};

export function contentTypeOf(path: string): string {
  const name = path.split('/').pop() ?? '';
  const dot = name.lastIndexOf('.');
  return (dot >= 0 ? textTypes[name.slice(dot)] : undefined) ?? 'application/octet-stream';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * One path segment, percent-decoded. The URL parser already resolves `.` and `..` (and `%2e%2e`); what is left to
 * refuse is a segment that becomes a separator or `..` only once decoded (`..%2f`, `%5c`).
 */
function decodeSegment(raw: string, path: string): string {
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    throw new BootwrightError('E_INVALID', `Path ${quote(path)} is not valid percent-encoding.`);
  }
  if (segment === '..' || /[/\\\0]/.test(segment))
    throw new BootwrightError('E_FORBIDDEN', `Path ${quote(path)} leaves the tree.`);
  return segment;
}

/** An HTML index of a directory of a tree, for people browsing. */
export async function directoryIndex(
  context: Context,
  tree: TreeSource,
  treePath: string,
  urlPath: string,
): Promise<Response> {
  const rows: string[] = [];
  if (treePath !== '') rows.push('<a href="../">../</a>');
  for (const name of await tree.list(treePath)) {
    const entry = await tree.stat(treePath === '' ? name : `${treePath}/${name}`);
    if (!entry) continue;
    const shown = entry.type === 'directory' ? `${name}/` : name;
    const href = encodeURIComponent(name) + (entry.type === 'directory' ? '/' : '');
    const size = entry.type === 'file' ? ` ${entry.size}` : '';
    rows.push(`<a href="${escapeHtml(href)}">${escapeHtml(shown)}</a>${size}`);
  }
  const title = escapeHtml(`Index of ${decodeURI(urlPath)}`);
  const html = `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body>\n<h1>${title}</h1>\n<pre>\n${rows.join('\n')}\n</pre>\n</body></html>\n`;
  return context.body(html, 200, { 'content-type': 'text/html; charset=utf-8' });
}

/**
 * `PREFIX/NAME/PATH` split into the name and the path inside what it names, each segment percent-decoded once; throws
 * E_FORBIDDEN for a segment that would leave the tree.
 */
export function splitTreePath(urlPath: string, prefix: string): { name: string; treePath: string } {
  const [rawName = '', ...rawSegments] = urlPath.slice(prefix.length).split('/');
  const name = decodeSegment(rawName, urlPath);
  const treePath = rawSegments
    .map((segment) => decodeSegment(segment, urlPath))
    .filter((segment) => segment !== '')
    .join('/');
  return { name, treePath };
}

export interface FoundTreeEntry {
  tree: TreeSource;
  treePath: string;
  entry: TreeEntry;
}

/**
 * What `/distros/NAME/PATH` (after `prefix`) names in the distro's tree: a file or a directory. Throws E_NOT_FOUND
 * when there is nothing there, and E_FORBIDDEN for a path that would leave the tree.
 */
export async function findTreeEntry(
  boot: BootFiles,
  urlPath: string,
  prefix: string,
): Promise<FoundTreeEntry> {
  const { name, treePath } = splitTreePath(urlPath, prefix);
  const tree = await boot.trees.treeFor(name);
  const entry = await tree.stat(treePath);
  if (!entry) {
    throw notFound(
      `${quote(treePath)} is not in the tree of distro ${quote(name)} (${quote(tree.location)}).`,
    );
  }
  return { tree, treePath, entry };
}

export const treePrefixes = ['/distros/', '/cblr/links/'] as const;

/** `/distros/NAME/PATH`: the whole path, and the prefix the distro's name follows. */
interface TreeTarget {
  urlPath: string;
  prefix: string;
}

/** A request for a distro's tree (its .treeinfo, repodata, a package) is a step of an install. */
/** What a path in a tree names: its file, or its directory's index (a redirect to it without the slash). */
export function treeDownload(
  tree: TreeSource,
  treePath: string,
  entry: TreeEntry,
  urlPath: string,
): Download {
  if (entry.type === 'file') {
    return {
      kind: 'file',
      source: treeFileSource(tree, treePath, entry),
      contentType: contentTypeOf(treePath),
    };
  }
  return {
    kind: 'answer',
    // Relative links in the index need the trailing slash, as every web server's autoindex does.
    answer: (context) =>
      urlPath.endsWith('/')
        ? directoryIndex(context, tree, treePath, urlPath)
        : context.redirect(`${urlPath}/`, 301),
  };
}

function treeRequest(distro: string): RequestReport {
  return { type: 'http.tree', names: [{ kind: 'distro', name: distro }] };
}

export function createTreeHttp(services: ApiServices): RouteModule {
  const { boot } = services;
  const http = new Hono();

  const trees: DownloadRoute<TreeTarget> = {
    paths: treePrefixes.flatMap((prefix) => [`${prefix}:name`, `${prefix}:name/*`]),
    match: (urlPath) => {
      const prefix = treePrefixes.find((candidate) => urlPath.startsWith(candidate));
      // The distro's name is not empty.
      if (!prefix || urlPath.length === prefix.length || urlPath[prefix.length] === '/') return undefined;
      return { urlPath, prefix };
    },
    find: async ({ urlPath, prefix }) => {
      const { tree, treePath, entry } = await findTreeEntry(boot, urlPath, prefix);
      return treeDownload(tree, treePath, entry, urlPath);
    },
    served: ({ urlPath, prefix }, served) => {
      const name = urlPath.slice(prefix.length).split('/', 1)[0] as string;
      reportServed(services, treeRequest(decodePathSegment(name, urlPath)), served);
    },
  };
  reportRequests(
    http,
    treePrefixes.map((prefix) => `${prefix}:name/*`),
    services,
    (context) => treeRequest(context.req.param('name') ?? ''),
  );
  addDownloadRoute(http, trees);
  return { routes: http, downloads: [trees] };
}
