// Kernels and initrds over HTTP at Cobbler's path (`/cobbler/images/DISTRO/BASENAME`, where koan downloads them
// and iPXE fetches them) and the tidy `/images/...`, plus each system's boot configs for people to inspect.

import { existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { type Context, Hono } from 'hono';
import { notFound, quote } from '../errors.js';
import { fileResponse, localFileSource } from '../http/file-response.js';
import type { ApiServices } from './services.js';
import { treeFileSource } from './tree-http.js';

export function createBootHttp(services: ApiServices): Hono {
  const { boot, inventory } = services;
  const http = new Hono();

  const distroFile = async (context: Context) => {
    const distro = context.req.param('distro') ?? '';
    const file = context.req.param('file') ?? '';
    const found = await boot.distroFile(distro, file);
    if (!found) throw notFound(`Distro ${quote(distro)} has no kernel or initrd called ${quote(file)}.`);
    if (found.treePath !== undefined) {
      const tree = await boot.trees.treeFor(distro);
      const entry = await tree.stat(found.treePath);
      if (entry?.type !== 'file') {
        throw notFound(
          `Distro ${quote(distro)} names ${quote(found.source)}, which is not a file in ${quote(tree.location)}.`,
        );
      }
      return fileResponse(context, treeFileSource(tree, found.treePath, entry));
    }
    if (/^(https?|ftp):\/\//.test(found.source)) return context.redirect(found.source, 302);
    if (!isAbsolute(found.source) || !existsSync(found.source)) {
      throw notFound(
        `Distro ${quote(distro)} names ${quote(found.source)}, which is not a readable file on this server.`,
      );
    }
    return fileResponse(context, localFileSource(found.source, statSync(found.source)));
  };
  for (const prefix of ['/cobbler/images', '/images']) {
    http.get(`${prefix}/:distro/:file`, distroFile);
    http.on('HEAD', `${prefix}/:distro/:file`, distroFile);
  }

  http.get('/api/v1/systems/:name/boot/:loader', async (context) => {
    const system = await inventory.get('system', context.req.param('name'));
    const mac = Object.values(system.interfaces ?? {}).find((iface) => iface.mac_address)?.mac_address;
    const loader = context.req.param('loader');
    let config: string | undefined;
    if (loader === 'ipxe') config = await boot.ipxeForSystem(system);
    else if (!mac)
      throw notFound(`System ${quote(system.name)} has no MAC address, so no per-MAC boot config.`);
    else if (loader === 'pxelinux') config = await boot.pxelinuxConfig(`01-${mac.replaceAll(':', '-')}`);
    else if (loader === 'grub') config = await boot.grubConfig(`system/${mac}`);
    else throw notFound(`Boot loader ${quote(loader)} is not one of pxelinux, grub, ipxe.`);
    return context.body(config ?? '', 200, { 'content-type': 'text/plain; charset=utf-8' });
  });

  return http;
}
