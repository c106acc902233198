// dnf/yum repositories (breed 'yum'): repodata/repomd.xml, every metadata file it names, each verified against the
// checksum repomd gives, then the packages primary lists for the repo's arch (or, with rpm_list, the named ones and
// what they require), each verified against primary's checksum. The origin's metadata is kept as it came, signature
// (repomd.xml.asc) included, so dnf checks the mirror exactly as it would the origin; only a narrowed rpm_list makes
// bootwright regenerate it with createrepo_c, as Cobbler's reposync does, since the origin's would name packages the
// mirror lacks.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { SaxesParser } from 'saxes';
import { BootwrightError, quote } from '../errors.js';
import type { ChecksumType, MirroredRepo, OriginFile, RepoBreed, SyncSession } from './contract.js';
import { checksumType, fetchSmall } from './download.js';
import { isSnapshotSession } from './snapshot-session.js';

const gunzipAsync = promisify(gunzip);

/** One `<data>` of repomd.xml. */
export interface RepomdEntry {
  type: string;
  href: string;
  base?: string;
  checksum?: { type: ChecksumType; value: string };
  size?: number;
}

/** One `<package>` of primary.xml, with what rpm_list resolution needs. */
export interface PrimaryPackage {
  name: string;
  arch: string;
  epoch: string;
  version: string;
  release: string;
  href: string;
  base?: string;
  checksum?: { type: ChecksumType; value: string };
  size?: number;
  provides: string[];
  requires: string[];
  files: string[];
}

export const yumBreed: RepoBreed = {
  async sync(session) {
    const { repo } = session;
    const { base, repomdSha256 } = await chooseBaseUrl(repo, session);
    await session.fetch([
      {
        path: 'repodata/repomd.xml',
        url: `${base}repodata/repomd.xml`,
        ...(repomdSha256 ? { checksum: { type: 'sha256', value: repomdSha256 } } : {}),
      },
      // The signature, and the key some origins publish beside it (openSUSE's gpgkey=.../repomd.xml.key).
      { path: 'repodata/repomd.xml.asc', url: `${base}repodata/repomd.xml.asc`, optional: true },
      { path: 'repodata/repomd.xml.key', url: `${base}repodata/repomd.xml.key`, optional: true },
    ]);
    const repomd = parseRepomd(await session.read('repodata/repomd.xml'), repo.name);
    await session.fetch(repomd.map((entry) => originFile(entry, base)));
    const primaryEntry = repomd.find((entry) => entry.type === 'primary');
    if (!primaryEntry)
      throw new BootwrightError(
        'E_INVALID',
        `repodata/repomd.xml from ${quote(base)} lists no primary metadata; is this a dnf/yum repository?`,
      );
    const primaryXml = await decompress(await session.read(primaryEntry.href), primaryEntry.href);
    const all = parsePrimary(primaryXml, primaryEntry.href);
    const forArch = all.filter(archFilter(repo.arch));
    const chosen = repo.rpm_list.length > 0 ? resolveRpmList(forArch, repo.rpm_list, session.log) : forArch;
    session.log(
      `${chosen.length} of ${all.length} packages${repo.arch ? ` for arch ${repo.arch}` : ''}${repo.rpm_list.length ? ` (rpm_list ${repo.rpm_list.join(' ')} and what it requires)` : ''}`,
    );
    const placed = await session.fetch(chosen.map((pkg) => originFile(pkg, base)));
    // createrepo_flags: Cobbler runs createrepo over every mirror; bootwright keeps the origin's verified metadata
    // instead (dnf then checks the mirror against the origin's own checksums and signature), so the flags apply only
    // when metadata is regenerated, which a narrowed package set needs.
    if (repo.rpm_list.length > 0) await regenerateMetadata(session, repomd);
    return { packages: placed.length };
  },
};

