// `bootwright import`: one command from an ISO image or a tree to a distro and a profile ready to install. The
// image stays where it is (no copy, no mount): kernels, initrds and the tree are served straight out of it.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BootwrightError, quote } from '../errors.js';
import type { InventoryBackend } from '../inventory/backend.js';
import type { Changes } from '../inventory/inventory.js';
import { defaultAutoinstallFor } from '../model/default-autoinstall.js';
import { parseName } from '../model/values.js';
import { type Detection, detectDistro } from './detect.js';
import { loadSignatures, userSignaturesFile } from './signatures.js';
import type { TreeSource } from './tree.js';
import { openTreeSource } from './tree-source.js';

export interface ImportOptions {
  path: string;
  name?: string;
  arch?: string;
  breed?: string;
  osVersion?: string;
  /** Where installers reach the tree when it is not served by bootwright (an NFS export, a mirror). */
  availableAs?: string;
  /** Autoinstall template for the profile instead of the breed's default. */
  autoinstall?: string;
  /** Copy the tree into <data dir>/distro_mirror/NAME instead of serving it from where it is. */
  mirror?: boolean;
  onProgress?: (progress: MirrorProgress) => void;
  dataDir: string;
}

export interface MirrorProgress {
  copiedBytes: number;
  totalBytes: number;
  files: number;
  totalFiles: number;
}

/** Every file of a tree with its size, for copying with a progress figure known in advance. */
async function treeFiles(source: TreeSource, dir = ''): Promise<{ path: string; size: number }[]> {
  const files: { path: string; size: number }[] = [];
  for (const name of await source.list(dir)) {
    const path = dir ? `${dir}/${name}` : name;
    const entry = await source.stat(path);
    if (entry?.type === 'directory') files.push(...(await treeFiles(source, path)));
    else if (entry?.type === 'file') files.push({ path, size: entry.size });
  }
  return files;
}

/** Copies a tree (out of an ISO or a directory) into `target`, file by file, reporting bytes as they land. */
async function mirrorTree(
  source: TreeSource,
  target: string,
  onProgress?: (progress: MirrorProgress) => void,
): Promise<void> {
  const files = await treeFiles(source);
  const progress: MirrorProgress = {
    copiedBytes: 0,
    totalBytes: files.reduce((sum, file) => sum + file.size, 0),
    files: 0,
    totalFiles: files.length,
  };
  // Written beside the target and renamed at the end, so that a failed mirror never leaves half a tree in use.
  const partial = `${target}.partial`;
  await rm(partial, { recursive: true, force: true });
  for (const file of files) {
    const destination = join(partial, file.path);
    await mkdir(dirname(destination), { recursive: true });
    const output = createWriteStream(destination);
    for await (const chunk of source.read(file.path, 0, file.size - 1)) {
      if (!output.write(chunk)) await once(output, 'drain');
      progress.copiedBytes += chunk.length;
      onProgress?.(progress);
    }
    output.end();
    await once(output, 'close');
    progress.files++;
    onProgress?.(progress);
  }
  await rm(target, { recursive: true, force: true });
  await rename(partial, target);
}

export interface ImportResult {
  detection: Detection;
  /** What was created or updated, e.g. `distro rhel-5.5-i386 (created)`. */
  changes: string[];
}

/** The built-in template a profile of this distro starts with: the rule hand-added distros follow too. */
export function defaultTemplateFor(detection: Detection): string {
  return defaultAutoinstallFor({
    breed: detection.breed,
    osVersion: detection.osVersion,
    ...(detection.installer ? { installer: detection.installer } : {}),
  });
}

async function upsert(
  backend: InventoryBackend,
  kind: 'distro' | 'profile',
  name: string,
  fields: Changes,
  onlyIfNew: Changes,
  changes: string[],
): Promise<void> {
  const exists = await backend.get(kind, name).then(
    () => true,
    (error: unknown) => {
      if (error instanceof BootwrightError && error.code === 'E_NOT_FOUND') return false;
      throw error;
    },
  );
  if (exists) {
    await backend.edit(kind, name, fields);
    changes.push(`${kind} ${name} (updated)`);
  } else {
    await backend.add(kind, { name, ...fields, ...onlyIfNew });
    changes.push(`${kind} ${name} (created)`);
  }
}

export async function importDistro(backend: InventoryBackend, options: ImportOptions): Promise<ImportResult> {
  const remote = /^https?:\/\//.test(options.path);
  if (!remote && /^[a-z]+:\/\//.test(options.path)) {
    throw new BootwrightError(
      'E_INVALID',
      `Import from ${quote(options.path)} is not supported; give a directory, an ISO image or an http(s) URL.`,
    );
  }
  const location = remote ? options.path.replace(/\/?$/, '/') : resolve(options.path);
  const source = await openTreeSource(location);
  try {
    const detection = await detectDistro(source, {
      signatures: await loadSignatures(userSignaturesFile(options.dataDir)),
      ...(options.arch ? { arch: options.arch } : {}),
      ...(options.breed ? { breed: options.breed } : {}),
      ...(options.osVersion ? { osVersion: options.osVersion } : {}),
    });
    const name = parseName(options.name ?? detection.name, 'Distro name');
    const changes: string[] = [];
    let treeLocation = location;
    if (options.mirror) {
      treeLocation = join(options.dataDir, 'distro_mirror', name);
      await mirrorTree(source, treeLocation, options.onProgress);
      changes.push(`tree copied to ${treeLocation}`);
    }
    const distro = (distroName: string, kernel: string, initrd: string) => ({
      kernel: `tree:${kernel}`,
      initrd: `tree:${initrd}`,
      tree_source: treeLocation,
      arch: detection.arch,
      breed: detection.breed,
      os_version: detection.osVersion,
      // A tree already on a web server is where installers go; anything else bootwright serves itself.
      autoinstall_meta: {
        tree:
          options.availableAs ??
          (remote && !options.mirror ? location : `http://@@http_server@@/cblr/links/${distroName}`),
      },
    });
    const template = options.autoinstall ?? defaultTemplateFor(detection);
    await upsert(backend, 'distro', name, distro(name, detection.kernel, detection.initrd), {}, changes);
    await upsert(backend, 'profile', name, {}, { distro: name, autoinstall: template }, changes);
    // Red Hat trees of the Xen era carry a paravirtual kernel too: a second distro and profile boot it (koan --virt-type=xenpv).
    if (detection.xenKernel && detection.xenInitrd) {
      const xenName = `${name}-xen`;
      await upsert(
        backend,
        'distro',
        xenName,
        distro(xenName, detection.xenKernel, detection.xenInitrd),
        {},
        changes,
      );
      await upsert(
        backend,
        'profile',
        xenName,
        {},
        { distro: xenName, autoinstall: template, virt_type: 'xenpv' },
        changes,
      );
    }
    return { detection, changes };
  } finally {
    await source.close();
  }
}
