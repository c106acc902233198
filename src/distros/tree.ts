// What an installation tree is to its readers, wherever it lives (a directory, an ISO image, a web server): the
// interface each kind implements (tree-source.ts, http-tree.ts), apart from them so that they need not import each
// other.

import { BootwrightError, quote } from '../errors.js';

export interface TreeEntry {
  type: 'file' | 'directory';
  size: number;
  mtimeMs: number;
  /** For a directory tree, the file's device and inode: with size and mtime they tell a replaced file apart. */
  inode?: string;
}

export interface TreeSource {
  /** The ISO path or directory, for messages and `distro list`. */
  readonly location: string;
  readonly kind: 'directory' | 'iso' | 'http';
  /** Follows symlinks inside the tree; undefined when missing or leading out of it. */
  stat(path: string): Promise<TreeEntry | undefined>;
  /** Names in a directory of the tree; empty when it is not one. */
  list(path: string): Promise<string[]>;
  /** A small file (signatures, .treeinfo), refused past `maxBytes`. */
  readFile(path: string, maxBytes?: number): Promise<Buffer>;
  /** Bytes start..end inclusive of a file, streamed. */
  read(path: string, start: number, end: number): AsyncIterable<Buffer>;
  /**
   * Reads a file's bytes from `position` into `buffer` (as many as it holds, or fewer); resolves with how many, 0 at
   * the end. For callers that reuse their buffers; absent where the tree has no cheaper way than read().
   */
  readInto?(path: string, buffer: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

/** Tree paths are always relative, slash-separated and free of `..`, whatever the request said. */
export function cleanTreePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.replaceAll('\\', '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' || part.includes('\0'))
      throw new BootwrightError('E_FORBIDDEN', `Path ${quote(path)} leaves the tree.`);
    parts.push(part);
  }
  return parts.join('/');
}