function originFile(
  entry: { href: string; base?: string; checksum?: OriginFile['checksum']; size?: number },
  base: string,
): OriginFile {
  return {
    path: entry.href,
    url: new URL(entry.href, entry.base ? withSlash(entry.base) : base).href,
    ...(entry.size !== undefined ? { size: entry.size } : {}),
    ...(entry.checksum ? { checksum: entry.checksum } : {}),
  };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * The baseurl to mirror: the repo's own, or the first from its mirrorlist or metalink whose repomd.xml answers. A
 * metalink also gives the SHA-256 of the current repomd.xml (and of recent ones, its alternates): as dnf does, a
 * mirror whose repomd.xml is none of them is stale and passed over, and the one chosen is verified against it.
 */
async function chooseBaseUrl(
  repo: MirroredRepo,
  session: SyncSession,
): Promise<{ base: string; repomdSha256?: string }> {
  if (repo.mirror_type !== 'mirrorlist' && repo.mirror_type !== 'metalink')
    return { base: withSlash(repo.mirror) };
  const list = await fetchSmall(repo.mirror, { proxy: repo.proxy });
  if (!list)
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `The ${repo.mirror_type} ${quote(repo.mirror)} does not answer; check the repo's mirror URL.`,
    );
  const { baseurls, repomdSha256 } =
    repo.mirror_type === 'mirrorlist'
      ? { baseurls: parseMirrorlist(list.toString('utf8')), repomdSha256: [] }
      : parseMetalink(list);
  let stale = 0;
  for (const candidate of baseurls) {
    const repomd = await fetchSmall(`${candidate}repodata/repomd.xml`, { proxy: repo.proxy, tries: 1 });
    if (!repomd) continue;
    const sha256 = createHash('sha256').update(repomd).digest('hex');
    if (repomdSha256.length > 0 && !repomdSha256.includes(sha256)) {
      stale += 1;
      session.log(`${candidate} is stale (its repomd.xml is not one the metalink lists); trying the next`);
      continue;
    }
    session.log(`mirroring ${candidate} (from the ${repo.mirror_type})`);
    return { base: candidate, ...(repomdSha256.length > 0 ? { repomdSha256: sha256 } : {}) };
  }
  throw new BootwrightError(
    'E_UNAVAILABLE',
    `None of the ${baseurls.length} baseurls in the ${repo.mirror_type} ${quote(repo.mirror)} answers with ${stale > 0 ? `a current repodata/repomd.xml (${stale} stale)` : 'repodata/repomd.xml'}; try again later or set the repo's mirror to a baseurl.`,
  );
}

/** A mirrorlist: one baseurl a line, `#` comments. */
export function parseMirrorlist(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^https?:\/\//.test(line))
    .map(withSlash);
}

/**
 * A metalink (MirrorManager's, for repomd.xml): its `<url>`s most preferred first, as baseurls (they name
 * repodata/repomd.xml itself), and every SHA-256 it gives for repomd.xml, the current one's and its alternates'.
 */
