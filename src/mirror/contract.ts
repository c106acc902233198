// The seams of package mirroring (`bootwright reposync`), so that the engine (snapshots and downloads), each kind of
// repository (yum, apt, wget) and the edges (CLI, REST, XML-RPC, HTTP serving) can be built apart.
//
// A repo's mirror lives under <data dir>/repo_mirror/: every file once, by its SHA-256, in objects/, and each
// repo's snapshots as trees of hard links into it; `current` names the snapshot being served. A sync fills a new
// snapshot and switches `current` to it only when every file is there and verified, so installers never see half
// a mirror, and files shared between snapshots (most packages, from one sync to the next) are stored once.

/** The repo object's fields a sync reads (Cobbler 3.3's names). */
export interface MirroredRepo {
  name: string;
  /** The origin: a baseurl, or a mirrorlist/metalink URL as `mirror_type` says. */
  mirror: string;
  mirror_type: 'baseurl' | 'mirrorlist' | 'metalink';
  breed: 'yum' | 'apt' | 'wget' | 'rsync' | 'rhn';
  /** '' for every architecture the origin has. */
  arch: string;
  /** Mirror only these packages (and what they depend on); empty for all. */
  rpm_list: string[];
  apt_dists: string[];
  apt_components: string[];
  createrepo_flags: string;
  /** An http:// proxy for the downloads; '' for none. */
  proxy: string;
}

export type ChecksumType = 'sha256' | 'sha512' | 'sha384' | 'sha224' | 'sha1' | 'md5';

/** One file of the origin, where it goes in the snapshot, and what it must be. */
export interface OriginFile {
  /** Relative path inside the snapshot (and, unless `url` says otherwise, inside the origin): `repodata/repomd.xml`. */
  path: string;
  /** Absolute URL to fetch; defaults to the repo's mirror URL joined with `path`. */
  url?: string;
  size?: number;
  /** Verified after download; a file whose checksum is known and already stored is not downloaded again. */
  checksum?: { type: ChecksumType; value: string };
  /** A file the origin may lack (an optional index, a .gpg beside InRelease): a 404 skips it instead of failing. */
  optional?: boolean;
}

/** What a kind of repository gets from the engine while it syncs. */
export interface SyncSession {
  readonly repo: MirroredRepo;
  /**
   * Downloads the files (a bounded pool, resumed with Range, retried with back-off, each checked against its size
   * and checksum) into the new snapshot; resolves when all are there. A file that fails its checks fails the sync
   * with one line naming it. Returns the files placed (an optional one that was missing is left out).
   */
  fetch(files: OriginFile[]): Promise<OriginFile[]>;
  /** The bytes of a file already fetched into this snapshot. */
  read(path: string): Promise<Buffer>;
  /** A line for the task log and the progress output. */
  log(line: string): void;
}

/** A kind of repository: what to fetch, read from the origin's own metadata. */
export interface RepoBreed {
  /** Fetches everything the snapshot must hold; resolves with how many packages it holds. */
  sync(session: SyncSession): Promise<{ packages: number }>;
}

/** A repo's mirror as `repo report`, `check` and the timeline show it. */
export interface MirrorStatus {
  /** Undefined when the repo was never synced to the end. */
  current?: {
    snapshot: string;
    /** Milliseconds since the epoch when the sync finished. */
    syncedAt: number;
    files: number;
    packages: number;
    bytes: number;
  };
  /** A sync that started and did not finish (killed, failed): the next one resumes it. */
  partial?: { snapshot: string; startedAt: number };
}

export interface ReposyncOptions {
  /** Skip repos that already have a current snapshot (Cobbler's --only-new). */
  onlyNew?: boolean;
  /** Tries per file before the sync fails (Cobbler's --tries); default 3. */
  tries?: number;
  /** Parallel downloads; default 8. */
  concurrency?: number;
  /** Progress for a person: called often; the CLI draws a bar on a terminal and plain lines otherwise. */
  progress?: (progress: SyncProgress) => void;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface SyncProgress {
  repo: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  /** Undefined while the sizes are not all known. */
  bytesTotal?: number;
}

export interface SyncResult {
  repo: string;
  snapshot: string;
  files: number;
  packages: number;
  bytes: number;
  /** Bytes actually downloaded (the rest was already stored). */
  downloaded: number;
  seconds: number;
}

/** The mirrors of all repos, under one data directory. */
export interface RepoMirrors {
  /** Syncs one repo to a new snapshot and switches to it; rejects with a BootwrightError naming what failed. */
  sync(repo: MirroredRepo, options?: ReposyncOptions): Promise<SyncResult>;
  status(name: string): Promise<MirrorStatus>;
  /** The directory of the snapshot being served, or undefined when the repo was never synced. */
  currentDir(name: string): string | undefined;
  /** Removes every snapshot of the repo and frees what no other repo shares; returns the bytes freed. */
  remove(name: string): Promise<number>;
}
