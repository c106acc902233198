// An installation tree, wherever it lives: a directory, or an ISO image read in place (no mount, no copy). Distro
// detection, import and HTTP/TFTP serving all read trees through the one interface of tree.ts; this file opens a
// location as the right kind (an HTTP tree is loaded only when a URL asks for one).

import { createReadStream } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { BootwrightError, invalid, quote } from '../errors.js';
import { IsoImage } from '../iso9660/reader.js';
import { cleanTreePath, type TreeEntry, type TreeSource } from './tree.js';

export interface TreeSourceOptions {
  /**
   * Whether a file of a directory tree, by its real path, may be served; one that may not is treated as missing. A
   * tree around the data directory must not hand out the store or the keys inside it.
   */
  mayServe?: (realPath: string) => Promise<boolean>;
}

class DirectoryTree implements TreeSource {
  readonly kind = 'directory';

  constructor(
    readonly location: string,
    private readonly realRoot: string,
    private readonly options: TreeSourceOptions = {},
  ) {}

  /** The real path of a tree path, or undefined when missing, outside the root (symlinks followed) or not servable. */
  private async real(path: string): Promise<string | undefined> {
    let real: string;
    try {
      real = await realpath(join(this.realRoot, cleanTreePath(path)));
    } catch {
      return undefined;
    }
    const inside = relative(this.realRoot, real);
    if (inside.startsWith('..') || isAbsolute(inside) || inside.startsWith(`..${sep}`)) return undefined;
    if (this.options.mayServe && !(await this.options.mayServe(real))) return undefined;
    return real;
  }

  async stat(path: string): Promise<TreeEntry | undefined> {
    const real = await this.real(path);
    if (!real) return undefined;
    const info = await stat(real);
    if (!info.isFile() && !info.isDirectory()) return undefined;
    return {
      type: info.isDirectory() ? 'directory' : 'file',
      size: info.isFile() ? info.size : 0,
      mtimeMs: info.mtimeMs,
      inode: `${info.dev}:${info.ino}:${info.ctimeMs}`,
    };
  }

  async list(path: string): Promise<string[]> {
    const real = await this.real(path);
    if (!real || !(await lstat(real)).isDirectory()) return [];
    return (await readdir(real)).sort();
  }

  async readFile(path: string, maxBytes = 16 * 1024 * 1024): Promise<Buffer> {
    const real = await this.real(path);
    const info = real ? await stat(real) : undefined;
    if (!real || !info?.isFile())
      throw new BootwrightError('E_NOT_FOUND', `${quote(path)} is not a file in ${quote(this.location)}.`);
    if (info.size > maxBytes)
      throw invalid(`${quote(path)} in ${quote(this.location)} is over ${maxBytes} bytes.`);
    const handle = await open(real, 'r');
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async *read(path: string, start: number, end: number): AsyncIterable<Buffer> {
    const real = await this.real(path);
    if (!real)
      throw new BootwrightError('E_NOT_FOUND', `${quote(path)} is not a file in ${quote(this.location)}.`);
    if (end < start) return;
    // 1 MiB reads, as the ISO reader's: a kernel goes out in a few large socket writes.
    for await (const chunk of createReadStream(real, { start, end, highWaterMark: 1024 * 1024 }))
      yield chunk as Buffer;
  }

  async close(): Promise<void> {}
}

class IsoTree implements TreeSource {
  readonly kind = 'iso';

  constructor(
    readonly location: string,
    private readonly image: IsoImage,
  ) {}

  async stat(path: string): Promise<TreeEntry | undefined> {
    const entry = await this.image.resolve(`/${cleanTreePath(path)}`);
    if (!entry || entry.type === 'symlink') return undefined;
    return { type: entry.type, size: entry.size, mtimeMs: entry.mtimeMs };
  }

  async list(path: string): Promise<string[]> {
    const entry = await this.image.resolve(`/${cleanTreePath(path)}`);
    if (entry?.type !== 'directory') return [];
    return (await this.image.list(`/${cleanTreePath(path)}`)).map((child) => child.name).sort();
  }

  async readFile(path: string, maxBytes = 16 * 1024 * 1024): Promise<Buffer> {
    const entry = await this.image.resolve(`/${cleanTreePath(path)}`);
    if (entry?.type !== 'file')
      throw new BootwrightError('E_NOT_FOUND', `${quote(path)} is not a file in ${quote(this.location)}.`);
    if (entry.size > maxBytes)
      throw invalid(`${quote(path)} in ${quote(this.location)} is over ${maxBytes} bytes.`);
    return this.image.readFile(`/${cleanTreePath(path)}`);
  }

  async *read(path: string, start: number, end: number): AsyncIterable<Buffer> {
    const entry = await this.image.resolve(`/${cleanTreePath(path)}`);
    if (entry?.type !== 'file')
      throw new BootwrightError('E_NOT_FOUND', `${quote(path)} is not a file in ${quote(this.location)}.`);
    yield* this.image.read(entry, start, end) as AsyncIterable<Buffer>;
  }

  async readInto(path: string, buffer: Buffer, position: number): Promise<number> {
    const entry = await this.image.resolve(`/${cleanTreePath(path)}`);
    if (entry?.type !== 'file')
      throw new BootwrightError('E_NOT_FOUND', `${quote(path)} is not a file in ${quote(this.location)}.`);
    return this.image.readInto(entry, buffer, position);
  }

  close(): Promise<void> {
    return this.image.close();
  }
}

/** Opens a directory, an `.iso` file (any regular file is tried as an image) or an http(s) URL of a tree. */
export async function openTreeSource(location: string, options: TreeSourceOptions = {}): Promise<TreeSource> {
  if (/^https?:\/\//.test(location)) {
    const { HttpTree } = await import('./http-tree.js');
    return new HttpTree(location);
  }
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(location);
  } catch {
    throw new BootwrightError(
      'E_NOT_FOUND',
      `${quote(location)} does not exist; give a directory or an ISO image.`,
    );
  }
  if (info.isDirectory()) return new DirectoryTree(location, await realpath(location), options);
  if (info.isFile()) return new IsoTree(location, await IsoImage.open(location));
  throw invalid(`${quote(location)} is neither a directory nor an ISO image file.`);
}