export function parseMetalink(xml: Buffer): { baseurls: string[]; repomdSha256: string[] } {
  const urls: { url: string; preference: number }[] = [];
  const repomdSha256: string[] = [];
  let current: { url: string; preference: number } | undefined;
  let hash: string | undefined;
  readXml(xml, 'the metalink', {
    open(name, attributes) {
      if (name === 'url') current = { url: '', preference: Number(attributes.preference ?? 0) };
      else if (name === 'hash' && attributes.type === 'sha256') hash = '';
    },
    text(text) {
      if (current) current.url += text;
      else if (hash !== undefined) hash += text;
    },
    close(name) {
      if (name === 'url' && current) {
        urls.push(current);
        current = undefined;
      } else if (name === 'hash' && hash !== undefined) {
        repomdSha256.push(hash.trim().toLowerCase());
        hash = undefined;
      }
    },
  });
  const baseurls = urls
    .filter((entry) => /^https?:\/\//.test(entry.url.trim()))
    .sort((a, b) => b.preference - a.preference)
    .map((entry) => withSlash(entry.url.trim().replace(/repodata\/repomd\.xml$/, '')));
  return { baseurls, repomdSha256 };
}

interface XmlHandlers {
  open(name: string, attributes: Record<string, string>): void;
  text?(text: string): void;
  close?(name: string): void;
}

/** Streams an XML document through handlers with names stripped of their prefix (`rpm:entry` is `entry`). */
function readXml(xml: Buffer | string, what: string, handlers: XmlHandlers): void {
  const parser = new SaxesParser();
  let failure: string | undefined;
  parser.on('error', (error) => {
    failure ??= error.message;
  });
  parser.on('opentag', (tag) => {
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(tag.attributes)) attributes[key] = String(value);
    handlers.open(localName(tag.name), attributes);
  });
  if (handlers.text) parser.on('text', handlers.text);
  if (handlers.close) {
    const close = handlers.close;
    parser.on('closetag', (tag) => close(localName(tag.name)));
  }
  parser.write(typeof xml === 'string' ? xml : xml.toString('utf8')).close();
  if (failure) throw new BootwrightError('E_INVALID', `Cannot read ${what}: malformed XML (${failure}).`);
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

function parseChecksum(
  type: string | undefined,
  value: string,
  what: string,
): { type: ChecksumType; value: string } {
  const known = checksumType(type ?? '');
  if (!known)
    throw new BootwrightError(
      'E_INVALID',
      `${what} has a checksum of type ${quote(type ?? '')}, which bootwright cannot check; it knows sha256, sha512, sha384, sha224, sha1 and md5.`,
    );
  return { type: known, value: value.trim().toLowerCase() };
}

export function parseRepomd(xml: Buffer, repo = ''): RepomdEntry[] {
  const entries: RepomdEntry[] = [];
  let entry: RepomdEntry | undefined;
  let field: string | undefined;
  let checksumKind: string | undefined;
  let text = '';
  readXml(xml, `repodata/repomd.xml${repo ? ` of repo ${quote(repo)}` : ''}`, {
    open(name, attributes) {
      if (name === 'data') entry = { type: attributes.type ?? '', href: '' };
      else if (entry && name === 'location') {
        entry.href = attributes.href ?? '';
        if (attributes['xml:base']) entry.base = attributes['xml:base'];
      } else if (entry && (name === 'checksum' || name === 'size')) {
        field = name;
        checksumKind = attributes.type;
        text = '';
      } else field = undefined;
    },
    text(chunk) {
      if (field) text += chunk;
    },
    close(name) {
      if (!entry) return;
      if (name === 'checksum' && field === 'checksum')
        entry.checksum = parseChecksum(checksumKind, text, `repomd.xml's ${quote(entry.type)}`);
      else if (name === 'size' && field === 'size') entry.size = Number(text.trim());
      else if (name === 'data') {
        if (entry.href) entries.push(entry);
        entry = undefined;
      }
      field = undefined;
    },
  });
  return entries;
}

/** Reads primary.xml; gzip here, the other compressions through their command-line tools when installed. */
export async function decompress(data: Buffer, path: string): Promise<Buffer> {
  if (data[0] === 0x1f && data[1] === 0x8b) return await gunzipAsync(data);
  const tools: [string, Buffer, string][] = [
    ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz'],
    ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd'],
    ['bzip2', Buffer.from('BZh'), 'bzip2'],
  ];
  for (const [name, magic, command] of tools) {
    if (!data.subarray(0, magic.length).equals(magic)) continue;
    try {
      return await runFilter(command, ['-dc'], data);
    } catch {
      throw new BootwrightError(
        'E_INVALID',
        `${path} is ${name}-compressed and ${command} is not installed here; install it, or have the origin's metadata made with createrepo_c --general-compress-type=gz.`,
      );
    }
  }
  return data;
}

function runFilter(command: string, args: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.stdin.on('error', () => undefined);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${command} exited ${code}`)),
    );
    child.stdin.end(input);
  });
}

export function parsePrimary(xml: Buffer, path = 'primary.xml'): PrimaryPackage[] {
  const packages: PrimaryPackage[] = [];
  let pkg: PrimaryPackage | undefined;
  let field: string | undefined;
  let checksumKind: string | undefined;
  let list: 'provides' | 'requires' | undefined;
  let text = '';
  readXml(xml, path, {
    open(name, attributes) {
      if (name === 'package') {
        pkg = {
          name: '',
          arch: '',
          epoch: '0',
          version: '',
          release: '',
          href: '',
          provides: [],
          requires: [],
          files: [],
        };
        return;
      }
      if (!pkg) return;
      field = undefined;
      switch (name) {
        case 'name':
        case 'arch':
        case 'file':
          if (name !== 'file' || !list) field = name;
          text = '';
          break;
        case 'checksum':
          field = name;
          checksumKind = attributes.type;
          text = '';
          break;
        case 'version':
          pkg.epoch = attributes.epoch ?? '0';
          pkg.version = attributes.ver ?? '';
          pkg.release = attributes.rel ?? '';
          break;
        case 'size':
          if (attributes.package) pkg.size = Number(attributes.package);
          break;
        case 'location':
          pkg.href = attributes.href ?? '';
          if (attributes['xml:base']) pkg.base = attributes['xml:base'];
          break;
        case 'provides':
        case 'requires':
          list = name;
          break;
        case 'entry':
          if (list && attributes.name) pkg[list].push(attributes.name);
          break;
      }
    },
    text(chunk) {
      if (field) text += chunk;
    },
    close(name) {
      if (!pkg) return;
      if (name === 'package') {
        if (pkg.href) packages.push(pkg);
        pkg = undefined;
      } else if (name === 'provides' || name === 'requires') list = undefined;
      else if (field === name) {
        if (name === 'name') pkg.name = text.trim();
        else if (name === 'arch') pkg.arch = text.trim();
        else if (name === 'file') pkg.files.push(text.trim());
        else if (name === 'checksum')
          pkg.checksum = parseChecksum(checksumKind, text, `${path}'s package ${quote(pkg.name)}`);
        field = undefined;
      }
    },
  });
  return packages;
}

