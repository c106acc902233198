// Where templates and snippets come from: the operator's own directories in the data directory first, then the
// built-in library shipped with bootwright (library/ at the top of the repository). Every name is confined to
// those roots: no absolute paths, no `..`, no symlinks that lead out.

import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BootwrightError, invalid, quote } from '../errors.js';

export const builtinLibraryDir = fileURLToPath(new URL('../../library/', import.meta.url));

/** How long where a file is (or that it is absent) is remembered; a found file's content is checked every time. */
const lookupTtlMs = 1000;

interface FileIdentity {
  mtimeMs: number;
  ctimeMs: number;
  size: number;
  ino: number;
}

function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.size === b.size && a.ino === b.ino;
}

/**
 * Template and snippet files held open, by real path, each with what it was when read through its descriptor. A
 * render checks each of its dozen files for an edit; fstat of a file held open costs well under half a stat of its
 * path (no path walk), and tells the same: an edit in place moves the times, and a file renamed over it, renamed
 * away or deleted drops its link count (a rename also moves its ctime). Shared by every library of the process and
 * bounded, the oldest closed first; a file not held is checked by its path.
 */
const heldFiles = new Map<string, FileIdentity & { fd: number; nlink: number; checkedInTurn: number }>();
const heldFilesCap = 256;

/**
 * Which turn of the event loop this is, as far as file checks care. A file found unchanged is trusted for the rest
 * of the turn, as the store's inventory version is (Store.inventoryVersion): the requests answered in one turn were
 * all read from their sockets before it began, so an edit finished before any of them was sent is seen by the first
 * check, and the dozen fstat calls of each further render in the turn (Node builds four Dates for each) are saved.
 */
let fileCheckTurn = 1;
let turnEndScheduled = false;

function currentTurn(): number {
  if (!turnEndScheduled) {
    turnEndScheduled = true;
    setImmediate(() => {
      fileCheckTurn += 1;
      turnEndScheduled = false;
    });
  }
  return fileCheckTurn;
}

