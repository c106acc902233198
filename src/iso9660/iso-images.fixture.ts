// Source trees and the ISO images xorriso builds from them, for the reader's tests. xorriso is the real peer: it
// writes the images, and its own listing of them is compared with ours.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

export function hasXorriso(): boolean {
  return spawnSync('xorriso', ['-version'], { stdio: 'ignore' }).status === 0;
}

export const needsXorriso = hasXorriso() ? false : 'needs xorriso (apt-get install xorriso)';

/** Runs `xorriso -as mkisofs ARGS -o OUT TREE`, throwing with xorriso's own words when it fails. */
export function mkisofs(tree: string, out: string, args: string[]): string {
  const result = spawnSync('xorriso', ['-as', 'mkisofs', ...args, '-o', out, tree], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`xorriso -as mkisofs ${args.join(' ')} failed:\n${result.stderr}`);
  return out;
}

/** The paths xorriso itself sees in an image (`-read_fs` picks the tree: any, norock, nojoliet, ecma119). */
export function xorrisoPaths(image: string, readFs = 'any'): string[] {
  const result = spawnSync(
    'xorriso',
    ['-read_fs', readFs, '-indev', image, '-sh_style_result', 'on', '-find', '/'],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`xorriso -find failed:\n${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((line) => line !== '' && line !== '/')
    .sort();
}

/** Runs xorriso on an existing image with the given commands, returning its standard output. */
export function xorrisoIndev(image: string, commands: string[], readFs = 'any'): string {
  const result = spawnSync('xorriso', ['-read_fs', readFs, '-indev', image, ...commands], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`xorriso ${commands.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic bytes, so that a failing comparison is the same on every run. */
export function seededBytes(length: number, seed: number): Buffer {
  const random = mulberry32(seed);
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** A small, fast, seedable PRNG (Tommy Ettinger's mulberry32). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const longName = `long-${'n'.repeat(191)}.txt`; // 200 characters
export const mediumName = `${'M'.repeat(70)}.txt`; // 74 characters: over Joliet's 64
export const unicodeName = 'Mixed Case Ünïcødé 名前.txt';
export const deepDirectory = Array.from({ length: 12 }, (_, i) => `d${i + 1}`).join('/');

/**
 * A tree shaped like an install medium, with the cases an ISO writer treats specially: long and non-ASCII names,
 * directories deeper than ISO 9660's 8 levels, a directory spanning several blocks, modes, and symlinks of every
 * kind (relative, absolute, to a directory, upwards, looping, escaping, dangling, and one with a long target).
 */
export function writeInstallTree(root: string): void {
  const file = (path: string, content: Buffer | string, mode = 0o644) => {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    chmodSync(full, mode);
  };
  const link = (path: string, target: string) => {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    symlinkSync(target, full);
  };
  file('.treeinfo', '[general]\nfamily = Bootwright Test\nversion = 1.0\n');
  file('.disk/info', 'Bootwright Test 1.0 "Fixture" - amd64 (20240101)\n');
  file('images/pxeboot/vmlinuz', seededBytes(70_000, 1));
  file('images/pxeboot/initrd.img', seededBytes(130_001, 2));
  file('hello.txt', 'hello\n');
  file('empty', '');
  file('block-sized.bin', seededBytes(4096, 3));
  file('script.sh', '#!/bin/sh\necho hi\n', 0o755);
  file('private.txt', 'secret\n', 0o600);
  file(unicodeName, 'unicode\n');
  file(mediumName, 'medium\n');
  file(longName, 'long\n');
  file(`${deepDirectory}/deep.txt`, 'deep\n');
  file('etc/passwd', 'root:x:0:0:image passwd, not the host one:/root:/bin/sh\n');
  for (let i = 0; i < 120; i++) file(`many/file-${String(i).padStart(3, '0')}.txt`, `file ${i}\n`);
  link('link-to-hello', 'hello.txt');
  link('link-absolute', '/images/pxeboot/vmlinuz');
  link('link-dir', 'images/pxeboot');
  link('d1/up', '../hello.txt');
  link('loop-a', 'loop-b');
  link('loop-b', 'loop-a');
  link('escape', '../../../../etc/passwd');
  link('dangling', 'missing');
  link('long-target', `${'./'.repeat(60)}${longName}`);
}

export interface SourceNode {
  type: 'file' | 'directory' | 'symlink';
  size: number;
  mode: number;
  mtimeMs: number;
  target?: string;
  sha256?: string;
}

/** The tree as lstat sees it, keyed by the path an image would show: `/images/pxeboot/vmlinuz`. */
export function readSourceTree(root: string, prefix = ''): Map<string, SourceNode> {
  const nodes = new Map<string, SourceNode>();
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const relative = `${prefix}/${name}`;
    const full = join(root, relative);
    const stats = lstatSync(full);
    const base = { size: stats.size, mode: stats.mode, mtimeMs: stats.mtimeMs };
    if (stats.isSymbolicLink()) {
      nodes.set(relative, { ...base, type: 'symlink', target: readlinkSync(full) });
    } else if (stats.isDirectory()) {
      nodes.set(relative, { ...base, type: 'directory' });
      for (const [path, node] of readSourceTree(root, relative)) nodes.set(path, node);
    } else {
      nodes.set(relative, { ...base, type: 'file', sha256: sha256(readFileSync(full)) });
    }
  }
  return nodes;
}
