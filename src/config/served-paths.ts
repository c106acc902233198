// Which files of this host bootwright may hand to anyone who asks. A distro's kernel, initrd and tree_source and the
// tftp_root setting are paths an admin types, and whatever they name is served without a token: `kernel=/etc/passwd`
// published /etc/passwd at /cobbler/images/DISTRO/passwd, and a tree_source of the data directory's parent published
// the users file, the keys and the store. So served paths must lie under the served_roots setting, and the data
// directory (all but its distro_mirror/, where `import --mirror` copies trees to be served) and the TLS key are never
// served, whatever the roots say. Paths are refused when written and checked again, symlinks followed, when served:
// a path stored before the rule, roots narrowed since, or a link inside a root pointing out of it.

import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { BootwrightError, quote } from '../errors.js';

/** Where `import --mirror` copies a tree inside the data directory: the one part of it that is served. */
export const mirrorDirName = 'distro_mirror';

/**
 * The served_roots setting's default: where install trees, mounted ISOs, TFTP roots and the distributions' boot
 * loaders and netboot images live. Not /boot (GRUB's config there may hold password hashes), /tmp or /home.
 */
export const defaultServedRoots: readonly string[] = [
  '/srv',
  '/var/www',
  '/var/lib/tftpboot',
  '/tftpboot',
  '/mnt',
  '/media',
  '/usr/lib/syslinux',
  '/usr/share/syslinux',
  '/usr/lib/PXELINUX',
  '/usr/lib/ipxe',
  '/usr/share/ipxe',
  '/usr/lib/grub',
  '/usr/lib/shim',
  '/usr/lib/debian-installer',
];

/** Where the current settings are read: the inventory. Its version says whether they may have changed. */
export interface SettingsSource {
  settingOverrides(): Promise<Record<string, unknown>>;
  inventoryVersion(): Promise<number>;
}

/** The rules as the settings of one inventory version make them, and when their real paths were taken. */
interface CurrentRules {
  version: number;
  at: number;
  settings: ServedPathSettings;
  rules: Rules;
}

/** How long the real paths of the roots are trusted: a root replaced by a link is seen within this. */
const rootsRealPathMs = 5_000;

/** The settings the rules read; any settings object (or stored overrides over the defaults) has them. */
export interface ServedPathSettings {
  served_roots?: unknown;
  tls_key?: unknown;
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * The real path, or undefined when there is none. realpath(3) directly, synchronously: a few microseconds on a
 * local path, where the promise form queues it on libuv's four-thread pool behind the file reads themselves (a
 * 2 KiB download ran at a third of its rate that way).
 */
function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/**
 * How long the real path of a served file is kept. Safe to keep: the rules are applied to it on every request, so a
 * link changed to point out of the roots is refused at once, and one changed to another file inside them is followed
 * within this time. A download a second from the same file is then one lookup, not a walk of its path.
 */
const servedRealPathMs = 1_000;

/** A path and, when it exists, its real path: a rule on either holds whichever way the path is written. */
function bothForms(path: string, real: string | undefined): string[] {
  return real === undefined || real === path ? [path] : [path, real];
}

interface Rules {
  roots: string[];
  /** The data directory and its mirror directory, as given and as real paths. */
  privateDirs: string[];
  mirrorDirs: string[];
  keyFiles: string[];
}

type Refusal = 'relative' | 'outside-roots' | 'data-dir' | 'key-file';

/** What is wrong with a path and what to do, apart, as `bootwright check` shows them. */
export interface PathRefusal {
  problem: string;
  fix: string;
}

/** The list in the setting, or the default when the setting is absent. */
function rootsOf(settings: ServedPathSettings): string[] {
  const value = settings.served_roots;
  return Array.isArray(value) ? value.map(String) : [...defaultServedRoots];
}

export class ServedPaths {
  readonly #dataDir: string | undefined;
  readonly #keyFiles: string[] = [];
  /**
   * The rules, kept while the inventory version stands and for a few seconds: reading the settings and a realpath
   * per root for every file served cost more than serving a small file.
   */
  #current: CurrentRules | undefined;
  #servedReal = new Map<string, { real: string | undefined; at: number }>();

