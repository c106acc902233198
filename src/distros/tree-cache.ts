// Open install trees, by distro. Opening an ISO reads its descriptors and root directory, so a tree stays open
// across the many requests of an install (anaconda fetches hundreds of files), and is closed when the distro's
// tree_source changes, when it has not been used for a while, or when too many are open.

import { BootwrightError, notFound, quote } from '../errors.js';
import type { TreeSource } from './tree.js';
import { openTreeSource } from './tree-source.js';

/** A distro's tree_source: undefined for no such distro, '' for a distro without a tree. */
export type TreeLocationLookup = (distroName: string) => Promise<string | undefined>;

export interface TreeCacheOptions {
  /** Trees kept open at once; the least recently used is closed first. */
  maxOpen?: number;
  /** A tree unused this long is closed. */
  idleMs?: number;
  open?: (location: string) => Promise<TreeSource>;
  /**
   * Throws when the distro's tree may not be served; run on every use, not only on opening, because what may be
   * served (the served_roots setting) can narrow while a tree is open.
   */
  check?: (distroName: string, location: string) => Promise<void>;
}

interface OpenTree {
  location: string;
  tree: Promise<TreeSource>;
  timer?: NodeJS.Timeout;
}

/** Kernel and initrd values `tree:PATH` name a file inside the distro's tree_source. */
export const treePrefix = 'tree:';

export function treePathOf(source: string): string | undefined {
  return source.startsWith(treePrefix) ? source.slice(treePrefix.length) : undefined;
}

export class TreeCache {
  readonly #lookup: TreeLocationLookup;
  readonly #maxOpen: number;
  readonly #idleMs: number;
  readonly #open: (location: string) => Promise<TreeSource>;
  readonly #check: ((distroName: string, location: string) => Promise<void>) | undefined;
  /** In use order: the first entry is the least recently used. */
  readonly #trees = new Map<string, OpenTree>();

  constructor(lookup: TreeLocationLookup, options: TreeCacheOptions = {}) {
    this.#lookup = lookup;
    this.#maxOpen = options.maxOpen ?? 16;
    this.#idleMs = options.idleMs ?? 10 * 60_000;
    this.#open = options.open ?? openTreeSource;
    this.#check = options.check;
  }

  /**
   * The open tree of a distro. Throws E_NOT_FOUND for an unknown distro or one without a tree_source,
   * E_UNAVAILABLE when the tree_source cannot be opened (an unplugged disk, a removed ISO), and what `check` throws
   * for one that may not be served. A caller that has just read the distro passes its tree_source as `location`,
   * which spares a second read of the store per download.
   */
  async treeFor(distroName: string, location?: string): Promise<TreeSource> {
    location ??= await this.#lookup(distroName);
    if (location === undefined) throw notFound(`Distro ${quote(distroName)} does not exist.`);
    if (location === '') throw notFound(`Distro ${quote(distroName)} has no tree_source.`);
    await this.#check?.(distroName, location);
    let entry = this.#trees.get(distroName);
    if (entry && entry.location !== location) {
      this.#close(distroName, entry);
      entry = undefined;
    }
    if (!entry) {
      const created: OpenTree = { location, tree: this.#open(location) };
      // A failed open is not kept, so the next request tries again once the ISO is back.
      created.tree.catch(() => this.#forget(distroName, created));
      entry = created;
    }
    this.#trees.delete(distroName);
    this.#trees.set(distroName, entry);
    this.#touch(distroName, entry);
    this.#evict();
    try {
      return await entry.tree;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `Distro ${quote(distroName)}: its tree_source ${quote(location)} cannot be read: ${reason}`,
      );
    }
  }

  async closeAll(): Promise<void> {
    const entries = [...this.#trees];
    for (const [name, entry] of entries) this.#close(name, entry);
    await Promise.allSettled(entries.map(([, entry]) => entry.tree.then((tree) => tree.close())));
  }

  #touch(name: string, entry: OpenTree): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.#close(name, entry), this.#idleMs);
    entry.timer.unref();
  }

  #evict(): void {
    while (this.#trees.size > this.#maxOpen) {
      const [name, entry] = this.#trees.entries().next().value as [string, OpenTree];
      this.#close(name, entry);
    }
  }

  #forget(name: string, entry: OpenTree): void {
    if (entry.timer) clearTimeout(entry.timer);
    if (this.#trees.get(name) === entry) this.#trees.delete(name);
  }

  /** Responses still streaming from the tree may fail; installers retry, and this happens only on change or idle. */
  #close(name: string, entry: OpenTree): void {
    this.#forget(name, entry);
    entry.tree.then(
      (tree) => tree.close(),
      () => {},
    );
  }
}
