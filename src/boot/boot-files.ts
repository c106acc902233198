// Every boot file, rendered from the store when it is asked for: no sync step, so the first boot request after a
// change already sees it. Machines are found by MAC (and by IP where the loader asks by IP); unknown machines get
// the menu of profiles with local boot first.

import { existsSync } from 'node:fs';
import { TreeCache, treePathOf } from '../distros/tree-cache.js';
import { openTreeSource } from '../distros/tree-source.js';
import { quote } from '../errors.js';
import type { Inventory } from '../inventory/inventory.js';
import { MachineLookup } from '../inventory/machine-lookup.js';
import { VersionedCache } from '../inventory/versioned-cache.js';
import type { InventoryObject } from '../model/kinds.js';
import type { AutoinstallSecrets } from '../templates/autoinstall-secrets.js';
import { addAutoinstallSecret } from '../templates/install-urls.js';
import {
  type BootChoice,
  type BootSubmenu,
  type InstallEntry,
  imageEntry,
  installEntry,
  serialConsoleOf,
} from './boot-entry.js';
import type { BootLoader, ConfigTarget } from './loaders/loader.js';
import { tftpConfigAt } from './loaders/registry.js';

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

type DistroFileFields = Record<'kernel' | 'initrd' | 'tree_source', string> & {
  /** Its kernel and initrd by basename, worked out once per inventory version rather than for every download. */
  byBasename: Map<string, Readonly<DistroFile>>;
};

export class BootFiles {
  /** The distros' install trees, for `tree:` kernels and initrds and for /distros/NAME/. */
  readonly trees: TreeCache;
  readonly #distroFilesCache = new VersionedCache<DistroFileFields | undefined>(1024);

