// Policy: which file a TFTP path means. Routes are tried in order and the first that returns a file wins, like
// Tinkerbell's router of routes. A route returns undefined for "not mine / not found" and throws E_FORBIDDEN for a
// path it refuses, which the server answers with ERROR 2 (access violation) without asking later routes.

import { constants, type FileHandle, open, realpath } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { BootwrightError, quote } from '../errors.js';

/** A file to send: generated files are small buffers; files on disk are read a window at a time. */
export type TftpFile =
  | { size: number; read(offset: number, length: number): Promise<Buffer>; close?(): Promise<void> }
  | { size: number; data: Buffer };

export interface TftpClient {
  address: string;
  port: number;
}

export interface TftpRoute {
  name: string;
  resolve(path: string, client: TftpClient): Promise<TftpFile | undefined>;
}

export interface ResolvedTftpFile {
  route: string;
  file: TftpFile;
}

/**
 * Some firmwares send `\` as the separator and most send a leading `/` for a path meant relative to the TFTP root
 * (pxelinux, GRUB's `$prefix`); every route sees the same tidy relative path.
 */
export function normaliseTftpPath(path: string): string {
  return path
    .replaceAll('\\', '/')
    .replace(/\/{2,}/g, '/')
    .replace(/^\/+/, '');
}

export async function resolveTftpPath(
  routes: readonly TftpRoute[],
  requested: string,
  client: TftpClient,
): Promise<ResolvedTftpFile | undefined> {
  const path = normaliseTftpPath(requested);
  for (const route of routes) {
    const file = await route.resolve(path, client);
    if (file) return { route: route.name, file };
  }
  return undefined;
}

export function forbidden(message: string): BootwrightError {
  return new BootwrightError('E_FORBIDDEN', message);
}

/**
 * Serves the files under `root`, for paths under `prefix` (with the prefix taken off). It refuses `..`, absolute
 * paths, backslashes and NUL, any path whose real path (symlinks followed) lies outside the root's real path, and
 * any that `mayServe` refuses by its real path.
 */
export function fileRootRoute(
  root: string,
  prefix = '',
  options: { mayServe?: (realPath: string) => Promise<boolean> } = {},
): TftpRoute {
  const cleanPrefix = prefix.replace(/^\/+|\/+$/g, '');
  let realRoot: Promise<string> | undefined;
  return {
    name: cleanPrefix === '' ? `files:${root}` : `files:${cleanPrefix}->${root}`,
    async resolve(path) {
      let relative = path;
      if (cleanPrefix !== '') {
        if (!path.startsWith(`${cleanPrefix}/`)) return undefined;
        relative = path.slice(cleanPrefix.length + 1);
      }
      checkConfined(relative);
      realRoot ??= realpath(root);
      const base = await realRoot;
      const real = await realpathOrUndefined(join(base, relative), path);
      if (real === undefined) return undefined;
      if (real !== base && !real.startsWith(base.endsWith(sep) ? base : base + sep)) {
        throw forbidden(`TFTP path ${quote(path)} leads outside the served directory ${quote(root)}`);
      }
      if (options.mayServe && !(await options.mayServe(real))) {
        throw forbidden(
          `TFTP path ${quote(path)} is not served: it is outside the served_roots setting, or private (the data directory, the TLS key)`,
        );
      }
      return openRegularFile(real, path);
    },
  };
}

function checkConfined(relative: string): void {
  const reason = relative.includes('\0')
    ? 'contains NUL'
    : relative.includes('\\')
      ? 'contains a backslash'
      : isAbsolute(relative)
        ? 'is absolute'
        : relative.split('/').includes('..')
          ? 'contains ".."'
          : undefined;
  if (reason) throw forbidden(`TFTP path ${quote(relative)} ${reason}`);
}

async function realpathOrUndefined(candidate: string, path: string): Promise<string | undefined> {
  try {
    return await realpath(candidate);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP' || code === 'EACCES')
      throw forbidden(`TFTP path ${quote(path)} cannot be opened: ${code}`);
    throw error;
  }
}

export async function openRegularFile(real: string, path: string): Promise<TftpFile | undefined> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK so that a FIFO in the tree cannot hang the open; it is refused just below.
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES' || code === 'EPERM')
      throw forbidden(`TFTP path ${quote(path)} cannot be read: ${code}`);
    throw error;
  }
  const stats = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  if (!stats.isFile()) {
    await handle.close();
    return undefined;
  }
  return {
    size: stats.size,
    async read(offset, length) {
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}
