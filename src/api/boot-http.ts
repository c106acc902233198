// Kernels and initrds over HTTP at Cobbler's path (`/cobbler/images/DISTRO/BASENAME`, where koan downloads them
// and iPXE fetches them) and the tidy `/images/...`, plus each system's boot configs for people to inspect.

import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { Hono } from 'hono';
import type { BootFiles } from '../boot/boot-files.js';
import { bootLoaders, loaderNamed } from '../boot/loaders/registry.js';
import { notFound, quote } from '../errors.js';
import { addDownloadRoute, type DownloadRoute } from '../http/download-route.js';
import { type FileSource, localFileSource } from '../http/file-response.js';
import { decodePathSegment } from '../http/request-path.js';
import { requireAutoinstallSecretOf } from './autoinstall-access.js';
import { type RequestReport, reportRequests, reportServed } from './request-events.js';
import type { RouteModule } from './route-module.js';
import type { ApiServices } from './services.js';
import { treeFileSource } from './tree-http.js';

export type ImageFile = { kind: 'file'; source: FileSource } | { kind: 'redirect'; url: string };

/**
 * A distro's kernel or initrd by its basename: a file in the distro's tree, a file on this server, or a URL the
 * client is sent to. Throws E_NOT_FOUND when the distro has no such file or it cannot be read.
 */
export async function findImageFile(boot: BootFiles, distro: string, file: string): Promise<ImageFile> {
  const found = await boot.distroFile(distro, file);
  if (!found) throw notFound(`Distro ${quote(distro)} has no kernel or initrd called ${quote(file)}.`);
  if (found.treePath !== undefined) {
    const tree = await boot.trees.treeFor(distro, found.treeSource);
    const entry = await tree.stat(found.treePath);
    if (entry?.type !== 'file') {
      throw notFound(
        `Distro ${quote(distro)} names ${quote(found.source)}, which is not a file in ${quote(tree.location)}.`,
      );
    }
    return { kind: 'file', source: treeFileSource(tree, found.treePath, entry) };
  }
  if (/^(https?|ftp):\/\//.test(found.source)) return { kind: 'redirect', url: found.source };
  const real = isAbsolute(found.source) ? await boot.realPathToServe(found) : undefined;
  const stats = real === undefined ? undefined : statSync(real, { throwIfNoEntry: false });
  if (real === undefined || !stats?.isFile()) {
    throw notFound(
      `Distro ${quote(distro)} names ${quote(found.source)}, which is not a readable file on this server.`,
    );
  }
  // The real path, as checked: a link swapped after the check cannot redirect the read.
  return { kind: 'file', source: localFileSource(real, stats) };
}

export const imagePrefixes = ['/cobbler/images', '/images'] as const;

const imagePath = /^\/(?:cobbler\/)?images\/([^/]+)\/([^/]+)$/;

interface ImageTarget {
  distro: string;
  file: string;
}

/** A download of a distro's kernel or initrd is a step of an install. */
function imageRequest(distro: string): RequestReport {
  return { type: 'http.image', names: [{ kind: 'distro', name: distro }] };
}

export function createBootHttp(services: ApiServices): RouteModule {
  const { boot, inventory } = services;
  const http = new Hono();

  const images: DownloadRoute<ImageTarget> = {
    paths: imagePrefixes.map((prefix) => `${prefix}/:distro/:file`),
    match: (path) => {
      const image = imagePath.exec(path);
      if (!image) return undefined;
      return {
        distro: decodePathSegment(image[1] as string, path),
        file: decodePathSegment(image[2] as string, path),
      };
    },
    find: async ({ distro, file }) => {
      const found = await findImageFile(boot, distro, file);
      if (found.kind === 'file') return { kind: 'file', source: found.source };
      return { kind: 'answer', answer: (context) => context.redirect(found.url, 302) };
    },
    served: ({ distro }, served) => reportServed(services, imageRequest(distro), served),
  };
  reportRequests(
    http,
    imagePrefixes.map((prefix) => `${prefix}/:distro/*`),
    services,
    (context) => imageRequest(context.req.param('distro') ?? ''),
  );
  addDownloadRoute(http, images);

  // These configs carry the system's autoinstall secret in their URLs: with autoinstall_secrets on, they are for
  // whoever already has the secret or a token, as /cblr/svc/op/ipxe/system/NAME is.
  http.get('/api/v1/systems/:name/boot/:loader', async (context) => {
    const name = context.req.param('name');
    await requireAutoinstallSecretOf(services, context, { kind: 'system', name });
    const system = await inventory.get('system', name);
    const mac = Object.values(system.interfaces ?? {}).find((iface) => iface.mac_address)?.mac_address;
    const loaderName = context.req.param('loader');
    const loader = loaderNamed(loaderName);
    let config: string | undefined;
    // A loader that reads its config over TFTP finds it by MAC: this shows what that MAC is given.
    if (loader && !loader.tftpConfigs) config = await boot.systemConfig(loader, system);
    else if (!mac)
      throw notFound(`System ${quote(system.name)} has no MAC address, so no per-MAC boot config.`);
    else if (loader) config = await boot.configFor(loader, { kind: 'mac', mac });
    else {
      const names = bootLoaders.map((known) => known.name).join(', ');
      throw notFound(`Boot loader ${quote(loaderName)} is not one of ${names}.`);
    }
    return context.body(config ?? '', 200, { 'content-type': 'text/plain; charset=utf-8' });
  });

  return { routes: http, downloads: [images] };
}