/** Reads a file through a descriptor kept open for later checks; its identity is that of the bytes read. */
function readAndHold(path: string): FileIdentity & { text: string } {
  const fd = openSync(path, 'r');
  let identity: FileIdentity & { fd: number; nlink: number; checkedInTurn: number };
  let text: string;
  try {
    const { mtimeMs, ctimeMs, size, ino, nlink } = fstatSync(fd);
    identity = { mtimeMs, ctimeMs, size, ino, nlink, fd, checkedInTurn: currentTurn() };
    text = readFileSync(fd, 'utf8');
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  const previous = heldFiles.get(path);
  if (previous) {
    closeSync(previous.fd);
    heldFiles.delete(path);
  } else if (heldFiles.size >= heldFilesCap) {
    const [oldestPath, oldest] = heldFiles.entries().next().value as [string, { fd: number }];
    closeSync(oldest.fd);
    heldFiles.delete(oldestPath);
  }
  heldFiles.set(path, identity);
  return {
    mtimeMs: identity.mtimeMs,
    ctimeMs: identity.ctimeMs,
    size: identity.size,
    ino: identity.ino,
    text,
  };
}

/**
 * Whether the file at `path` is still the one read as `read`: by fstat when it is held open as that very read
 * (once a turn), else by a stat of its path.
 */
function stillTheSame(path: string, read: FileIdentity): boolean {
  const held = heldFiles.get(path);
  if (held && sameFile(held, read)) {
    const turn = currentTurn();
    if (held.checkedInTurn === turn) return true;
    const now = fstatSync(held.fd);
    if (now.nlink === held.nlink && sameFile(held, now)) {
      held.checkedInTurn = turn;
      return true;
    }
  }
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat !== undefined && sameFile(read, stat);
}

export interface TemplateFile {
  /** The name as written in profiles and snippets, e.g. `sample.ks` or `rhel/base.ks`. */
  name: string;
  path: string;
  text: string;
  builtin: boolean;
}

export interface SnippetContext {
  system?: string;
  profile?: string;
  distro?: string;
}

/** Cobbler 2.x stored absolute paths such as /var/lib/cobbler/kickstarts/x.ks; those name the same file here. */
const legacyPrefixes = [
  '/var/lib/cobbler/templates/',
  '/var/lib/cobbler/kickstarts/',
  '/var/lib/cobbler/snippets/',
];

export function checkRelativeName(name: string, what: string): string {
  let relativeName = name;
  for (const prefix of legacyPrefixes)
    if (relativeName.startsWith(prefix)) relativeName = relativeName.slice(prefix.length);
  const normalized = normalize(relativeName);
  if (
    relativeName === '' ||
    isAbsolute(normalized) ||
    normalized === '..' ||
    normalized.startsWith(`..${sep}`)
  ) {
    throw invalid(
      `${what} ${quote(name)} must be a name inside the template directories, such as "sample.ks".`,
    );
  }
  return normalized;
}

export class TemplateLibrary {
  private readonly cache = new Map<string, FileIdentity & { text: string }>();
  /** Where each name was found, per kind: a dozen lookups a render, each without building a key. */
  private readonly lookups = {
    templates: new Map<string, { until: number; file: TemplateFile | undefined }>(),
    snippets: new Map<string, { until: number; file: TemplateFile | undefined }>(),
    scripts: new Map<string, { until: number; file: TemplateFile | undefined }>(),
  };
  private readonly snippetDirs = new Map<
    string,
    { until: number; relativeName: string; perSystem: boolean; perProfile: boolean; perDistro: boolean }
  >();

  constructor(
    /** The operator's directory (data dir); checked first. */
    readonly userDir: string,
    readonly builtinDir: string = builtinLibraryDir,
  ) {}

  private roots(kind: 'templates' | 'snippets' | 'scripts'): { dir: string; builtin: boolean }[] {
    return [
      { dir: join(this.userDir, kind), builtin: false },
      { dir: join(this.builtinDir, kind), builtin: true },
    ];
  }

  /** Reads a file if it exists inside `root` once symlinks are resolved; a cache keeps parsed reads cheap. */
  private readInside(root: string, relativeName: string): { path: string; text: string } | undefined {
    const path = join(root, relativeName);
    if (!existsSync(path)) return undefined;
    const real = realpathSync(path);
    const realRoot = realpathSync(root);
    const inside = relative(realRoot, real);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw new BootwrightError(
        'E_FORBIDDEN',
        `Template ${quote(relativeName)} points outside ${realRoot}; refusing to read it.`,
      );
    }
    const stat = statSync(real);
    if (!stat.isFile()) return undefined;
    const cached = this.cache.get(real);
    if (cached && sameFile(cached, stat)) return { path: real, text: cached.text };
    const read = readAndHold(real);
    this.cache.set(real, read);
    return { path: real, text: read.text };
  }

  private find(kind: 'templates' | 'snippets' | 'scripts', relativeName: string): TemplateFile | undefined {
    // A kickstart pulls a dozen snippets, each looked for in up to eight places; remembering where each was found
    // (or that it is nowhere) for a moment saves those file-system calls on every request, and a new file shows
    // within a second. The file found is checked on every request (fstat of the file held open, or a stat), so an
    // edit shows on the next render.
    const lookups = this.lookups[kind];
    const now = Date.now();
    const remembered = lookups.get(relativeName);
    if (remembered && remembered.until > now && (!remembered.file || this.unchanged(remembered.file)))
      return remembered.file;
    let file: TemplateFile | undefined;
    for (const root of this.roots(kind)) {
      const found = this.readInside(root.dir, relativeName);
      if (found) {
        file = { name: relativeName, ...found, builtin: root.builtin };
        break;
      }
    }
    if (lookups.size > 10_000) lookups.clear();
    lookups.set(relativeName, { until: now + lookupTtlMs, file });
    return file;
  }

  /** Whether a file found before is still the one read then (same inode, size, mtime and ctime). */
  private unchanged(file: TemplateFile): boolean {
    const read = this.cache.get(file.path);
    return read !== undefined && read.text === file.text && stillTheSame(file.path, read);
  }

  template(name: string): TemplateFile {
    const relativeName = checkRelativeName(name, 'Template');
    const found = this.find('templates', relativeName);
    if (!found) {
      throw new BootwrightError(
        'E_NOT_FOUND',
        `Template ${quote(name)} not found (looked in ${this.roots('templates')
          .map((root) => root.dir)
          .join(' and ')}); "bootwright template list" shows them.`,
      );
    }
    return found;
  }

  script(name: string): TemplateFile {
    const relativeName = checkRelativeName(name, 'Script');
    const found = this.find('scripts', relativeName);
    if (!found)
      throw new BootwrightError('E_NOT_FOUND', `Script ${quote(name)} not found in the scripts directories.`);
    return found;
  }

  /** The places a snippet is looked for, most specific first (Cobbler's per_system/per_profile/per_distro order). */
  snippetCandidates(name: string, context: SnippetContext): string[] {
    const relativeName = checkRelativeName(name, 'Snippet');
    const candidates: string[] = [];
    if (context.system) candidates.push(join('per_system', relativeName, context.system));
    if (context.profile) candidates.push(join('per_profile', relativeName, context.profile));
    if (context.distro) candidates.push(join('per_distro', relativeName, context.distro));
    candidates.push(relativeName);
    return candidates;
  }

  snippet(name: string, context: SnippetContext): TemplateFile | undefined {
    const places = this.snippetPlaces(name);
    if (places.perSystem || places.perProfile || places.perDistro) {
      const scopes: [boolean, string, string | undefined][] = [
        [places.perSystem, 'per_system', context.system],
        [places.perProfile, 'per_profile', context.profile],
        [places.perDistro, 'per_distro', context.distro],
      ];
      for (const [exists, scope, objectName] of scopes) {
        if (!exists || !objectName) continue;
        const found = this.find('snippets', join(scope, places.relativeName, objectName));
        if (found) return { ...found, name };
      }
    }
    const found = this.find('snippets', places.relativeName);
    // The file found under the very name asked for is handed out as found (one object while it is unchanged).
    return found && found.name !== name ? { ...found, name } : found;
  }

  /**
   * Whether a snippet has per_system/, per_profile/ or per_distro/ variants at all, remembered like the lookups
   * (for a second). Most snippets have none, and then a render for any of 10,000 systems finds the snippet with one
   * remembered answer instead of looking for a per-system file of each system in turn.
   */
  private snippetPlaces(name: string): {
    relativeName: string;
    perSystem: boolean;
    perProfile: boolean;
    perDistro: boolean;
  } {
    const now = Date.now();
    const remembered = this.snippetDirs.get(name);
    if (remembered && remembered.until > now) return remembered;
    const relativeName = checkRelativeName(name, 'Snippet');
    const exists = (scope: string) =>
      this.roots('snippets').some((root) => existsSync(join(root.dir, scope, relativeName)));
    const places = {
      relativeName,
      perSystem: exists('per_system'),
      perProfile: exists('per_profile'),
      perDistro: exists('per_distro'),
      until: now + lookupTtlMs,
    };
    if (this.snippetDirs.size > 10_000) this.snippetDirs.clear();
    this.snippetDirs.set(name, places);
    return places;
  }

  /** Where a snippet was looked for, for the error that names them. */
  describeSnippetSearch(name: string, context: SnippetContext): string {
    const places = this.snippetCandidates(name, context).map((candidate) => `${candidate}`);
    return `looked in ${places.join(', ')} under ${this.roots('snippets')
      .map((root) => root.dir)
      .join(' and ')}`;
  }

  /** Names of templates or snippets, user ones marked, for `template list` / `snippet list`. */
  list(kind: 'templates' | 'snippets'): { name: string; builtin: boolean; overridden: boolean }[] {
    const seen = new Map<string, { name: string; builtin: boolean; overridden: boolean }>();
    for (const root of this.roots(kind)) {
      for (const name of walk(root.dir)) {
        const existing = seen.get(name);
        if (existing) existing.overridden = true;
        else seen.set(name, { name, builtin: root.builtin, overridden: false });
      }
    }
    return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

function walk(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return walk(join(dir, entry.name), name);
    return entry.isFile() ? [name] : [];
  });
}
