import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
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
