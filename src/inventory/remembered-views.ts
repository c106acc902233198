// Views derived from the inventory (blended views, template variables), kept while the inventory version stands so
// that a boot or autoinstall request does not read, parse and blend the same rows again; each caller is handed a
// copy of its own, down to the lists and dictionaries, because templates may change what they are given.

import { type BlendedView, copyContainers } from '../model/blend.js';
import { VersionedCache } from './versioned-cache.js';

/** A view kept for reuse, never handed out itself; `containerKeys` hold its lists and dictionaries. */
interface RememberedView {
  view: BlendedView;
  containerKeys: string[];
  /** Keys holding the very list or dictionary of an earlier key (ks_meta is autoinstall_meta): [key, earlier]. */
  aliases: [string, string][];
}

export class RememberedViews {
  readonly #views: VersionedCache<RememberedView>;

  /** Beyond `cap` views the oldest goes first: bounded memory however many objects are asked for. */
  constructor(cap: number) {
    this.#views = new VersionedCache(cap);
  }

  /** A copy of the view remembered under `key` for `version`, or of the one `build` makes (see VersionedCache). */
  async get(version: number, key: string, build: () => Promise<BlendedView>): Promise<BlendedView> {
    const remembered = await this.#remembered(version, key, build);
    const copy: BlendedView = { ...remembered.view };
    for (const name of remembered.containerKeys) copy[name] = copyContainers(copy[name]);
    // A template changing one sees the change under the other, as in the view it was derived from.
    for (const [name, earlier] of remembered.aliases) copy[name] = copy[earlier];
    return copy;
  }

  /**
   * The view remembered under `key` itself, shared with every caller until the version moves: for callers that
   * never change it, and copy what they hand on (the template renderer copies a list or dictionary when a template
   * first looks it up).
   */
  async shared(
    version: number,
    key: string,
    build: () => Promise<BlendedView>,
  ): Promise<Readonly<BlendedView>> {
    return (await this.#remembered(version, key, build)).view;
  }

  /** One entry of the view `get` would copy, copied only if it is a list or dictionary. */
  async entry(
    version: number,
    key: string,
    name: string,
    build: () => Promise<BlendedView>,
  ): Promise<unknown> {
    return copyContainers((await this.#remembered(version, key, build)).view[name]);
  }

  #remembered(version: number, key: string, build: () => Promise<BlendedView>): Promise<RememberedView> {
    return this.#views.get(version, key, async () => {
      // Built key by key, a view is a dictionary-mode object, which V8 copies far slower than one with a shape:
      // one spread here gives it one, and each copy handed out is then cheap.
      const view = { ...(await build()) };
      const firstKeyOf = new Map<unknown, string>();
      const made: RememberedView = { view, containerKeys: [], aliases: [] };
      for (const [name, value] of Object.entries(view)) {
        if (typeof value !== 'object' || value === null) continue;
        const earlier = firstKeyOf.get(value);
        if (earlier === undefined) {
          firstKeyOf.set(value, name);
          made.containerKeys.push(name);
        } else made.aliases.push([name, earlier]);
      }
      return made;
    });
  }
}