/**
 * The packages a repo's arch takes, as Cobbler's reposync does: '' every one; 'src' only source packages; an arch
 * also its noarch packages, and i386 the whole 32-bit x86 family.
 */
export function archFilter(arch: string): (pkg: { arch: string }) => boolean {
  if (!arch) return () => true;
  if (arch === 'src') return (pkg) => pkg.arch === 'src' || pkg.arch === 'nosrc';
  const family = arch === 'i386' ? ['i386', 'i486', 'i586', 'i686'] : [arch];
  return (pkg) => pkg.arch === 'noarch' || family.includes(pkg.arch);
}

/** rpm's version comparison (rpmvercmp): alternating digit and letter runs, digits newer than letters, `~` oldest. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const tokens = (value: string) => value.match(/~|\^|\d+|[a-zA-Z]+/g) ?? [];
  const left = tokens(a);
  const right = tokens(b);
  for (let i = 0; ; i += 1) {
    const x = left[i];
    const y = right[i];
    if (x === '~' || y === '~') {
      if (x !== y) return x === '~' ? -1 : 1;
      continue;
    }
    if (x === '^' || y === '^') {
      if (x === y) continue;
      if (x === undefined) return -1;
      if (y === undefined) return 1;
      return x === '^' ? -1 : 1;
    }
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? -1 : 1;
    const xNumeric = /^\d/.test(x);
    const yNumeric = /^\d/.test(y);
    if (xNumeric !== yNumeric) return xNumeric ? 1 : -1;
    if (xNumeric) {
      const difference = BigInt(x) - BigInt(y);
      if (difference !== 0n) return difference > 0n ? 1 : -1;
    } else if (x !== y) return x < y ? -1 : 1;
  }
}

function compareEvr(a: PrimaryPackage, b: PrimaryPackage): number {
  return (
    compareVersions(a.epoch || '0', b.epoch || '0') ||
    compareVersions(a.version, b.version) ||
    compareVersions(a.release, b.release)
  );
}

function globPattern(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/**
 * The packages rpm_list names (globs, as dnf takes them), newest of each name and arch, and transitively every
 * package in this repo that provides what they require. Requirements nothing here provides (glibc from the base
 * repo) are left to the installed system's other repos; versions in requirements are not compared.
 */
