// The sync engine: every file once by its SHA-256 under objects/, each repo's snapshots as trees of hard links into
// it, `current` a symlink switched atomically once a sync is complete and verified. A sync builds in `partial/`, with
// a journal of the files it verified, so one killed halfway (SIGKILL, a power cut) resumes without downloading them
// again: a file whose checksum is known is found among the objects, one whose checksum is not (repomd.xml, a wget
// tree) is asked for again with its ETag or Last-Modified and answered 304.
//
// <data dir>/repo_mirror/
//   objects/sha256/XX/HASH          the files, once each; an object whose link count falls to 1 is unused
//   objects/sha1/XX/VALUE           symlinks to them by the other checksums metadata may give (old yum repos)
//   repos/NAME/current              -> snapshots/ID, the snapshot served
//   repos/NAME/snapshots/ID/        the tree; ID.json its summary, ID.files.json what each file is
//   repos/NAME/partial/             the sync in progress: state.json, journal.jsonl, downloads/, tree/
//   repos/NAME/sync.lock            the pid of the process syncing this repo

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readlinkSync } from 'node:fs';
import {
  appendFile,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  rmdir,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { BootwrightError, quote } from '../errors.js';
import { extraBreeds } from './breeds.js';
import type {
  ChecksumType,
  MirroredRepo,
  MirrorStatus,
  OriginFile,
  RepoBreed,
  RepoMirrors,
  ReposyncOptions,
  SyncProgress,
  SyncResult,
} from './contract.js';
import { download, Pool } from './download.js';
import type { SnapshotSession } from './snapshot-session.js';
import { yumBreed } from './yum.js';

type Breeds = Partial<Record<MirroredRepo['breed'], RepoBreed>>;

/** What the engine knows of one file of a snapshot. */
interface FileEntry {
  path: string;
  sha256: string;
  size: number;
  etag?: string;
  lastModified?: string;
}

interface SnapshotSummary {
  snapshot: string;
  syncedAt: number;
  files: number;
  packages: number;
  bytes: number;
}

interface PartialState {
  snapshot: string;
  startedAt: number;
  breed: string;
  mirror: string;
}

export function openRepoMirrors(dataDir: string, breeds: Breeds = {}): RepoMirrors {
  const root = join(dataDir, 'repo_mirror');
  const objects = new ObjectStore(join(root, 'objects'));
  const allBreeds: Breeds = { ...extraBreeds, yum: yumBreed, ...breeds };
  const repoDir = (name: string) => join(root, 'repos', checkRepoName(name));

  return {
    async sync(repo, options = {}) {
      const breed = allBreeds[repo.breed];
      if (!breed)
        throw new BootwrightError(
          'E_INVALID',
          `Repo ${quote(repo.name)}: breed ${quote(repo.breed)} is not supported yet by reposync; mirror it with ${repo.breed === 'rsync' ? 'rsync' : 'its own tool'} into a directory and serve that, or use breed yum, apt or wget over HTTP.`,
        );
      const dir = repoDir(repo.name);
      await mkdir(dir, { recursive: true });
      const release = await lockRepo(dir, repo.name);
      try {
        if (options.onlyNew) {
          const summary = await currentSummary(dir);
          if (summary) return { repo: repo.name, ...summary, downloaded: 0, seconds: 0 };
        }
        return await runSync(dir, objects, repo, breed, options);
      } catch (error) {
        throw asSyncFailure(repo.name, dir, error);
      } finally {
        await release();
      }
    },

    async status(name) {
      const dir = repoDir(name);
      const status: MirrorStatus = {};
      const summary = await currentSummary(dir);
      if (summary) status.current = summary;
      const partial = await readJson<PartialState>(join(dir, 'partial', 'state.json'));
      if (partial) status.partial = { snapshot: partial.snapshot, startedAt: partial.startedAt };
      return status;
    },

    currentDir(name) {
      const dir = repoDir(name);
      try {
        const target = join(dir, readlinkSync(join(dir, 'current')));
        return existsSync(target) ? target : undefined;
      } catch {
        return undefined;
      }
    },

    async remove(name) {
      const dir = repoDir(name);
      if (!existsSync(dir)) return 0;
      const release = await lockRepo(dir, name);
      let freed = 0;
      try {
        // Files of the repo's own (manifests, partial downloads) count as well as the objects only it used.
        freed += await sizeOfUnshared(dir);
        await rm(join(dir, 'current'), { force: true });
        for (const entry of await readdir(dir))
          if (entry !== 'sync.lock') await rm(join(dir, entry), { recursive: true, force: true });
      } finally {
        await release();
      }
      await rm(dir, { recursive: true, force: true });
      return freed + (await objects.collect());
    },
  };
}

function checkRepoName(name: string): string {
  if (!name || name.includes('/') || name.includes('\0') || name.startsWith('.'))
    throw new BootwrightError(
      'E_INVALID',
      `Repo name ${quote(name)} cannot name a mirror directory; use letters, digits, dots, dashes and underscores.`,
    );
  return name;
}

/** A path from an origin's metadata, checked before it becomes a path on disk. */
function checkSnapshotPath(repo: string, path: string): string {
  const segments = path.split('/');
  if (
    !path ||
    path.startsWith('/') ||
    path.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  )
    throw new BootwrightError(
      'E_INVALID',
      `Repo ${quote(repo)}: the origin names the file ${quote(path)}, which would land outside the mirror; the origin's metadata is not to be trusted.`,
    );
  return path;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function currentSummary(dir: string): Promise<SnapshotSummary | undefined> {
  let id: string;
  try {
    id = relative('snapshots', readlinkSync(join(dir, 'current')));
  } catch {
    return undefined;
  }
  return await readJson<SnapshotSummary>(join(dir, 'snapshots', `${id}.json`));
}

/** One sync per repo at a time, across processes (the CLI and the server may both run one). */
async function lockRepo(dir: string, name: string): Promise<() => Promise<void>> {
  const path = join(dir, 'sync.lock');
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number(await readFile(path, 'utf8').catch(() => ''));
    if (pid && isAlive(pid))
      throw new BootwrightError(
        'E_IN_USE',
        `Repo ${quote(name)} is being synced by process ${pid}; wait for that sync to end (or stop it) and try again.`,
      );
    // The process that held it is gone (killed mid-sync): its partial snapshot is resumed, its lock is not.
    await rm(path, { force: true });
  }
  throw new BootwrightError('E_IN_USE', `Repo ${quote(name)}: could not take ${quote(path)}; try again.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function asSyncFailure(name: string, dir: string, error: unknown): BootwrightError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new BootwrightError(
      'E_UNAVAILABLE',
      `Repo ${quote(name)}: the disk holding ${quote(dir)} is full; the previous snapshot keeps serving: free some space and run reposync again, it resumes where it stopped.`,
    );
  const prefix = `Repo ${quote(name)}: `;
  if (error instanceof BootwrightError)
    return error.message.startsWith(prefix) ? error : new BootwrightError(error.code, prefix + error.message);
  const message = error instanceof Error ? error.message : String(error);
  return new BootwrightError('E_INTERNAL', `${prefix}the sync failed: ${message}`);
}

/** The content-addressed store shared by every repo. */
class ObjectStore {
  constructor(readonly root: string) {}

  path(sha256: string): string {
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  private aliasPath(type: ChecksumType, value: string): string {
    return join(this.root, type, value.slice(0, 2), value);
  }

  /** The stored object with this checksum (and size, when given), if there is one. */
  async find(checksum: { type: ChecksumType; value: string }, size?: number): Promise<string | undefined> {
    const value = checksum.value.toLowerCase();
    if (!/^[0-9a-f]+$/.test(value)) return undefined;
    const path = checksum.type === 'sha256' ? this.path(value) : this.aliasPath(checksum.type, value);
    try {
      const info = await stat(path);
      if (size !== undefined && info.size !== size) return undefined;
      return checksum.type === 'sha256' ? path : this.path(await sha256OfAlias(path));
    } catch {
      return undefined;
    }
  }

  /** Moves a verified file into the store (or drops it when the same content is there already). */
  async add(file: string, sha256: string, alias?: { type: ChecksumType; value: string }): Promise<string> {
    const path = this.path(sha256);
    await mkdir(dirname(path), { recursive: true });
    try {
      await link(file, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (alias && alias.type !== 'sha256') {
      const aliasPath = this.aliasPath(alias.type, alias.value.toLowerCase());
      await mkdir(dirname(aliasPath), { recursive: true });
      await symlink(relative(dirname(aliasPath), path), aliasPath).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
    return path;
  }

  /** Frees every object no snapshot links (link count 1) and the aliases left pointing nowhere; returns bytes freed. */
  async collect(): Promise<number> {
    let freed = 0;
    for (const path of await this.entries('sha256')) {
      const info = await lstat(path).catch(() => undefined);
      if (info?.isFile() && info.nlink === 1) {
        await unlink(path).catch(() => undefined);
        freed += info.size;
      }
    }
    for (const type of await readdir(this.root).catch(() => [] as string[])) {
      if (type === 'sha256') continue;
      for (const path of await this.entries(type))
        if (!(await stat(path).catch(() => undefined))) await unlink(path).catch(() => undefined);
    }
    return freed;
  }

  /** The paths of one checksum type's entries, bucket by bucket. */
  private async entries(type: string): Promise<string[]> {
    const paths: string[] = [];
    const typeDir = join(this.root, type);
    for (const bucket of await readdir(typeDir).catch(() => [] as string[]))
      for (const name of await readdir(join(typeDir, bucket))) paths.push(join(typeDir, bucket, name));
    return paths;
  }
}

async function sha256OfAlias(aliasPath: string): Promise<string> {
  const target = await readlink(aliasPath);
  return target.split('/').pop() ?? '';
}

async function sizeOfUnshared(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await sizeOfUnshared(path);
    else if (entry.isFile()) {
      const info = await lstat(path);
      if (info.nlink === 1) total += info.size;
    }
  }
  return total;
}

/** Every file under `dir`, as paths relative to it. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => [])) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await walk(dir, path)));
    else files.push(path);
  }
  return files;
}

function newSnapshotId(): string {
  const time = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${time}-${randomBytes(3).toString('hex')}`;
}

/** Hard-links `source` at `destination`, replacing what was there in one step. */
async function placeLink(source: string, destination: string): Promise<void> {
  await mkdir(dirname(destination), { recursive: true });
  const temporary = `${destination}.${process.pid}.linking`;
  await rm(temporary, { force: true });
  await link(source, temporary);
  await rename(temporary, destination);
}

async function runSync(
  dir: string,
  objects: ObjectStore,
  repo: MirroredRepo,
  breed: RepoBreed,
  options: ReposyncOptions,
): Promise<SyncResult> {
  const started = Date.now();
  const log = (line: string) => options.log?.(`${repo.name}: ${line}`);
  const partialDir = join(dir, 'partial');
  const treeDir = join(partialDir, 'tree');
  const downloadsDir = join(partialDir, 'downloads');
  const journalPath = join(partialDir, 'journal.jsonl');

  // Resume the partial snapshot a killed or failed sync left, if it was of the same origin.
  let state = await readJson<PartialState>(join(partialDir, 'state.json'));
  if (state && (state.mirror !== repo.mirror || state.breed !== repo.breed)) {
    log('the unfinished sync was of another origin; starting afresh');
    state = undefined;
  }
  if (!state) {
    await rm(partialDir, { recursive: true, force: true });
    state = { snapshot: newSnapshotId(), startedAt: Date.now(), breed: repo.breed, mirror: repo.mirror };
    await mkdir(partialDir, { recursive: true });
    await writeFile(join(partialDir, 'state.json'), JSON.stringify(state));
  } else {
    log(`resuming the sync started ${new Date(state.startedAt).toISOString()}`);
  }
  await mkdir(treeDir, { recursive: true });
  await mkdir(downloadsDir, { recursive: true });

  // What each path was, for conditional requests: the journal of this partial snapshot, else the current one.
  const known = new Map<string, FileEntry>();
  const previous = await currentSummary(dir);
  if (previous) {
    const entries = await readJson<FileEntry[]>(join(dir, 'snapshots', `${previous.snapshot}.files.json`));
    for (const entry of entries ?? []) known.set(entry.path, entry);
  }
  for (const line of (await readFile(journalPath, 'utf8').catch(() => '')).split('\n')) {
    try {
      const entry = JSON.parse(line) as FileEntry;
      if (entry.path && entry.sha256) known.set(entry.path, entry);
    } catch {
      // The last line of a journal cut by SIGKILL may be torn; that file is simply fetched again.
    }
  }

  const placed = new Map<string, FileEntry>();
  const pool = new Pool(Math.max(1, options.concurrency ?? 8));
  const base = repo.mirror.endsWith('/') ? repo.mirror : `${repo.mirror}/`;
  let downloaded = 0;
  const progress: SyncProgress = {
    repo: repo.name,
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
  };
  let sizesKnown = true;
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (!options.progress || (!force && now - lastReport < 200)) return;
    lastReport = now;
    options.progress({ ...progress, bytesTotal: sizesKnown ? progress.bytesTotal : undefined });
  };

  const record = async (entry: FileEntry) => {
    placed.set(entry.path, entry);
    await appendFile(journalPath, `${JSON.stringify(entry)}\n`);
  };

  async function fetchOne(file: OriginFile): Promise<OriginFile | undefined> {
    const path = checkSnapshotPath(repo.name, file.path);
    const treePath = join(treeDir, path);
    const finish = (size: number) => {
      progress.filesDone += 1;
      if (file.size === undefined) progress.bytesDone += size;
      report(true);
      return file;
    };
    if (file.checksum) {
      const stored = await objects.find(file.checksum, file.size);
      if (stored) {
        await placeLink(stored, treePath);
        const size = (await stat(stored)).size;
        progress.bytesDone += file.size ?? 0;
        await record({ path, sha256: stored.split('/').pop() ?? '', size });
        return finish(size);
      }
    }
    const url = file.url ?? new URL(path, base).href;
    const before = known.get(path);
    const beforeObject = before && !file.checksum ? objects.path(before.sha256) : undefined;
    const conditional = beforeObject && existsSync(beforeObject) ? before : undefined;
    const target = join(downloadsDir, createHash('sha256').update(path).digest('hex'));
    const outcome = await download(
      {
        url,
        label: path,
        target,
        size: file.size,
        checksum: file.checksum,
        optional: file.optional,
        ifNoneMatch: conditional?.etag,
        ifModifiedSince: conditional?.etag ? undefined : conditional?.lastModified,
      },
      {
        proxy: repo.proxy,
        tries: options.tries,
        signal: options.signal,
        onBytes: (bytes) => {
          if (file.size !== undefined) progress.bytesDone += bytes;
          report();
        },
      },
    );
    if (outcome.kind === 'missing') {
      progress.filesDone += 1;
      if (file.size !== undefined) progress.bytesTotal = (progress.bytesTotal ?? 0) - file.size;
      return undefined;
    }
    if (outcome.kind === 'not-modified' && conditional && beforeObject) {
      await placeLink(beforeObject, treePath);
      await record({ ...conditional, path });
      return finish(conditional.size);
    }
    if (outcome.kind !== 'downloaded')
      throw new BootwrightError(
        'E_INTERNAL',
        `${path}: the origin answered 304 to a request that was not conditional.`,
      );
    downloaded += outcome.received;
    const object = await objects.add(target, outcome.sha256, file.checksum);
    await placeLink(object, treePath);
    await rm(target, { force: true });
    await record({
      path,
      sha256: outcome.sha256,
      size: outcome.size,
      etag: outcome.etag,
      lastModified: outcome.lastModified,
    });
    return finish(outcome.size);
  }

  const session: SnapshotSession = {
    repo,
    treeDir,
    async fetch(requested) {
      // One download per path: a path listed twice (metadata naming a file in two places) would race itself.
      const files = [...new Map(requested.map((file) => [file.path, file])).values()];
      progress.filesTotal += files.length;
      for (const file of files) {
        if (file.size === undefined) sizesKnown = false;
        else progress.bytesTotal = (progress.bytesTotal ?? 0) + file.size;
      }
      report(true);
      const results = await Promise.all(
        files.map((file) =>
          pool.run(() => {
            if (options.signal?.aborted)
              throw new BootwrightError(
                'E_UNAVAILABLE',
                'The sync was cancelled; run reposync again to resume it.',
              );
            return fetchOne(file);
          }),
        ),
      );
      return results.filter((file): file is OriginFile => file !== undefined);
    },
    async read(path) {
      try {
        return await readFile(join(treeDir, checkSnapshotPath(repo.name, path)));
      } catch {
        throw new BootwrightError('E_INTERNAL', `${path} was read before it was fetched.`);
      }
    },
    log,
    async adoptChanges() {
      const present = new Set(await walk(treeDir));
      for (const path of [...placed.keys()]) if (!present.has(path)) placed.delete(path);
      for (const path of present) {
        const info = await lstat(join(treeDir, path));
        const entry = placed.get(path);
        if (entry && info.nlink > 1 && info.size === entry.size) continue;
        // A file the tool wrote: hash it and store it like a download.
        const sha256 = createHash('sha256')
          .update(await readFile(join(treeDir, path)))
          .digest('hex');
        const object = await objects.add(join(treeDir, path), sha256);
        await placeLink(object, join(treeDir, path));
        await record({ path, sha256, size: info.size });
      }
    },
  };

  const { packages } = await breed.sync(session);
  report(true);

  // Files an earlier attempt placed that this one did not ask for (the origin changed meanwhile) leave the tree.
  for (const path of await walk(treeDir)) {
    if (!placed.has(path)) await rm(join(treeDir, path), { force: true });
  }
  await removeEmptyDirectories(treeDir);

  // The switch: the tree becomes a snapshot, then `current` is replaced by a new symlink in one rename.
  const snapshotsDir = join(dir, 'snapshots');
  await mkdir(snapshotsDir, { recursive: true });
  const snapshotDir = join(snapshotsDir, state.snapshot);
  const entries = [...placed.values()].sort((a, b) => a.path.localeCompare(b.path));
  const summary: SnapshotSummary = {
    snapshot: state.snapshot,
    syncedAt: Date.now(),
    files: entries.length,
    packages,
    bytes: entries.reduce((sum, entry) => sum + entry.size, 0),
  };
  await writeFile(join(snapshotsDir, `${state.snapshot}.files.json`), JSON.stringify(entries));
  await writeFile(join(snapshotsDir, `${state.snapshot}.json`), JSON.stringify(summary));
  await rm(snapshotDir, { recursive: true, force: true });
  await rename(treeDir, snapshotDir);
  const newLink = join(dir, `current.${process.pid}.new`);
  await rm(newLink, { force: true });
  await symlink(join('snapshots', state.snapshot), newLink);
  await rename(newLink, join(dir, 'current'));
  await rm(partialDir, { recursive: true, force: true });

  // Older snapshots go, and with them every object only they linked.
  for (const entry of await readdir(snapshotsDir)) {
    if (entry !== state.snapshot && !entry.startsWith(`${state.snapshot}.`))
      await rm(join(snapshotsDir, entry), { recursive: true, force: true });
  }
  await objects.collect();
  log(
    `snapshot ${state.snapshot}: ${summary.files} files, ${summary.packages} packages, ${summary.bytes} bytes (${downloaded} downloaded)`,
  );
  return {
    repo: repo.name,
    snapshot: state.snapshot,
    files: summary.files,
    packages,
    bytes: summary.bytes,
    downloaded,
    seconds: (Date.now() - started) / 1000,
  };
}

async function removeEmptyDirectories(dir: string): Promise<boolean> {
  let empty = true;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && (await removeEmptyDirectories(join(dir, entry.name)))) {
      await rmdir(join(dir, entry.name));
    } else empty = false;
  }
  return empty;
}
