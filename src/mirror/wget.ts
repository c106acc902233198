// Plain trees (breed=wget): a recursive copy of a directory published with index pages (Apache and nginx autoindex,
// bootwright's own listings), as Cobbler 3.3 gets it from `wget -r -np`. Only links below the mirror URL are
// followed, never a query (autoindex sort links) or a parent; each page is kept as DIR/index.html, as wget keeps
// it. The files carry no checksums: the engine checks them against the length the server announces.

import { BootwrightError, invalid, quote } from '../errors.js';
import type { OriginFile, RepoBreed, SyncSession } from './contract.js';

export interface TreeLimits {
  /** Directory levels below the mirror URL (Cobbler runs `wget -l inf`; a link loop must still end). */
  maxDepth: number;
  maxFiles: number;
}

export const defaultTreeLimits: TreeLimits = { maxDepth: 32, maxFiles: 200_000 };

export function createWgetBreed(limits: TreeLimits = defaultTreeLimits): RepoBreed {
  return { sync: (session) => syncTree(session, limits) };
}

export const wgetBreed: RepoBreed = createWgetBreed();

export interface ListingLinks {
  /** Absolute URLs, each ending in a slash. */
  directories: string[];
  files: string[];
}

const htmlEntities: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };

/** The links of an index page at `pageUrl` that lead below `startUrl`: no query, no fragment, no other host. */
export function listingLinks(html: string, pageUrl: string, startUrl: string): ListingLinks {
  const start = new URL(startUrl);
  const directories = new Set<string>();
  const files = new Set<string>();
  for (const match of html.matchAll(/\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))/gi)) {
    const href = (match[1] ?? match[2] ?? match[3] ?? '')
      .replace(/&(amp|quot|apos|lt|gt);/g, (_, name: string) => htmlEntities[name] ?? '')
      .replace(/#.*$/, '');
    if (href === '' || href.includes('?')) continue;
    let url: URL;
    try {
      url = new URL(href, pageUrl);
    } catch {
      continue;
    }
    if (url.origin !== start.origin || url.search !== '') continue;
    if (!url.pathname.startsWith(start.pathname) || url.pathname === start.pathname) continue;
    (url.pathname.endsWith('/') ? directories : files).add(url.href);
  }
  return { directories: [...directories], files: [...files] };
}

/** Where a URL below the start goes in the snapshot, segments decoded; undefined for one that cannot be a path. */
export function treePath(url: string, startUrl: string): string | undefined {
  const relative = new URL(url).pathname.slice(new URL(startUrl).pathname.length);
  const segments: string[] = [];
  for (const raw of relative.split('/').filter(Boolean)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) return undefined;
    segments.push(segment);
  }
  return segments.join('/');
}

async function syncTree(session: SyncSession, limits: TreeLimits): Promise<{ packages: number }> {
  const { repo } = session;
  if (repo.mirror_type !== 'baseurl')
    throw invalid(
      `Repo ${quote(repo.name)}: mirror_type ${quote(repo.mirror_type)} is not supported for wget repos (Cobbler neither); set mirror_type to baseurl and mirror to the directory to copy.`,
    );
  if (repo.rpm_list.length > 0)
    session.log(`rpm_list is not supported for wget repos (Cobbler neither): copying everything.`);
  let startUrl: string;
  try {
    const url = new URL(repo.mirror);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(url.protocol);
    url.search = '';
    url.hash = '';
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    startUrl = url.href;
  } catch {
    throw invalid(
      `Repo ${quote(repo.name)}: mirror ${quote(repo.mirror)} is not an http:// or https:// URL; give the URL of the directory to copy.`,
    );
  }

  const pages = new Map<string, string>(); // directory URL to the path of its index page in the snapshot
  const files = new Map<string, OriginFile>(); // by snapshot path
  let level = [startUrl];
  pages.set(startUrl, 'index.html');
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > limits.maxDepth)
      throw invalid(
        `Repo ${quote(repo.name)}: the tree under ${quote(startUrl)} goes deeper than ${limits.maxDepth} directory levels (at ${quote(level[0])}); point mirror at a smaller tree, or fix the link loop at the origin.`,
      );
    // The start page optional, so that a wrong mirror URL gets a sentence of its own.
    const placed = await session.fetch(
      level.map((url) => ({ path: pages.get(url) as string, url, optional: depth === 0 })),
    );
    if (placed.length === 0)
      throw new BootwrightError(
        'E_NOT_FOUND',
        `Repo ${quote(repo.name)}: the mirror URL ${quote(startUrl)} has no page (HTTP 404); give the URL of a directory the origin publishes an index page for.`,
      );
    const next: string[] = [];
    for (const pageUrl of level) {
      const html = (await session.read(pages.get(pageUrl) as string)).toString('utf8');
      const links = listingLinks(html, pageUrl, startUrl);
      for (const directory of links.directories) {
        const path = treePath(directory, startUrl);
        if (path === undefined || pages.has(directory)) continue;
        pages.set(directory, `${path}/index.html`);
        next.push(directory);
      }
      for (const file of links.files) {
        const path = treePath(file, startUrl);
        if (path === undefined || path === '' || files.has(path)) continue;
        files.set(path, { path, url: file });
        if (files.size > limits.maxFiles)
          throw invalid(
            `Repo ${quote(repo.name)}: the tree under ${quote(startUrl)} has more than ${limits.maxFiles} files; point mirror at a smaller tree.`,
          );
      }
    }
    level = next;
  }

  // A real index.html in a listed directory is the page already kept there.
  const pagePaths = new Set(pages.values());
  const wanted = [...files.values()].filter((file) => !pagePaths.has(file.path));
  session.log(`${wanted.length} files in ${pages.size} directories under ${startUrl}.`);
  const placed = await session.fetch(wanted);
  return { packages: placed.filter((file) => /\.(rpm|deb)$/.test(file.path)).length };
}
