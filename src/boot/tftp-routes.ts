// The TFTP routes of the boot server, tried in order: boot configs rendered from the store and boot loaders from the
// distribution's packages, both where the loader registry says, then distro kernels and initrds
// (`images/DISTRO/FILE`), then an optional file root.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TreeSource } from '../distros/tree.js';
import { fileRootRoute, openRegularFile, type TftpFile, type TftpRoute } from '../tftp/routes.js';
import type { BootFiles } from './boot-files.js';
import { findLoader, loaderBinaries, loaderFileName } from './loaders/registry.js';

function textFile(text: string): TftpFile {
  const data = Buffer.from(text, 'utf8');
  return { size: data.length, data };
}

/** Boot configs at the paths the loaders of the registry ask for (`pxelinux.cfg/...`, `grub/...`). */
export function bootConfigRoute(boot: BootFiles): TftpRoute {
  return {
    name: 'boot-configs',
    async resolve(path) {
      const text = await boot.configAt(path);
      return text === undefined ? undefined : textFile(text);
    },
  };
}

/** Loaders by bare name (`pxelinux.0`, `ldlinux.c32`) and in the folders loaders look in (`grub/`, beside GRUB). */
export function bootLoaderRoute(userDir: string): TftpRoute {
  const known = new Set(loaderBinaries.map((binary) => binary.name));
  return {
    name: 'boot-loaders',
    async resolve(path) {
      const name = loaderFileName(path);
      if (name.includes('/')) return undefined;
      const file = known.has(name) || existsSync(join(userDir, name)) ? findLoader(name, userDir) : undefined;
      return file ? openRegularFile(file, path) : undefined;
    },
  };
}

/** A `tree:` kernel or initrd, read from the distro's open tree a TFTP window at a time. */
async function treeTftpFile(boot: BootFiles, distro: string, path: string): Promise<TftpFile | undefined> {
  let tree: TreeSource;
  try {
    tree = await boot.trees.treeFor(distro);
  } catch {
    // An unreadable tree_source is "file not found" to a TFTP client; HTTP and `distro list --sources` say why.
    return undefined;
  }
  const entry = await tree.stat(path);
  if (entry?.type !== 'file') return undefined;
  return {
    size: entry.size,
    async read(offset, length) {
      const end = Math.min(offset + length, entry.size) - 1;
      const chunks: Buffer[] = [];
      for await (const chunk of tree.read(path, offset, end)) chunks.push(chunk);
      return Buffer.concat(chunks);
    },
  };
}

export function distroImageRoute(boot: BootFiles): TftpRoute {
  return {
    name: 'distro-images',
    async resolve(path) {
      const match = /^images\/([^/]+)\/([^/]+)$/.exec(path);
      if (!match) return undefined;
      const found = await boot.distroFile(match[1] as string, match[2] as string);
      if (found?.treePath !== undefined) return treeTftpFile(boot, found.distro, found.treePath);
      // Only files on this server: TFTP clients cannot follow a URL.
      if (!found?.source.startsWith('/')) return undefined;
      // Refused (E_FORBIDDEN, TFTP's access violation) outside the served roots; opened by the real path checked.
      const real = await boot.realPathToServe(found);
      return real === undefined ? undefined : openRegularFile(real, path);
    },
  };
}

/** `images2/NAME`: an image's file (memdisk and direct images), only from under the served roots. */
export function imageFileRoute(boot: BootFiles): TftpRoute {
  return {
    name: 'image-files',
    async resolve(path) {
      const name = /^images2\/([^/]+)$/.exec(path)?.[1];
      if (name === undefined) return undefined;
      const real = await boot.imageFile(name);
      return real === undefined ? undefined : openRegularFile(real, path);
    },
  };
}

export function bootTftpRoutes(
  boot: BootFiles,
  options: { loadersDir: string; fileRoot?: string },
): TftpRoute[] {
  const routes = [
    bootConfigRoute(boot),
    bootLoaderRoute(options.loadersDir),
    distroImageRoute(boot),
    imageFileRoute(boot),
  ];
  if (options.fileRoot)
    routes.push(fileRootRoute(options.fileRoot, '', { mayServe: (real) => boot.mayServe(real) }));
  return routes;
}