export function resolveRpmList(
  packages: PrimaryPackage[],
  rpmList: string[],
  log: (line: string) => void = () => undefined,
): PrimaryPackage[] {
  const newest = new Map<string, PrimaryPackage>();
  for (const pkg of packages) {
    const key = `${pkg.name}.${pkg.arch}`;
    const held = newest.get(key);
    if (!held || compareEvr(pkg, held) > 0) newest.set(key, pkg);
  }
  const candidates = [...newest.values()];
  const providers = new Map<string, PrimaryPackage[]>();
  const addProvider = (capability: string, pkg: PrimaryPackage) => {
    const list = providers.get(capability) ?? [];
    if (!list.includes(pkg)) list.push(pkg);
    providers.set(capability, list);
  };
  for (const pkg of candidates) {
    addProvider(pkg.name, pkg);
    for (const capability of pkg.provides) addProvider(capability, pkg);
    for (const file of pkg.files) addProvider(file, pkg);
  }
  const chosen = new Set<PrimaryPackage>();
  const queue: PrimaryPackage[] = [];
  const take = (pkg: PrimaryPackage) => {
    if (chosen.has(pkg)) return;
    chosen.add(pkg);
    queue.push(pkg);
  };
  for (const wanted of rpmList) {
    const pattern = globPattern(wanted);
    const matches = candidates.filter(
      (pkg) => pattern.test(pkg.name) || pattern.test(`${pkg.name}.${pkg.arch}`),
    );
    if (matches.length === 0) log(`rpm_list names ${quote(wanted)}, which this repository does not have`);
    for (const pkg of matches) take(pkg);
  }
  const unresolved = new Set<string>();
  for (let pkg = queue.shift(); pkg; pkg = queue.shift()) {
    for (const requirement of pkg.requires) {
      if (requirement.startsWith('rpmlib(')) continue;
      // A rich dependency, `(a or b)`: every name in it that this repo provides comes along.
      const names = requirement.startsWith('(')
        ? (requirement
            .match(/[^\s()]+/g)
            ?.filter((word) => !/^(and|or|if|else|unless|with|without)$/.test(word)) ?? [])
        : [requirement];
      for (const name of names) {
        const offered = providers.get(name);
        if (!offered) {
          if (!requirement.startsWith('(')) unresolved.add(name);
          continue;
        }
        if (offered.some((candidate) => chosen.has(candidate))) continue;
        const best = [...offered].sort(
          (a, b) =>
            (a.name === name ? -1 : 0) - (b.name === name ? -1 : 0) ||
            a.name.length - b.name.length ||
            compareEvr(b, a),
        )[0];
        if (best) take(best);
      }
    }
  }
  if (unresolved.size > 0)
    log(`not in this repository, left to the system's other repos: ${[...unresolved].sort().join(', ')}`);
  return [...chosen];
}

/**
 * A narrowed package set gets metadata of its own, as Cobbler makes it: createrepo_c with the repo's
 * createrepo_flags (and the origin's groups, updateinfo and modules carried over), run on the snapshot being built.
 */
async function regenerateMetadata(session: SyncSession, repomd: RepomdEntry[]): Promise<void> {
  if (!isSnapshotSession(session)) return;
  if (!(await commandExists('createrepo_c'))) {
    session.log(
      "createrepo_c is not installed, so the mirror keeps the origin's metadata, which names packages rpm_list left out (dnf fails only on those); install createrepo-c to regenerate it",
    );
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'bootwright-createrepo-'));
  try {
    const extras: { type: string; file: string }[] = [];
    let groupFile: string | undefined;
    for (const entry of repomd) {
      const kind = entry.type === 'group_gz' ? 'group' : entry.type;
      if (!['group', 'updateinfo', 'modules'].includes(kind) || entry.href.endsWith('.zck')) continue;
      if (kind === 'group' && groupFile) continue;
      const file = join(work, kind === 'modules' ? 'modules.yaml' : `${kind}.xml`);
      await writeFile(file, await decompress(await session.read(entry.href), entry.href));
      if (kind === 'group') groupFile = file;
      else if (!extras.some((extra) => extra.type === kind)) extras.push({ type: kind, file });
    }
    // The origin's repodata (and its signature, which would no longer match) make way for the new one.
    await rm(join(session.treeDir, 'repodata'), { recursive: true, force: true });
    const flags = splitFlags(session.repo.createrepo_flags);
    await runTool(
      'createrepo_c',
      [...flags, ...(groupFile ? ['--groupfile', groupFile] : []), session.treeDir],
      work,
      `createrepo_c with createrepo_flags ${quote(session.repo.createrepo_flags)} failed`,
      "fix the repo's createrepo_flags",
    );
    for (const extra of extras)
      await runTool(
        'modifyrepo_c',
        [`--mdtype=${extra.type}`, extra.file, join(session.treeDir, 'repodata')],
        work,
        `modifyrepo_c could not add the origin's ${extra.type} to the regenerated metadata`,
        "check the origin's metadata",
      );
    await session.adoptChanges();
    session.log(
      `metadata regenerated with createrepo_c ${flags.join(' ')} for the packages rpm_list selects`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function commandExists(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, ['--version'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

/** createrepo_flags as a shell would split them (Cobbler's default is `-c cache -s sha`). */
export function splitFlags(flags: string): string[] {
  return [...flags.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map(
    (match) => match[1] ?? match[2] ?? match[3] ?? '',
  );
}

function runTool(command: string, args: string[], cwd: string, failure: string, fix: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    child.on('error', (error) => reject(error));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new BootwrightError(
            'E_INVALID',
            `${failure} (${errors.trim().split('\n').pop() || `exit status ${code}`}); ${fix}.`,
          ),
        );
    });
  });
}
