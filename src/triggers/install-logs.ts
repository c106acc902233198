// The installer's own logs, sent while it runs (Cobbler's anamon, cobbler-koan.md §4.1) and kept per system in
// <dataDir>/install-logs/<system>/<file>. Uploads come from machines that have no token, so every name is
// confined to one plain path segment, and files and their number are capped. Bytes once kept are never changed:
// a chunk that disagrees with them starts a new log under the name and the old one is kept beside it, so that
// neither a new install nor a stranger (uploads are open unless autoinstall_secrets is on) wipes what an earlier
// install left as evidence.

import { constants } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
} from 'node:fs/promises';
import { join } from 'node:path';
import { BootwrightError, invalid, notFound, quote } from '../errors.js';

export const maxInstallLogBytes = 32 * 1024 * 1024;
export const maxInstallLogFiles = 64;
/** Earlier logs kept under each name, the newest as `NAME.~1~`; the oldest goes when a new one starts. */
export const maxEarlierInstallLogs = 3;

export interface InstallLogFile {
  name: string;
  size: number;
  /** Milliseconds since the epoch. */
  modified: number;
}

const segmentPattern = /^[A-Za-z0-9_.:+-]+$/;
/** GNU cp's numbered backups; `~` is not in segmentPattern, so no upload can write to an earlier log. */
const earlierPattern = /^(.+)\.~([1-9][0-9]{0,2})~$/;

function earlierName(file: string, generation: number): string {
  return `${file}.~${generation}~`;
}

/** A log's file name is one plain path segment: no slashes, no `..`, nothing hidden. */
export function parseInstallLogName(file: string): string {
  if (!segmentPattern.test(file) || file.startsWith('.') || file.length > 128) {
    throw invalid(
      `Install log name ${quote(file)} is not allowed: use letters, digits and _ . : + - only, not starting with a dot.`,
    );
  }
  return file;
}

/** A log to read: one an uploader names, or an earlier one kept under that name. */
function parseKeptLogName(file: string): string {
  const earlier = earlierPattern.exec(file);
  if (earlier) parseInstallLogName(earlier[1] as string);
  else parseInstallLogName(file);
  return file;
}

export function installLogsDir(dataDir: string, system: string): string {
  // Object names may contain dots, so "." and ".." are names the inventory would take.
  if (!segmentPattern.test(system) || system === '.' || system === '..') {
    throw invalid(`System name ${quote(system)} cannot name an install log directory.`);
  }
  return join(dataDir, 'install-logs', system);
}

/**
 * Writes one chunk of a log at `offset`, as the uploader counts what it has sent; no offset appends. A chunk past
 * the end would leave a hole, so it is refused. A chunk over bytes already kept must repeat them, as anamon does
 * when it sends a grown log again from offset 0; one that does not (offset 0 of a new install) starts a new log
 * made of the kept bytes before `offset` and the chunk, and the old log is kept whole as `NAME.~1~`.
 */
export async function writeInstallLogChunk(
  dataDir: string,
  system: string,
  file: string,
  chunk: Uint8Array,
  offset?: number,
): Promise<InstallLogFile> {
  const dir = installLogsDir(dataDir, system);
  const name = parseInstallLogName(file);
  const path = join(dir, name);
  // One write at a time per log: a new log moves the old one aside, which must not meet another chunk midway.
  return oneAtATime(path, async () => {
    // Owner-only, as the rest of the data directory: the logs hold kernel command lines and kickstarts.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const existing = await lstat(path).catch(() => undefined);
    if (!existing) await refuseWhenFull(dir, system, name);
    const notAFile = invalid(`Install log ${quote(name)} of system ${quote(system)} is not a plain file.`);
    // O_NOFOLLOW: a link planted in the directory must not redirect the write.
    const handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600).catch(
      (error: NodeJS.ErrnoException) => {
        throw error.code === 'ELOOP' || error.code === 'EISDIR' ? notAFile : error;
      },
    );
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw notAFile;
      const position = offset ?? info.size;
      if (!Number.isSafeInteger(position) || position < 0) {
        throw invalid(`Offset must be a whole number of bytes, received ${quote(String(offset))}.`);
      }
      if (position > info.size) {
        throw invalid(
          `Chunk at offset ${position} of ${quote(name)} would leave a gap: the server has ${info.size} bytes; send from there.`,
        );
      }
      if (position + chunk.length > maxInstallLogBytes) {
        throw invalid(
          `Install log ${quote(name)} of system ${quote(system)} would grow past ${maxInstallLogBytes} bytes; the rest is not kept.`,
        );
      }
      const overlap = chunk.subarray(0, Math.min(chunk.length, info.size - position));
      if (!(await holds(handle, position, overlap))) {
        return await startNewLog(dir, system, name, handle, position, chunk);
      }
      await handle.write(chunk, 0, chunk.length, position);
      const written = await handle.stat();
      return { name, size: written.size, modified: written.mtimeMs };
    } finally {
      await handle.close();
    }
  });
}