  constructor(
    private readonly inventory: Inventory,
    /** Gives each object the secret its autoinstall URL carries while the autoinstall_secrets setting is on. */
    private readonly secrets?: AutoinstallSecrets,
    /** Which system a MAC or address belongs to. */
    readonly machines: MachineLookup = new MachineLookup(inventory),
  ) {
    const { servedPaths } = inventory;
    this.trees = new TreeCache(async (name) => (await this.#distroFiles(name))?.tree_source, {
      check: async (name, location) => {
        if (/^https?:\/\//.test(location)) return;
        await servedPaths.realPathToServe(location, () => `Distro ${quote(name)}: tree_source`, inventory);
      },
      open: (location) =>
        openTreeSource(location, { mayServe: (real) => servedPaths.mayServe(real, inventory) }),
    });
  }

  /**
   * The real path to serve for a kernel or initrd that is a file on this server, undefined when it is missing;
   * throws E_FORBIDDEN when it is outside the served roots or private (checked on every request: see served-paths).
   */
  async realPathToServe(file: DistroFile): Promise<string | undefined> {
    const what = () => `Distro ${quote(file.distro)}: ${file.field}`;
    return this.inventory.servedPaths.realPathToServe(file.source, what, this.inventory);
  }

  /** Whether a file found under the tftp_root setting, by its real path, may be served. */
  mayServe(realPath: string): Promise<boolean> {
    return this.inventory.servedPaths.mayServe(realPath, this.inventory);
  }

  /**
   * Install when netboot is on, else boot the local disk. A system on an image boots the image where Cobbler can
   * (direct, memdisk); an iso or virt-clone image is koan's, so such a machine boots its disk.
   */
  async choiceFor(system: InventoryObject): Promise<{ choice: BootChoice; view: Record<string, unknown> }> {
    const view = await this.inventory.blended('system', system.name);
    if (view.netboot_enabled !== true) return { choice: { kind: 'local' }, view };
    if (system.fields.image) {
      const entry = imageEntry(view, system.name);
      return { choice: entry ? { kind: 'install', entry } : { kind: 'local' }, view };
    }
    const target = { kind: 'system', name: system.name } as const;
    addAutoinstallSecret(view, target, this.secrets);
    return { choice: { kind: 'install', entry: installEntry(view, target) }, view };
  }

  /**
   * The menus' entries (profiles shown in menus, then the images boot loaders can boot), grouped by menu object as
   * Cobbler's tftpgen groups them, and the label a menu boots on timeout (the profile of the system named
   * "default").
   */
  async menu(): Promise<{ entries: InstallEntry[]; submenus: BootSubmenu[]; timeoutLabel?: string }> {
    const byMenu = new Map<string, InstallEntry[]>();
    const add = (menu: unknown, entry: InstallEntry) => {
      const key = String(menu ?? '');
      byMenu.set(key, [...(byMenu.get(key) ?? []), entry]);
    };
    for (const profile of await this.inventory.list('profile')) {
      const view = await this.inventory.blended('profile', profile.name);
      if (view.enable_menu === false) continue;
      const target = { kind: 'profile', name: profile.name } as const;
      add(profile.fields.menu, installEntry(addAutoinstallSecret(view, target, this.secrets), target));
    }
    for (const image of await this.inventory.list('image')) {
      // As tftpgen: only an image whose file is on this server (it is served from there).
      if (!existsSync(String(image.fields.file ?? ''))) continue;
      const entry = imageEntry(await this.inventory.blended('image', image.name), image.name);
      if (entry) add(image.fields.menu, entry);
    }
    const menus = await this.inventory.list('menu');
    const submenusOf = (parent: string, seen: ReadonlySet<string>): BootSubmenu[] =>
      menus
        .filter((menu) => String(menu.fields.parent ?? '') === parent && !seen.has(menu.name))
        .map((menu) => ({
          name: menu.name,
          label: String(menu.fields.display_name ?? '') || menu.name,
          entries: byMenu.get(menu.name) ?? [],
          submenus: submenusOf(menu.name, new Set([...seen, menu.name])),
        }));
    const entries = byMenu.get('') ?? [];
    const fallback = await this.inventory.find('system', 'default');
    const timeoutLabel = fallback ? String(fallback.fields.profile ?? '') || undefined : undefined;
    const all = [...byMenu.values()].flat();
    return {
      entries,
      submenus: submenusOf('', new Set()),
      timeoutLabel: all.some((entry) => entry.label === timeoutLabel) ? timeoutLabel : undefined,
    };
  }

  /** `images2/NAME`: the image's file on this server, as Cobbler links it into its TFTP root; undefined if none. */
  async imageFile(name: string): Promise<string | undefined> {
    const image = await this.inventory.find('image', name);
    const file = String(image?.fields.file ?? '');
    if (!file.startsWith('/')) return undefined;
    return this.inventory.servedPaths.realPathToServe(file, `Image ${quote(name)}: file`, this.inventory);
  }

  /** A loader's config for one system. */
  async systemConfig(loader: BootLoader, system: InventoryObject): Promise<string> {
    const { choice, view } = await this.choiceFor(system);
    return loader.renderSystem(choice, serialConsoleOf(view));
  }

  /** A loader's config that installs a profile, whichever machine asks (/cblr/svc/op/ipxe/profile/NAME). */
  async profileConfig(loader: BootLoader, name: string): Promise<string> {
    const view = await this.inventory.blended('profile', name);
    const target = { kind: 'profile', name } as const;
    addAutoinstallSecret(view, target, this.secrets);
    return loader.renderSystem({ kind: 'install', entry: installEntry(view, target) }, serialConsoleOf(view));
  }

  /** A loader's menu of profiles, for machines the inventory does not know. */
  async menuConfig(loader: BootLoader): Promise<string> {
    return loader.renderMenu({ title: menuTitle, ...(await this.menu()) });
  }

  /** The menu, or the config of the system with this MAC or address; undefined for a machine nobody knows. */
  async configFor(loader: BootLoader, target: ConfigTarget): Promise<string | undefined> {
    if (target.kind === 'menu') return this.menuConfig(loader);
    const system =
      target.kind === 'mac'
        ? await this.machines.systemByMac(target.mac)
        : await this.machines.systemByIp(target.ip);
    return system && this.systemConfig(loader, system);
  }

  /**
   * The boot config at a TFTP path (`pxelinux.cfg/<name>`, `grub/grub.cfg`, ...), from the loader that asks for it;
   * undefined lets the loader go on to its next candidate name, as it does for a missing file.
   */
  async configAt(path: string): Promise<string | undefined> {
    const found = tftpConfigAt(path);
    return found && this.configFor(found.loader, found.target);
  }

  /** `images/<distro>/<basename>`: which distro file a TFTP or HTTP request for a kernel or initrd means. */
  async distroFile(distroName: string, basename: string): Promise<Readonly<DistroFile> | undefined> {
    return (await this.#distroFiles(distroName))?.byBasename.get(basename);
  }

  /**
   * A distro's kernel, initrd and tree_source, kept while the inventory version stands: every download of a
   * kernel, an initrd or a tree file asks, and reading and parsing the distro cost more than the version's check.
   */
  async #distroFiles(name: string): Promise<DistroFileFields | undefined> {
    const version = await this.inventory.inventoryVersion();
    return this.#distroFilesCache.get(version, name, async () => {
      const distro = await this.inventory.find('distro', name);
      if (!distro) return undefined;
      const fields = {
        kernel: String(distro.fields.kernel ?? ''),
        initrd: String(distro.fields.initrd ?? ''),
        tree_source: String(distro.fields.tree_source ?? ''),
      };
      return { ...fields, byBasename: filesByBasename(name, fields) };
    });
  }
}

/** A distro's kernel and initrd by basename (the kernel first, where both have the same one). */
function filesByBasename(distro: string, fields: Record<'kernel' | 'initrd' | 'tree_source', string>) {
  const files = new Map<string, Readonly<DistroFile>>();
  for (const field of ['kernel', 'initrd'] as const) {
    const source = fields[field];
    const treePath = treePathOf(source);
    const basename = ((treePath ?? source).split('?')[0] ?? '').split('/').pop() ?? '';
    if (files.has(basename)) continue;
    files.set(
      basename,
      treePath === undefined
        ? { distro, field, source }
        : { distro, field, source, treePath, treeSource: fields.tree_source },
    );
  }
  return files;
}
