// A kernel and an initrd for tests that boot a real guest. The kernel is Debian's cloud kernel, fetched with
// `apt-get download` and unpacked with `dpkg-deb -x` rather than installed, so the host's boot hooks never run; it is
// kept in a cache directory between runs. The initrd is built each time: a static busybox and an /init that prints
// the kernel command line after a marker, then powers off so that QEMU exits by itself.
// Needs apt (with a reachable Debian mirror the first time), dpkg-deb and cpio.

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';

/** The line /init writes to the console, followed by /proc/cmdline: it is there only when the initrd ran. */
export const guestInitMarker = 'bootwright-guest-init: cmdline=';

const kernelMetaPackage = 'linux-image-cloud-amd64';

const init = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "${guestInitMarker}$(/bin/busybox cat /proc/cmdline)"
/bin/busybox poweroff -f
`;

export interface GuestBootFiles {
  kernel: string;
  initrd: string;
}

/** $BOOTWRIGHT_TEST_CACHE, else /var/cache/bootwright-test (these tests run as root). */
export function testCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BOOTWRIGHT_TEST_CACHE || '/var/cache/bootwright-test';
}

/** The kernel (from the cache, fetched once) and a fresh initrd written into `workDir`. */
export function guestBootFiles(workDir: string, cacheDir = testCacheDir()): GuestBootFiles {
  return { kernel: guestKernel(cacheDir), initrd: buildGuestInitrd(workDir, cacheDir) };
}

/** The cloud kernel's image package is versioned (linux-image-6.1.0-56-cloud-amd64); the meta package names it. */
export function kernelPackage(): string {
  const depends = run('apt-cache', ['depends', kernelMetaPackage]);
  const match = /Depends: (linux-image-[\w.+-]+)/.exec(depends);
  if (!match?.[1]) {
    throw new Error(
      `Cannot tell which kernel package ${kernelMetaPackage} depends on; "apt-cache depends" said:\n${depends}`,
    );
  }
  return match[1];
}

export function guestKernel(cacheDir = testCacheDir()): string {
  const pkg = kernelPackage();
  return cachedFileFromPackage(cacheDir, pkg, (root) => {
    const boot = join(root, 'boot');
    const image = existsSync(boot)
      ? readdirSync(boot).find((name) => name.startsWith('vmlinuz-'))
      : undefined;
    if (!image) throw new Error(`Debian package ${pkg} holds no /boot/vmlinuz-*.`);
    return join(boot, image);
  });
}

/** Debian's busybox-static, unpacked beside the kernel: the busybox package on the host is linked dynamically. */
export function staticBusybox(cacheDir = testCacheDir()): string {
  return cachedFileFromPackage(cacheDir, 'busybox-static', (root) => join(root, 'bin', 'busybox'));
}

export function buildGuestInitrd(workDir: string, cacheDir = testCacheDir()): string {
  const tree = mkdtempSync(join(workDir, 'initrd-'));
  mkdirSync(join(tree, 'bin'));
  mkdirSync(join(tree, 'proc'));
  copyFileSync(staticBusybox(cacheDir), join(tree, 'bin', 'busybox'));
  chmodSync(join(tree, 'bin', 'busybox'), 0o755);
  writeFileSync(join(tree, 'init'), init, { mode: 0o755 });
  // The kernel's built-in initramfs already has /dev/console, which /init's output goes to.
  const initrd = join(workDir, 'initrd.img');
  // The path goes in as $1, never into the shell line: a lab directory may hold any character.
  execFileSync('sh', ['-c', 'find . | cpio -o -H newc -R 0:0 --quiet > "$1"', 'sh', initrd], {
    cwd: tree,
    stdio: 'pipe',
  });
  rmSync(tree, { recursive: true, force: true });
  return initrd;
}

/**
 * `<cacheDir>/<pkg>/<file>`: one file out of a Debian package, downloaded and unpacked the first time. Its directory
 * is renamed into place only when complete, so an interrupted run leaves nothing half-written behind.
 */
export function cachedFileFromPackage(cacheDir: string, pkg: string, pick: (root: string) => string): string {
  let kept: string | undefined;
  const dir = cachedFilesFromPackage(cacheDir, pkg, pkg, (root) => {
    const file = pick(root);
    kept = basename(file);
    return [file];
  });
  return join(dir, kept ?? (readdirSync(dir)[0] as string));
}

/**
 * `<cacheDir>/<name>/`: the files `pick` chooses out of a Debian package (it may rewrite them first, e.g. decompress),
 * kept under their base names. Downloaded and unpacked the first time, renamed into place only when complete.
 */
export function cachedFilesFromPackage(
  cacheDir: string,
  pkg: string,
  name: string,
  pick: (root: string) => string[],
): string {
  const dir = join(cacheDir, name);
  if (existsSync(dir) && readdirSync(dir).length > 0) return dir;
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, '.download-'));
  try {
    run('apt-get', ['download', '-q', pkg], work);
    const deb = readdirSync(work).find((file) => file.endsWith('.deb'));
    if (!deb) throw new Error(`"apt-get download ${pkg}" left no .deb file.`);
    run('dpkg-deb', ['-x', deb, 'root'], work);
    const files = pick(join(work, 'root'));
    mkdirSync(join(work, 'keep'));
    for (const file of files) renameSync(file, join(work, 'keep', basename(file)));
    try {
      renameSync(join(work, 'keep'), dir);
    } catch (error) {
      // Another test run put the same files there first.
      if (!existsSync(dir)) throw error;
    }
    return dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function run(command: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`Command "${command} ${args.join(' ')}" failed: ${stderr || (error as Error).message}`);
  }
}
