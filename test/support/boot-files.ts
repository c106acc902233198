// A kernel and an initrd that are there: bootwright refuses a distro whose kernel or initrd path is missing on this
// server (as Cobbler 3.3 does at add), so tests that add distros point them at these files. Their directory is in
// tmpdir(), which the store must serve from (served-roots.ts).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BootFilePaths {
  dir: string;
  kernel: string;
  initrd: string;
}

/** Writes a kernel and an initrd (small stand-ins: nothing boots them) into `dir`, made if need be. */
export function makeBootFiles(dir: string, kernelName = 'vmlinuz', initrdName = 'initrd.img'): BootFilePaths {
  mkdirSync(dir, { recursive: true });
  const kernel = join(dir, kernelName);
  const initrd = join(dir, initrdName);
  writeFileSync(kernel, 'kernel');
  writeFileSync(initrd, 'initrd');
  return { dir, kernel, initrd };
}

let shared: BootFilePaths | undefined;

/**
 * One kernel and initrd for the whole test process, for fixtures that make distros outside any one test; removed
 * when the process ends.
 */
export function sharedBootFiles(): BootFilePaths {
  if (!shared) {
    const dir = mkdtempSync(join(tmpdir(), 'bootwright-boot-files-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    shared = makeBootFiles(dir);
  }
  return shared;
}