  constructor(options: { dataDir?: string } = {}) {
    this.#dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  }

  /** A private key that is never served, besides the tls_key setting's (serve's --tls-key file). */
  neverServe(keyFile: string): void {
    this.#keyFiles.push(resolve(keyFile));
  }

  /**
   * Write time (and `bootwright check`): why `path` may not be served, starting with `what` (e.g. `Distro "d":
   * kernel`), and the fix; undefined when it may be.
   */
  refusal(path: string, what: string, settings: ServedPathSettings): PathRefusal | undefined {
    const named = isAbsolute(path) ? resolve(path) : path;
    const rules = this.#expand(this.#lexicalRules(settings), realOrUndefined);
    const refusal = this.#refusalOf(named, isAbsolute(path) ? realOrUndefined(named) : undefined, rules);
    return refusal && this.#explain(refusal, path, what, settings);
  }

  /**
   * Serve time: the real path of `path` when it may be served, undefined when it does not exist; throws E_FORBIDDEN
   * with the reason otherwise.
   */
  async realPathToServe(
    path: string,
    what: string | (() => string),
    store: SettingsSource,
  ): Promise<string | undefined> {
    const named = isAbsolute(path) ? resolve(path) : path;
    const real = isAbsolute(path) ? this.#realOfServed(named) : undefined;
    const { settings, rules } = await this.#currentRules(store);
    const refusal = this.#refusalOf(named, real, rules);
    if (refusal) {
      // Named only when refused: every download asks, and naming it (quoting a distro's name) cost each of them.
      const naming = typeof what === 'string' ? what : what();
      throw new BootwrightError(
        'E_FORBIDDEN',
        refusalSentence(this.#explain(refusal, path, naming, settings)),
      );
    }
    return real;
  }

  /** Serve time, for a file found inside an install tree or the TFTP root: whether its real path may be served. */
  async mayServe(realPath: string, store: SettingsSource): Promise<boolean> {
    return this.#refusalOf(realPath, realPath, (await this.#currentRules(store)).rules) === undefined;
  }

  #realOfServed(path: string): string | undefined {
    const now = Date.now();
    const kept = this.#servedReal.get(path);
    if (kept && now - kept.at < servedRealPathMs) return kept.real;
    const real = realOrUndefined(path);
    // Bounded: paths come from the inventory, but a big one may name many.
    if (this.#servedReal.size >= 4096) this.#servedReal.clear();
    this.#servedReal.set(path, { real, at: now });
    return real;
  }

  /** The rules of the settings as they are now: a setting changed by any process applies to the next request. */
  async #currentRules(store: SettingsSource): Promise<CurrentRules> {
    // The version before the settings: a change committed between the two reads is then read again next time.
    const version = await store.inventoryVersion();
    const now = Date.now();
    const kept = this.#current;
    if (kept && kept.version === version && now - kept.at < rootsRealPathMs) return kept;
    const settings = (await store.settingOverrides()) as ServedPathSettings;
    const rules = this.#expand(this.#lexicalRules(settings), realOrUndefined);
    this.#current = { version, at: now, settings, rules };
    return this.#current;
  }

  #lexicalRules(settings: ServedPathSettings): Rules {
    const tlsKey = String(settings.tls_key ?? '');
    return {
      roots: rootsOf(settings).filter((root) => isAbsolute(root)),
      privateDirs: this.#dataDir === undefined ? [] : [this.#dataDir],
      mirrorDirs: this.#dataDir === undefined ? [] : [join(this.#dataDir, mirrorDirName)],
      keyFiles: [...this.#keyFiles, ...(tlsKey === '' ? [] : [resolve(tlsKey)])],
    };
  }

  #expand(rules: Rules, realOf: (path: string) => string | undefined): Rules {
    const expand = (paths: string[]) => paths.flatMap((path) => bothForms(path, realOf(path)));
    return {
      roots: expand(rules.roots),
      privateDirs: expand(rules.privateDirs),
      mirrorDirs: expand(rules.mirrorDirs),
      keyFiles: expand(rules.keyFiles),
    };
  }

  /**
   * The named path and its real path must both stay out of the private places; the real one decides the roots, so
   * that a link inside a root cannot lead out of it. The data directory's mirror counts as a root.
   */
  #refusalOf(named: string, real: string | undefined, rules: Rules): Refusal | undefined {
    // Relative to whose working directory? The CLI's and the server's differ.
    if (!isAbsolute(named)) return 'relative';
    for (const path of bothForms(named, real)) {
      if (rules.keyFiles.includes(path)) return 'key-file';
      if (
        rules.privateDirs.some((dir) => isInside(path, dir)) &&
        !rules.mirrorDirs.some((dir) => isInside(path, dir))
      )
        return 'data-dir';
    }
    const decisive = real ?? named;
    const served = [...rules.roots, ...rules.mirrorDirs].some((root) => isInside(decisive, root));
    return served ? undefined : 'outside-roots';
  }

  #explain(refusal: Refusal, path: string, what: string, settings: ServedPathSettings): PathRefusal {
    switch (refusal) {
      case 'relative':
        return {
          problem: `${what} ${quote(path)} is not an absolute path`,
          fix: 'give one that starts with /',
        };
      case 'key-file':
        return {
          problem: `${what} ${quote(path)} is the TLS private key, which is never served`,
          fix: 'name another file',
        };
      case 'data-dir':
        return {
          problem: `${what} ${quote(path)} is inside the data directory ${quote(this.#dataDir)}, which holds the store, users and keys and is never served (only its ${mirrorDirName}/ is)`,
          fix: 'move the file out of it, e.g. under /srv',
        };
      case 'outside-roots': {
        const wider = [...rootsOf(settings), dirname(resolve(path))].join(' ');
        return {
          problem: `${what} ${quote(path)} is outside the served_roots setting, the directories whose files anyone may download`,
          fix: `move it under one of them, or add its directory: bootwright setting edit --name=served_roots --value="${wider}"`,
        };
      }
    }
  }
}

/** A refusal as the one sentence an error message is. */
export function refusalSentence(refusal: PathRefusal): string {
  return `${refusal.problem}; ${refusal.fix}.`;
}
