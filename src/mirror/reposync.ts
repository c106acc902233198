// `reposync` as the CLI, REST and XML-RPC all run it: which repos a run takes (Cobbler 3.3's rules), each synced
// through the engine (RepoMirrors) in turn, and each step on the install timeline (`reposync.start`, `.done`,
// `.failed`). The sync itself (what to fetch, snapshots) is the engine's; this file only picks, reports and decides
// whether to go on after a failure.

import { asBootwrightError, BootwrightError, invalid, quote } from '../errors.js';
import { compileGlob } from '../model/glob.js';
import type { InventoryObject } from '../model/kinds.js';
import type { EventInput } from '../store/store.js';
import type { MirroredRepo, RepoMirrors, SyncProgress, SyncResult } from './contract.js';

export interface ReposyncRequest {
  /** A glob over repo names (Cobbler's --only names one); every repo with keep_updated on when absent. */
  name?: string;
  /** These repos by their exact names, as Cobbler's web UI passes them to background_reposync. */
  names?: string[];
  /** Skip repos that already have a snapshot (--only-new). */
  onlyNew?: boolean;
  /** Tries per file (--tries); the engine's default when absent. */
  tries?: number;
  /** Go on past a failed repo, and fail only at the end (--no-fail). */
  noFail?: boolean;
  /** Stops the run: the sync under way stops at its next step (and resumes next time), the rest are not started. */
  signal?: AbortSignal;
}

export interface ReposyncReporter {
  /** A line for a person (the CLI's output, a task's log). */
  line(text: string): void;
  progress?(progress: SyncProgress): void;
}

export interface ReposyncDeps {
  repos(): Promise<InventoryObject[]>;
  mirrors: RepoMirrors;
  events?: { publish(event: EventInput): void };
}

export interface ReposyncOutcome {
  synced: SyncResult[];
  skipped: { repo: string; reason: string }[];
  failed: { repo: string; error: string }[];
}

/** The highest --tries taken: each try of each file is a request to the origin. */
const maxTries = 100;

/** Checks a --tries value (a flag's text, a REST number, an XML-RPC int or string). */
export function parseTries(value: unknown): number {
  const tries =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(tries) || tries < 1 || tries > maxTries)
    throw invalid(
      `Tries ${quote(String(value))} is not a whole number from 1 to ${maxTries}; give e.g. --tries=3.`,
    );
  return tries;
}

const list = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string' && value !== ''
      ? value.split(/\s+/)
      : [];

/** The fields a sync reads, from the stored repo object. */
export function mirroredRepo(repo: InventoryObject): MirroredRepo {
  const { fields } = repo;
  return {
    name: repo.name,
    mirror: String(fields.mirror ?? ''),
    mirror_type: (fields.mirror_type || 'baseurl') as MirroredRepo['mirror_type'],
    breed: (fields.breed || 'yum') as MirroredRepo['breed'],
    arch: String(fields.arch ?? ''),
    rpm_list: list(fields.rpm_list),
    apt_dists: list(fields.apt_dists),
    apt_components: list(fields.apt_components),
    createrepo_flags: String(fields.createrepo_flags ?? ''),
    proxy: String(fields.proxy ?? ''),
  };
}

/** What to use instead, for the breeds bootwright does not mirror. */
const unmirroredBreeds: Partial<Record<MirroredRepo['breed'], string>> = {
  rsync:
    "bootwright does not mirror rsync repos: give it the repo's http:// URL with --breed=yum (or apt), or copy it with rsync into a directory you serve yourself and set --mirror-locally=false",
  rhn: "bootwright does not mirror rhn:// channels: point the repo at the channel's yum URL (Satellite, subscription-manager) with --breed=yum",
};

/** Whether installers are sent to this server's mirror of the repo: mirror_locally on, and a breed bootwright syncs. */
export function servedFromMirror(fields: Record<string, unknown>): boolean {
  const breed = (fields.breed || 'yum') as MirroredRepo['breed'];
  return fields.mirror_locally !== false && unmirroredBreeds[breed] === undefined;
}

/** What check and validate-autoinstalls say of a repo installers are sent to but that was never synced. */
export function neverSyncedProblem(repo: string): { problem: string; fix: string } {
  return {
    problem: `Repo ${quote(repo)} is mirrored here (mirror_locally on) but was never synced, so installs that use it fail at its first file (404 at /cobbler/repo_mirror/${repo}/).`,
    fix: `bootwright reposync --name=${repo} (or bootwright repo edit --name=${repo} --mirror-locally=false to send installers to its origin)`,
  };
}

/** Why a run leaves this repo alone, or undefined when it syncs it. */
async function skipReason(
  repo: InventoryObject,
  request: ReposyncRequest,
  mirrors: RepoMirrors,
): Promise<string | undefined> {
  // As Cobbler: a run over every repo leaves out those not to be kept updated; naming a repo syncs it anyway.
  if (request.name === undefined && request.names === undefined && repo.fields.keep_updated === false)
    return 'keep_updated is off (name it with --name to sync it anyway)';
  if (repo.fields.mirror_locally === false)
    return 'mirror_locally is off: installers use its origin, so there is nothing to mirror';
  const breed = (repo.fields.breed || 'yum') as MirroredRepo['breed'];
  const unmirrored = unmirroredBreeds[breed];
  if (unmirrored) return unmirrored;
  if (request.onlyNew && (await mirrors.status(repo.name)).current) return 'already mirrored (--only-new)';
  return undefined;
}

