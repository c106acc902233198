// Every boot file, rendered from the store when it is asked for: no sync step, so the first boot request after a
// change already sees it. Machines are found by MAC (and by IP where the loader asks by IP); unknown machines get
// the menu of profiles with local boot first.

import { TreeCache, treePathOf } from '../distros/tree-cache.js';
import { openTreeSource } from '../distros/tree-source.js';
import { quote } from '../errors.js';
import type { Inventory } from '../inventory/inventory.js';
import { MachineLookup } from '../inventory/machine-lookup.js';
import type { InventoryObject } from '../model/kinds.js';
import type { AutoinstallSecrets } from '../templates/autoinstall-secrets.js';
import { addAutoinstallSecret } from '../templates/install-urls.js';
import { type BootChoice, type InstallEntry, installEntry, serialConsoleOf } from './boot-entry.js';
import { renderGrubMain, renderGrubSystem } from './grub.js';
import { renderIpxeMenu, renderIpxeSystem } from './ipxe.js';
import {
  ipFromPxelinuxName,
  macFromPxelinuxName,
  renderPxelinuxMenu,
  renderPxelinuxSystem,
} from './pxelinux.js';

const menuTitle = 'bootwright';

export interface DistroFile {
  distro: string;
  field: 'kernel' | 'initrd';
  /** The kernel or initrd as the distro names it: an absolute path on this server, a URL, or `tree:PATH`. */
  source: string;
  /** For `tree:PATH`: the path inside the distro's tree_source, served from `trees`. */
  treePath?: string;
  /** For `tree:PATH`: the distro's tree_source, read with it, so that opening the tree needs no second read. */
  treeSource?: string;
}

export class BootFiles {
  /** The distros' install trees, for `tree:` kernels and initrds and for /distros/NAME/. */
  readonly trees: TreeCache;

  constructor(
    private readonly inventory: Inventory,
    /** Gives each object the secret its autoinstall URL carries while the autoinstall_secrets setting is on. */
    private readonly secrets?: AutoinstallSecrets,
    /** Which system a MAC or address belongs to. */
    readonly machines: MachineLookup = new MachineLookup(inventory),
  ) {
    const { servedPaths } = inventory;
    this.trees = new TreeCache(
      async (name) => {
        const distro = await inventory.find('distro', name);
        return distro ? String(distro.fields.tree_source ?? '') : undefined;
      },
      {
        check: async (name, location) => {
          if (/^https?:\/\//.test(location)) return;
          await servedPaths.realPathToServe(location, `Distro ${quote(name)}: tree_source`, inventory);
        },
        open: (location) =>
          openTreeSource(location, { mayServe: (real) => servedPaths.mayServe(real, inventory) }),
      },
    );
  }

  /**
   * The real path to serve for a kernel or initrd that is a file on this server, undefined when it is missing;
   * throws E_FORBIDDEN when it is outside the served roots or private (checked on every request: see served-paths).
   */
  async realPathToServe(file: DistroFile): Promise<string | undefined> {
    const what = `Distro ${quote(file.distro)}: ${file.field}`;
    return this.inventory.servedPaths.realPathToServe(file.source, what, this.inventory);
  }

  /** Whether a file found under the tftp_root setting, by its real path, may be served. */
  mayServe(realPath: string): Promise<boolean> {
    return this.inventory.servedPaths.mayServe(realPath, this.inventory);
  }

  /** Install when netboot is on, else boot the local disk. */
  async choiceFor(system: InventoryObject): Promise<{ choice: BootChoice; view: Record<string, unknown> }> {
    const view = await this.inventory.blended('system', system.name);
    if (view.netboot_enabled !== true) return { choice: { kind: 'local' }, view };
    const target = { kind: 'system', name: system.name } as const;
    addAutoinstallSecret(view, target, this.secrets);
    return { choice: { kind: 'install', entry: installEntry(view, target) }, view };
  }

  /** Profiles shown in menus, and the label a menu boots on timeout (the profile of the system named "default"). */
  async menu(): Promise<{ entries: InstallEntry[]; timeoutLabel?: string }> {
    const entries: InstallEntry[] = [];
    for (const profile of await this.inventory.list('profile')) {
      const view = await this.inventory.blended('profile', profile.name);
      if (view.enable_menu === false) continue;
      const target = { kind: 'profile', name: profile.name } as const;
      entries.push(installEntry(addAutoinstallSecret(view, target, this.secrets), target));
    }
    const fallback = await this.inventory.find('system', 'default');
    const timeoutLabel = fallback ? String(fallback.fields.profile ?? '') || undefined : undefined;
    return {
      entries,
      timeoutLabel: entries.some((entry) => entry.label === timeoutLabel) ? timeoutLabel : undefined,
    };
  }

  /** `pxelinux.cfg/<name>`; undefined lets pxelinux go on to its next candidate name, as it does for a missing file. */
  async pxelinuxConfig(name: string): Promise<string | undefined> {
    if (name === 'default') {
      const menu = await this.menu();
      return renderPxelinuxMenu({ title: menuTitle, ...menu });
    }
    const mac = macFromPxelinuxName(name);
    const ip = mac ? undefined : ipFromPxelinuxName(name);
    const system = mac
      ? await this.machines.systemByMac(mac)
      : ip
        ? await this.machines.systemByIp(ip)
        : undefined;
    if (!system) return undefined;
    const { choice, view } = await this.choiceFor(system);
    return renderPxelinuxSystem(choice, serialConsoleOf(view));
  }

  /** `grub/grub.cfg` or `grub/system/<mac>`. */
  async grubConfig(path: string): Promise<string | undefined> {
    if (path === 'grub.cfg') {
      const menu = await this.menu();
      return renderGrubMain(menu.entries, menu.timeoutLabel);
    }
    const match = /^system\/(.+)$/.exec(path);
    const system = match ? await this.machines.systemByMac(match[1] as string) : undefined;
    if (!system) return undefined;
    const { choice, view } = await this.choiceFor(system);
    return renderGrubSystem(choice, serialConsoleOf(view));
  }

  async ipxeForSystem(system: InventoryObject): Promise<string> {
    return renderIpxeSystem((await this.choiceFor(system)).choice);
  }

  async ipxeForProfile(name: string): Promise<string> {
    const view = await this.inventory.blended('profile', name);
    const target = { kind: 'profile', name } as const;
    addAutoinstallSecret(view, target, this.secrets);
    return renderIpxeSystem({ kind: 'install', entry: installEntry(view, target) });
  }

  async ipxeMenu(): Promise<string> {
    const menu = await this.menu();
    return renderIpxeMenu(menuTitle, menu.entries, menu.timeoutLabel);
  }

  /** `images/<distro>/<basename>`: which distro file a TFTP or HTTP request for a kernel or initrd means. */
  async distroFile(distroName: string, basename: string): Promise<DistroFile | undefined> {
    const distro = await this.inventory.find('distro', distroName);
    if (!distro) return undefined;
    for (const field of ['kernel', 'initrd'] as const) {
      const source = String(distro.fields[field] ?? '');
      const treePath = treePathOf(source);
      if (((treePath ?? source).split('?')[0] ?? '').split('/').pop() !== basename) continue;
      return treePath === undefined
        ? { distro: distroName, field, source }
        : {
            distro: distroName,
            field,
            source,
            treePath,
            treeSource: String(distro.fields.tree_source ?? ''),
          };
    }
    return undefined;
  }
}
