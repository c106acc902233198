// Kernels and initrds over HTTP at Cobbler's path (`/cobbler/images/DISTRO/BASENAME`, where koan downloads them
// and iPXE fetches them) and the tidy `/images/...`, plus each system's boot configs for people to inspect.

import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { type Context, Hono } from 'hono';
import type { BootFiles } from '../boot/boot-files.js';
import { bootLoaders, loaderNamed } from '../boot/loaders/registry.js';
import { notFound, quote } from '../errors.js';
import { type FileSource, fileResponse, localFileSource } from '../http/file-response.js';
import { requireAutoinstallSecretOf } from './autoinstall-access.js';
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

export function createBootHttp(services: ApiServices): Hono {
  const { boot, inventory } = services;
  const http = new Hono();

  const distroFile = async (context: Context) => {
    const found = await findImageFile(
      boot,
      context.req.param('distro') ?? '',
      context.req.param('file') ?? '',
    );
    if (found.kind === 'redirect') return context.redirect(found.url, 302);
    return fileResponse(context, found.source);
  };
  for (const prefix of imagePrefixes) {
    http.get(`${prefix}/:distro/:file`, distroFile);
    http.on('HEAD', `${prefix}/:distro/:file`, distroFile);
  }

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

  return http;
}
