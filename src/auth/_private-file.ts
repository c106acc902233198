import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { notFound, quote } from '../errors.js';

/** The errno code of a failed file system call, such as "ENOENT". */
export function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Writes a file only its owner can read (0600) so that readers see the whole old file or the whole new one,
 * even across a crash. With `replace: false` an existing file wins and the call returns false.
 */
export function writePrivateFile(path: string, content: string, { replace }: { replace: boolean }): boolean {
  const dir = dirname(path);
  // Same directory as the target, because rename and link are only atomic within one file system.
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o600);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    throw notFound(`Cannot write ${quote(path)}: directory ${quote(dir)} does not exist; create it first.`);
  }
  try {
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // link, unlike rename, refuses to overwrite, so two processes creating the file at once agree on one content.
    if (replace) renameSync(temp, path);
    else linkSync(temp, path);
  } catch (error) {
    if (replace || errnoCode(error) !== 'EEXIST') throw error;
    return false;
  } finally {
    rmSync(temp, { force: true });
  }
  // The new directory entry survives a power loss only once the directory itself is synced.
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return true;
}

/**
 * Creates `dir` (with any missing parents) so that only its owner can enter it (0700). The mode is set after
 * creating, because mkdir's mode is filtered by the umask; an existing directory is left alone (see tightenMode).
 */
export function ensurePrivateDir(dir: string): void {
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
}

/** Creates an empty file only its owner can read (0600, whatever the umask), unless the file exists. */
export function ensurePrivateFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return;
    throw error;
  }
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

/**
 * Sets `mode` on an existing file or directory that its group or others can reach; returns the mode it had, or
 * undefined when it is missing or already private.
 */
export function tightenMode(path: string, mode: number): number | undefined {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats || (stats.mode & 0o077) === 0) return undefined;
  chmodSync(path, mode);
  return stats.mode & 0o7777;
}
