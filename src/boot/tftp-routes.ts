// The TFTP routes of the boot server, tried in order: boot configs rendered from the store, boot loaders from the
// distribution's packages, distro kernels and initrds (`images/DISTRO/FILE`), then an optional file root.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileRootRoute, openRegularFile, type TftpFile, type TftpRoute } from '../tftp/routes.js';
import type { BootFiles } from './boot-files.js';
import { findLoader, loaderSpecs } from './loaders.js';

function textFile(text: string): TftpFile {
  const data = Buffer.from(text, 'utf8');
  return { size: data.length, data };
}

export function bootConfigRoute(boot: BootFiles): TftpRoute {
  return {
    name: 'boot-configs',
    async resolve(path) {
      const pxelinux = /^pxelinux\.cfg\/([^/]+)$/.exec(path);
      if (pxelinux) {
        const text = await boot.pxelinuxConfig(pxelinux[1] as string);
        return text === undefined ? undefined : textFile(text);
      }
      const grub = /^grub\/(grub\.cfg|system\/[^/]+)$/.exec(path);
      if (grub) {
        const text = await boot.grubConfig(grub[1] as string);
        return text === undefined ? undefined : textFile(text);
      }
      return undefined;
    },
  };
}

/** Loaders by bare name (`pxelinux.0`, `ldlinux.c32`) and under `grub/` where GRUB looks beside itself. */
export function bootLoaderRoute(userDir: string): TftpRoute {
  const known = new Set(loaderSpecs.map((spec) => spec.name));
  return {
    name: 'boot-loaders',
    async resolve(path) {
      const name = path.replace(/^grub\//, '');
      if (name.includes('/')) return undefined;
      const file = known.has(name) || existsSync(join(userDir, name)) ? findLoader(name, userDir) : undefined;
      return file ? openRegularFile(file, path) : undefined;
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
      // Only files on this server: TFTP clients cannot follow a URL.
      if (!found || !found.source.startsWith('/')) return undefined;
      return openRegularFile(found.source, path);
    },
  };
}

export function bootTftpRoutes(
  boot: BootFiles,
  options: { loadersDir: string; fileRoot?: string },
): TftpRoute[] {
  const routes = [bootConfigRoute(boot), bootLoaderRoute(options.loadersDir), distroImageRoute(boot)];
  if (options.fileRoot) routes.push(fileRootRoute(options.fileRoot));
  return routes;
}