const byteUnits = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/** The unit a size is shown in: the largest that leaves it at 1 or more (decimal, as disk and download tools count). */
function unitOf(bytes: number): number {
  let unit = 0;
  while (unit < byteUnits.length - 1 && Math.abs(bytes) >= 1000 ** (unit + 1)) unit++;
  return unit;
}

function inUnit(bytes: number, unit: number): string {
  return unit === 0 ? String(Math.round(bytes)) : (bytes / 1000 ** unit).toFixed(1);
}

/** `20.1 kB`, `3.2 MB`; `512 B`. */
export function formatBytes(bytes: number): string {
  const unit = unitOf(bytes);
  return `${inUnit(bytes, unit)} ${byteUnits[unit]}`;
}

/** `0.4/20.1 MB`: a part of a whole, both in the whole's unit. */
export function formatBytesOf(done: number, total: number): string {
  const unit = unitOf(total);
  return `${inUnit(done, unit)}/${inUnit(total, unit)} ${byteUnits[unit]}`;
}

/** The line that ends a repo's sync: what it took, and what is served now. */
export function describeResult(result: SyncResult): string {
  return `${result.repo}: synced in ${result.seconds.toFixed(1)} s (${formatBytes(result.downloaded)} downloaded); serving snapshot ${result.snapshot}: ${result.files} files, ${result.packages} packages, ${formatBytes(result.bytes)}`;
}

/**
 * A mirror or proxy URL may carry a user and password (`http://user:secret@host/`); task logs and events are open
 * reads, so they show `http://***@host/` instead.
 */
export function maskCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

/**
 * Syncs the repos the request picks, one after the other. Without noFail the first failure ends the run (the repos
 * after it are left as they were); with it the run goes on and fails at the end, naming every repo that failed,
 * as Cobbler's `--no-fail` does.
 */
export async function reposync(
  deps: ReposyncDeps,
  request: ReposyncRequest,
  reporter: ReposyncReporter,
): Promise<ReposyncOutcome> {
  const tries = request.tries === undefined ? undefined : parseTries(request.tries);
  const glob = request.name === undefined ? undefined : compileGlob(request.name, 'Repo name pattern');
  const all = await deps.repos();
  const unknown = request.names?.filter((name) => !all.some((repo) => repo.name === name)) ?? [];
  if (unknown.length > 0) {
    throw new BootwrightError(
      'E_NOT_FOUND',
      `No repo is named ${unknown.map(quote).join(', ')}; "bootwright repo list" names the repos.`,
    );
  }
  const repos = all.filter(
    (repo) => (glob?.test(repo.name) ?? true) && (request.names?.includes(repo.name) ?? true),
  );
  if (repos.length === 0) {
    throw new BootwrightError(
      'E_NOT_FOUND',
      request.name === undefined
        ? 'There are no repos to sync; add one with "bootwright repo add --name=NAME --mirror=URL".'
        : `No repo is named ${quote(request.name)}; "bootwright repo list" names the repos.`,
    );
  }
  const outcome: ReposyncOutcome = { synced: [], skipped: [], failed: [] };
  const given = reporter;
  reporter = { ...given, line: (text) => given.line(maskCredentials(text)) };
  for (const repo of repos) {
    if (request.signal?.aborted)
      throw new BootwrightError('E_UNAVAILABLE', `reposync stopped before repo ${quote(repo.name)}.`);
    const reason = await skipReason(repo, request, deps.mirrors);
    if (reason) {
      reporter.line(`${repo.name}: skipped, ${reason}`);
      outcome.skipped.push({ repo: repo.name, reason });
      continue;
    }
    const names = { detail: { repo: repo.name } };
    deps.events?.publish({ type: 'reposync.start', ...names });
    reporter.line(`${repo.name}: syncing from ${String(repo.fields.mirror)}`);
    try {
      const result = await deps.mirrors.sync(mirroredRepo(repo), {
        ...(tries === undefined ? {} : { tries }),
        ...(request.signal ? { signal: request.signal } : {}),
        // The engine names the repo in some of its lines; each line names it once.
        log: (text) => reporter.line(text.startsWith(`${repo.name}: `) ? text : `${repo.name}: ${text}`),
        ...(reporter.progress ? { progress: reporter.progress } : {}),
      });
      outcome.synced.push(result);
      deps.events?.publish({
        type: 'reposync.done',
        detail: {
          repo: repo.name,
          snapshot: result.snapshot,
          files: result.files,
          packages: result.packages,
          bytes: result.bytes,
          downloaded: result.downloaded,
          seconds: result.seconds,
        },
      });
      reporter.line(describeResult(result));
    } catch (thrown) {
      const error = asBootwrightError(thrown);
      const line = maskCredentials(error.message.replaceAll(/\s*\r?\n\s*/g, ' '));
      deps.events?.publish({ type: 'reposync.failed', detail: { repo: repo.name, error: line } });
      // Without --no-fail the error ends the run, and is the one line the caller shows.
      if (!request.noFail) throw error;
      reporter.line(`${repo.name}: failed: ${line}`);
      outcome.failed.push({ repo: repo.name, error: line });
    }
  }
  if (outcome.failed.length > 0) {
    const names = outcome.failed.map((failure) => quote(failure.repo)).join(', ');
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `reposync failed for ${outcome.failed.length === 1 ? 'repo' : 'repos'} ${names} (the others are synced); the lines above say why.`,
    );
  }
  return outcome;
}