const writing = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
  const mine = (writing.get(key) ?? Promise.resolve()).then(work);
  const settled = mine.catch(() => undefined);
  writing.set(key, settled);
  try {
    return await mine;
  } finally {
    if (writing.get(key) === settled) writing.delete(key);
  }
}

async function refuseWhenFull(dir: string, system: string, name: string): Promise<void> {
  if ((await readdir(dir)).length >= maxInstallLogFiles) {
    throw invalid(
      `System ${quote(system)} already has ${maxInstallLogFiles} install logs; ${quote(name)} was not kept.`,
    );
  }
}

/** Whether the file holds exactly `bytes` at `position`. */
async function holds(handle: FileHandle, position: number, bytes: Uint8Array): Promise<boolean> {
  if (bytes.length === 0) return true;
  const kept = Buffer.alloc(bytes.length);
  const { bytesRead } = await handle.read(kept, 0, bytes.length, position);
  return bytesRead === bytes.length && kept.equals(bytes);
}

/** Moves the log at `name` to `NAME.~1~` (and each earlier one a step back) and writes the new one in its place. */
async function startNewLog(
  dir: string,
  system: string,
  name: string,
  old: FileHandle,
  position: number,
  chunk: Uint8Array,
): Promise<InstallLogFile> {
  const path = join(dir, name);
  const oldest = join(dir, earlierName(name, maxEarlierInstallLogs));
  // Moving the oldest out frees the place the new log takes; without it the new log is one more file.
  if (!(await lstat(oldest).catch(() => undefined))) await refuseWhenFull(dir, system, name);
  await unlink(oldest).catch(ignoreMissing);
  for (let generation = maxEarlierInstallLogs - 1; generation >= 1; generation--) {
    await rename(
      join(dir, earlierName(name, generation)),
      join(dir, earlierName(name, generation + 1)),
    ).catch(ignoreMissing);
  }
  await rename(path, join(dir, earlierName(name, 1)));
  const fresh = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    // The kept bytes before the offset are the new log's too; the old handle still reads them after the move.
    const block = Buffer.alloc(Math.min(position, 1024 * 1024));
    for (let done = 0; done < position; ) {
      const { bytesRead } = await old.read(block, 0, Math.min(block.length, position - done), done);
      if (bytesRead === 0) break;
      await fresh.write(block, 0, bytesRead, done);
      done += bytesRead;
    }
    await fresh.write(chunk, 0, chunk.length, position);
    const written = await fresh.stat();
    return { name, size: written.size, modified: written.mtimeMs };
  } finally {
    await fresh.close();
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}

/** The logs kept for a system, by name; none when it never sent any. */
export async function listInstallLogs(dataDir: string, system: string): Promise<InstallLogFile[]> {
  const dir = installLogsDir(dataDir, system);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: InstallLogFile[] = [];
  for (const name of names.sort()) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info?.isFile()) files.push({ name, size: info.size, modified: info.mtimeMs });
  }
  return files;
}

export async function readInstallLog(dataDir: string, system: string, file: string): Promise<string> {
  const path = join(installLogsDir(dataDir, system), parseKeptLogName(file));
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw notFound(`System ${quote(system)} has no install log ${quote(file)}.`);
    }
    throw new BootwrightError(
      'E_INTERNAL',
      `Cannot read install log ${quote(file)} of system ${quote(system)}: ${(error as Error).message}`,
    );
  }
}

/** What `status --logs` prints: each log's name and size, then its last lines. */
export async function formatInstallLogs(dataDir: string, system: string, tailLines = 20): Promise<string> {
  const files = await listInstallLogs(dataDir, system);
  if (files.length === 0) return `No install logs for system ${system}.\n`;
  const parts: string[] = [];
  for (const file of files) {
    const lines = (await readInstallLog(dataDir, system, file.name)).split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const shown = lines.slice(-tailLines);
    const skipped = lines.length - shown.length;
    parts.push(
      `==> ${file.name} (${file.size} bytes${skipped > 0 ? `, last ${shown.length} lines` : ''}) <==\n`,
      ...shown.map((line) => `${line}\n`),
    );
  }
  return parts.join('');
}
