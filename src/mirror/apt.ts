// apt repositories (breed=apt), what Cobbler 3.3 hands to debmirror: for each dist, its InRelease / Release /
// Release.gpg exactly as the origin signed them, the Packages indexes of the chosen components and architectures in
// every compression the Release lists, the English descriptions, their by-hash copies, then the .debs those
// indexes name (all, or the rpm_list and what it depends on). Nothing is re-signed or rewritten, so a client
// verifies the mirror against the origin's own key, and the indexes stay whole even when the .debs are a subset.

import { gunzipSync } from 'node:zlib';
import { BootwrightError, invalid, quote } from '../errors.js';
import type { ChecksumType, MirroredRepo, OriginFile, RepoBreed, SyncSession } from './contract.js';

/**
 * Cobbler 3.3 passes an empty apt_dists to debmirror as `--dist=`, and debmirror then mirrors its default, sid.
 * Components have no such default here: an empty apt_components means every component the Release lists.
 */
const defaultDists = ['sid'];

/** Cobbler's architecture names to Debian's (Cobbler itself only turned x86_64 into amd64 for debmirror). */
const debianArchitectures: Record<string, string> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  i386: 'i386',
  ppc64le: 'ppc64el',
  ppc64el: 'ppc64el',
  ppc64: 'ppc64',
  ppc: 'powerpc',
  s390x: 's390x',
  s390: 's390',
  arm: 'armhf',
  ia64: 'ia64',
  noarch: 'all',
};

/** The Release's checksum sections, strongest first, with the directory name apt asks by-hash files under. */
const releaseHashes: { field: string; type: ChecksumType; byHash: string }[] = [
  { field: 'sha512', type: 'sha512', byHash: 'SHA512' },
  { field: 'sha256', type: 'sha256', byHash: 'SHA256' },
  { field: 'md5sum', type: 'md5', byHash: 'MD5Sum' },
];

/** The same, as a Packages stanza names them. */
const stanzaHashes: { field: string; type: ChecksumType }[] = [
  { field: 'sha512', type: 'sha512' },
  { field: 'sha256', type: 'sha256' },
  { field: 'md5sum', type: 'md5' },
];

export const aptBreed: RepoBreed = { sync: syncAptRepo };

/** One paragraph of a deb822 file (Release, Packages): field names lower-cased, continuation lines kept. */
export type Deb822Paragraph = Map<string, string>;

