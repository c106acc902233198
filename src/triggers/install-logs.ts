// The installer's own logs, sent while it runs (Cobbler's anamon, cobbler-koan.md §4.1) and kept per system in
// <dataDir>/install-logs/<system>/<file>. Uploads come from machines that have no token, so every name is
// confined to one plain path segment, and files and their number are capped.

import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BootwrightError, invalid, notFound, quote } from '../errors.js';

export const maxInstallLogBytes = 32 * 1024 * 1024;
export const maxInstallLogFiles = 64;

export interface InstallLogFile {
  name: string;
  size: number;
  /** Milliseconds since the epoch. */
  modified: number;
}

const segmentPattern = /^[A-Za-z0-9_.:+-]+$/;

/** A log's file name is one plain path segment: no slashes, no `..`, nothing hidden. */
export function parseInstallLogName(file: string): string {
  if (!segmentPattern.test(file) || file.startsWith('.') || file.length > 128) {
    throw invalid(
      `Install log name ${quote(file)} is not allowed: use letters, digits and _ . : + - only, not starting with a dot.`,
    );
  }
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
 * Writes one chunk of a log at `offset`, as the uploader counts what it has sent; offset 0 starts the file over
 * (a new install), no offset appends. A chunk past the end would leave a hole, so it is refused.
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
  // Owner-only, as the rest of the data directory: the logs hold kernel command lines and kickstarts.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = await lstat(path).catch(() => undefined);
  if (!existing && (await readdir(dir)).length >= maxInstallLogFiles) {
    throw invalid(
      `System ${quote(system)} already has ${maxInstallLogFiles} install logs; ${quote(name)} was not kept.`,
    );
  }
  const notAFile = invalid(`Install log ${quote(name)} of system ${quote(system)} is not a plain file.`);
  // O_NOFOLLOW: a link planted in the directory must not redirect the write.
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600).catch(
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
    if (position === 0) await handle.truncate(0);
    await handle.write(chunk, 0, chunk.length, position);
    const written = await handle.stat();
    return { name, size: written.size, modified: written.mtimeMs };
  } finally {
    await handle.close();
  }
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
  const path = join(installLogsDir(dataDir, system), parseInstallLogName(file));
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