export function parseDeb822(text: string): Deb822Paragraph[] {
  const paragraphs: Deb822Paragraph[] = [];
  let current: Deb822Paragraph | undefined;
  let field: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      current = undefined;
      field = undefined;
      continue;
    }
    if (line.startsWith('#')) continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && current && field !== undefined) {
      current.set(field, `${current.get(field)}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (!current) {
      current = new Map();
      paragraphs.push(current);
    }
    field = line.slice(0, colon).trim().toLowerCase();
    current.set(field, line.slice(colon + 1).trim());
  }
  return paragraphs;
}

/** The signed text of a clearsigned InRelease (RFC 4880 section 7), dash-escaping undone; other text as it is. */
export function clearsignedText(text: string): string {
  const normalized = text.replace(/\r\n/g, '\n');
  if (!normalized.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return normalized;
  const bodyStart = normalized.indexOf('\n\n');
  const bodyEnd = normalized.indexOf('\n-----BEGIN PGP SIGNATURE-----');
  if (bodyStart < 0 || bodyEnd < bodyStart) return '';
  return normalized
    .slice(bodyStart + 2, bodyEnd)
    .split('\n')
    .map((line) => (line.startsWith('- ') ? line.slice(2) : line))
    .join('\n');
}

export interface ReleaseIndex {
  size: number;
  /** Every checksum the Release gives for the file, strongest first. */
  checksums: { type: ChecksumType; value: string; byHash: string }[];
}

export interface ReleaseFile {
  architectures: string[];
  components: string[];
  acquireByHash: boolean;
  /** The files the Release vouches for, by path relative to dists/DIST/. */
  files: Map<string, ReleaseIndex>;
}

export function parseRelease(text: string): ReleaseFile {
  const fields = parseDeb822(clearsignedText(text))[0] ?? new Map<string, string>();
  const words = (name: string) => (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
  const files = new Map<string, ReleaseIndex>();
  for (const hash of releaseHashes) {
    for (const line of (fields.get(hash.field) ?? '').split('\n')) {
      const [value, size, path] = line.trim().split(/\s+/);
      if (!value || !size || !path || !/^[0-9a-f]+$/i.test(value) || !/^\d+$/.test(size)) continue;
      const entry = files.get(path) ?? { size: Number(size), checksums: [] };
      entry.checksums.push({ type: hash.type, value: value.toLowerCase(), byHash: hash.byHash });
      files.set(path, entry);
    }
  }
  return {
    architectures: words('architectures'),
    components: words('components'),
    acquireByHash: (fields.get('acquire-by-hash') ?? '').toLowerCase() === 'yes',
    files,
  };
}

/** One binary package as a Packages index lists it. */
export interface DebPackage {
  name: string;
  /** Relative to the repository root: pool/main/h/hello/hello_2.10-3_amd64.deb. */
  filename: string;
  size?: number;
  checksum?: OriginFile['checksum'];
  /** Depends and Pre-Depends: each group is a list of alternatives (`a | b`), names only. */
  depends: string[][];
  provides: string[];
}

export function parsePackages(text: string): DebPackage[] {
  const packages: DebPackage[] = [];
  for (const stanza of parseDeb822(text)) {
    const name = stanza.get('package');
    const filename = stanza.get('filename');
    if (!name || !filename) continue;
    const size = stanza.get('size');
    const hash = stanzaHashes.find((candidate) => stanza.get(candidate.field));
    packages.push({
      name,
      filename,
      size: size && /^\d+$/.test(size) ? Number(size) : undefined,
      checksum: hash ? { type: hash.type, value: (stanza.get(hash.field) ?? '').toLowerCase() } : undefined,
      depends: [
        ...parseRelationship(stanza.get('pre-depends') ?? ''),
        ...parseRelationship(stanza.get('depends') ?? ''),
      ],
      provides: parseRelationship(stanza.get('provides') ?? '').flat(),
    });
  }
  return packages;
}

/** `a (>= 1) | b:any [amd64] <!nocheck>, c` to [[a, b], [c]] (Debian Policy 7.1): names without versions or qualifiers. */
export function parseRelationship(field: string): string[][] {
  return field
    .split(',')
    .map((group) =>
      group
        .split('|')
        .map((alternative) =>
          alternative
            .replace(/\([^)]*\)|\[[^\]]*\]|<[^>]*>/g, '')
            .trim()
            .replace(/:[a-z0-9-]+$/, ''),
        )
        .filter(Boolean),
    )
    .filter((group) => group.length > 0);
}

/**
 * The packages `wanted` names (or that provide those names) and, transitively, what they depend on, as far as the
 * mirrored indexes hold it: for `a | b` the first alternative the indexes have, as apt would pick it. Returns the
 * names no index holds as `missing`.
 */
export function withDependencies(
  packages: DebPackage[],
  wanted: string[],
): { selected: DebPackage[]; missing: string[] } {
  const byNames = (namesOf: (deb: DebPackage) => string[]) => {
    const map = new Map<string, DebPackage[]>();
    for (const deb of packages)
      for (const name of namesOf(deb)) {
        const debs = map.get(name);
        if (debs) debs.push(deb);
        else map.set(name, [deb]);
      }
    return map;
  };
  const byName = byNames((deb) => [deb.name]);
  const providers = byNames((deb) => deb.provides);
  // Real packages first, then providers, so that a name resolves to the package of that name when there is one.
  const resolve = (name: string) => byName.get(name) ?? providers.get(name);

  const selected = new Set<DebPackage>();
  const missing: string[] = [];
  const queue: DebPackage[] = [];
  const take = (debs: DebPackage[]) => {
    for (const deb of debs) {
      if (selected.has(deb)) continue;
      selected.add(deb);
      queue.push(deb);
    }
  };
  for (const name of wanted) {
    const found = resolve(name);
    if (found) take(found);
    else missing.push(name);
  }
  // An index into the queue rather than shift(): an rpm_list can pull in tens of thousands of packages.
  for (let next = 0; next < queue.length; next++) {
    const deb = queue[next] as DebPackage;
    for (const group of deb.depends) {
      const first = group.map(resolve).find((found) => found !== undefined);
      if (first) take(first);
    }
  }
  return { selected: [...selected], missing };
}

/** Throws unless `path` stays inside the mirror: relative, no `.`/`..`/empty segment, no backslash. */
function checkRelativePath(path: string, what: string, fix: string): string {
  const segments = path.split('/');
  if (
    path === '' ||
    path.includes('\\') ||
    path.includes('\0') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..')
  )
    throw invalid(`${what} ${quote(path)}, which is not a plain relative path; ${fix}.`);
  return path;
}

function debianArchitecture(repo: MirroredRepo): string | undefined {
  if (repo.arch === '') return undefined;
  if (repo.arch === 'src')
    throw invalid(
      `Repo ${quote(repo.name)}: arch "src" (source packages) is not mirrored for apt repos; set arch to a binary architecture such as x86_64, or to "" for all.`,
    );
  const debian = debianArchitectures[repo.arch];
  if (!debian)
    throw invalid(
      `Repo ${quote(repo.name)}: arch ${quote(repo.arch)} has no Debian name; use one of ${Object.keys(debianArchitectures).join(', ')}, or "" for all.`,
    );
  return debian;
}

async function syncAptRepo(session: SyncSession): Promise<{ packages: number }> {
  const { repo } = session;
  if (repo.mirror_type !== 'baseurl')
    throw invalid(
      `Repo ${quote(repo.name)}: mirror_type ${quote(repo.mirror_type)} is not supported for apt repos (Cobbler neither); set mirror_type to baseurl and mirror to the archive's root URL.`,
    );
  const architecture = debianArchitecture(repo);
  const dists = repo.apt_dists.length > 0 ? repo.apt_dists : defaultDists;
  if (repo.apt_dists.length === 0)
    session.log(`No apt_dists given: mirroring ${defaultDists.join(', ')}, as Cobbler (debmirror) does.`);

  const packages: DebPackage[] = [];
  const indexes: string[] = [];
  for (const dist of dists) {
    checkRelativePath(dist, `Repo ${quote(repo.name)}: apt_dists names`, 'name a suite, such as bookworm');
    const found = await syncDistIndexes(session, dist, architecture);
    packages.push(...found.packages);
    indexes.push(...found.indexes);
  }

  let chosen = packages;
  if (repo.rpm_list.length > 0) {
    const { selected, missing } = withDependencies(packages, repo.rpm_list);
    if (missing.length > 0)
      throw invalid(
        `Repo ${quote(repo.name)}: rpm_list names ${missing.map(quote).join(', ')}, which no mirrored Packages index lists (${indexes.join(', ')}); fix rpm_list or apt_components.`,
      );
    chosen = selected;
    session.log(
      `rpm_list ${repo.rpm_list.join(', ')}: ${new Set(chosen.map((deb) => deb.name)).size} packages with their dependencies.`,
    );
  }

  const debs = new Map<string, OriginFile>();
  for (const deb of chosen) {
    checkRelativePath(
      deb.filename,
      `Repo ${quote(repo.name)}: the origin's index gives package ${quote(deb.name)} the Filename`,
      'the index is broken or hostile, mirror another origin',
    );
    debs.set(deb.filename, { path: deb.filename, size: deb.size, checksum: deb.checksum });
  }
  const bytes = [...debs.values()].reduce((sum, file) => sum + (file.size ?? 0), 0);
  session.log(`${debs.size} packages (${(bytes / 1e6).toFixed(1)} MB) from ${indexes.length} indexes.`);
  await session.fetch([...debs.values()]);
  return { packages: debs.size };
}

/** One dist: its Release files and Packages indexes into the snapshot; returns the packages the indexes list. */
async function syncDistIndexes(
  session: SyncSession,
  dist: string,
  architecture: string | undefined,
): Promise<{ packages: DebPackage[]; indexes: string[] }> {
  const { repo } = session;
  const distDir = `dists/${dist}`;
  const placed = new Set(
    (
      await session.fetch(
        ['InRelease', 'Release', 'Release.gpg'].map((name) => ({
          path: `${distDir}/${name}`,
          optional: true,
        })),
      )
    ).map((file) => file.path),
  );
  // apt reads InRelease when there is one; the indexes must match the Release it reads.
  const releasePath = [`${distDir}/InRelease`, `${distDir}/Release`].find((path) => placed.has(path));
  if (!releasePath)
    throw new BootwrightError(
      'E_NOT_FOUND',
      `Repo ${quote(repo.name)}: the origin ${quote(repo.mirror)} has neither ${distDir}/InRelease nor ${distDir}/Release; check mirror (the archive's root, the directory holding dists/) and apt_dists (a suite it has, such as bookworm).`,
    );
  const release = parseRelease((await session.read(releasePath)).toString('utf8'));

  // A Release without Components or Architectures (some third-party archives) still names its indexes.
  const indexed = (group: 1 | 2) => [
    ...new Set(
      [...release.files.keys()].flatMap((path) => /^(.+?)\/binary-([^/]+)\//.exec(path)?.[group] ?? []),
    ),
  ];
  // Debian's Components field leaves out main/debian-installer (the installer's udebs), which the Release still
  // indexes and which debmirror, hence Cobbler, mirrors by default: a network install needs it.
  const listedComponents = [...new Set([...release.components, ...indexed(1)])];
  const listedArchitectures = release.architectures.length > 0 ? release.architectures : indexed(2);
  const components = repo.apt_components.length > 0 ? repo.apt_components : listedComponents;
  for (const component of components) {
    checkRelativePath(
      component,
      `Repo ${quote(repo.name)}: the components to mirror include`,
      'fix apt_components (or, when empty, mirror another origin)',
    );
    if (repo.apt_components.length > 0 && !listedComponents.includes(component))
      throw invalid(
        `Repo ${quote(repo.name)}: ${releasePath} lists no component ${quote(component)} (it lists ${listedComponents.join(', ') || 'none'}); fix apt_components.`,
      );
  }
  if (architecture && architecture !== 'all' && !listedArchitectures.includes(architecture))
    throw invalid(
      `Repo ${quote(repo.name)}: ${releasePath} has no architecture ${quote(architecture)} (it has ${listedArchitectures.join(', ') || 'none'}); set arch to one of those, or to "" for all.`,
    );
  // Architecture: all packages live in binary-all, which apt reads beside the machine's own architecture.
  const architectures = architecture
    ? [architecture, ...(listedArchitectures.includes('all') && architecture !== 'all' ? ['all'] : [])]
    : listedArchitectures;

  // The index files of one directory of the dist that the Release lists, by their names there. All optional:
  // Debian's Release lists the uncompressed Packages it does not publish.
  const listedIn = (dir: string, names: RegExp): OriginFile[] =>
    [...release.files]
      .filter(([path]) => path.startsWith(`${dir}/`) && names.test(path.slice(dir.length + 1)))
      .map(([path, index]) => {
        const strongest = index.checksums[0];
        return {
          path: `${distDir}/${path}`,
          size: index.size,
          checksum: strongest && { type: strongest.type, value: strongest.value },
          optional: true,
        };
      });
  const wanted: { dir: string; files: OriginFile[]; kind: 'packages' | 'translations' }[] = [];
  for (const component of components) {
    for (const arch of architectures) {
      const files = listedIn(`${component}/binary-${arch}`, /^(Packages(\.[a-z0-9]+)?|Release)$/);
      if (files.length === 0) session.log(`${releasePath} lists no index for ${component}/${arch}: skipped.`);
      else wanted.push({ dir: `${distDir}/${component}/binary-${arch}`, files, kind: 'packages' });
    }
    // The English package descriptions, which apt fetches beside the Packages by default, as debmirror keeps
    // them without --i18n.
    const translations = listedIn(`${component}/i18n`, /^(Index|Translation-en(\.[a-z0-9]+)?)$/);
    if (translations.length > 0)
      wanted.push({ dir: `${distDir}/${component}/i18n`, files: translations, kind: 'translations' });
  }

  const fetched = new Set(
    (await session.fetch(wanted.flatMap((entry) => entry.files))).map((file) => file.path),
  );
  if (release.acquireByHash) {
    // The same bytes under dists/DIST/COMPONENT/binary-ARCH/by-hash/TYPE/HASH, where apt asks first, by the
    // strongest checksum the Release gives (as apt picks it); the store keeps them once.
    const byHash: OriginFile[] = [];
    for (const { dir, files } of wanted) {
      for (const file of files) {
        const strongest = release.files.get(file.path.slice(distDir.length + 1))?.checksums[0];
        if (!fetched.has(file.path) || !strongest) continue;
        byHash.push({
          path: `${dir}/by-hash/${strongest.byHash}/${strongest.value}`,
          size: file.size,
          checksum: { type: strongest.type, value: strongest.value },
          optional: true,
        });
      }
    }
    await session.fetch(byHash);
  }

  const packages: DebPackage[] = [];
  const indexes: string[] = [];
  for (const { dir, files, kind } of wanted) {
    if (kind !== 'packages') continue;
    const present = files.filter(
      (file) => fetched.has(file.path) && /\/Packages(\.[a-z0-9]+)?$/.test(file.path),
    );
    const readable =
      present.find((file) => file.path.endsWith('/Packages')) ??
      present.find((file) => file.path.endsWith('/Packages.gz'));
    if (!readable) {
      const names = present.map((file) => file.path.slice(dir.length + 1));
      throw new BootwrightError(
        'E_UNAVAILABLE',
        names.length > 0
          ? `Repo ${quote(repo.name)}: ${dir} offers only ${names.join(', ')}, which bootwright cannot read (Node.js decompresses gzip, not xz or bzip2); mirror an origin that also publishes Packages.gz or Packages.`
          : `Repo ${quote(repo.name)}: ${releasePath} lists Packages indexes for ${dir}, but the origin has none of them; the origin is incomplete or mid-update, try again later.`,
      );
    }
    packages.push(...parsePackages(await readIndex(session, readable.path)));
    indexes.push(dir.slice('dists/'.length));
  }
  return { packages, indexes };
}

async function readIndex(session: SyncSession, path: string): Promise<string> {
  const bytes = await session.read(path);
  if (!path.endsWith('.gz')) return bytes.toString('utf8');
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (error) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `Repo ${quote(session.repo.name)}: ${path} matches its Release checksum but is not gzip data (${(error as Error).message}); the origin publishes a broken index, report it to its owners.`,
    );
  }
}
