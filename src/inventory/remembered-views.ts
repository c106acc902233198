// Views derived from the inventory (blended views, template variables), kept while the inventory version stands so
// that a boot or autoinstall request does not read, parse and blend the same rows again; each caller is handed a
// copy of its own, down to the lists and dictionaries, because templates may change what they are given.

import { type BlendedView, copyContainers } from '../model/blend.js';

/** A view kept for reuse, never handed out itself; `containerKeys` hold its lists and dictionaries. */
interface RememberedView {
  view: BlendedView;
  containerKeys: string[];
  /** Keys holding the very list or dictionary of an earlier key (ks_meta is autoinstall_meta): [key, earlier]. */
  aliases: [string, string][];
}

export class RememberedViews {
  readonly #views = new Map<string, RememberedView>();
  #version: number | undefined;

  /** Beyond `cap` views the oldest goes first: bounded memory however many objects are asked for. */
  constructor(private readonly cap: number) {}

  /**
   * The view remembered under `key` for `version`, or the one `build` makes, remembered if the version still stands
   * once it is made. The caller reads the version before anything `build` reads: rows newer than the version are
   * then kept under an older version at worst, which the next reading of the version drops.
   */
  async get(version: number, key: string, build: () => Promise<BlendedView>): Promise<BlendedView> {
    if (this.#version !== version) {
      this.#views.clear();
      this.#version = version;
    }
    let remembered = this.#views.get(key);
    if (!remembered) {
      // Built key by key, a view is a dictionary-mode object, which V8 copies far slower than one with a shape:
      // one spread here gives it one, and each copy handed out is then cheap.
      const view = { ...(await build()) };
      const firstKeyOf = new Map<unknown, string>();
      remembered = { view, containerKeys: [], aliases: [] };
      for (const [name, value] of Object.entries(view)) {
        if (typeof value !== 'object' || value === null) continue;
        const earlier = firstKeyOf.get(value);
        if (earlier === undefined) {
          firstKeyOf.set(value, name);
          remembered.containerKeys.push(name);
        } else remembered.aliases.push([name, earlier]);
      }
      if (this.#version === version) {
        if (this.#views.size >= this.cap) {
          const oldest = this.#views.keys().next().value;
          if (oldest !== undefined) this.#views.delete(oldest);
        }
        this.#views.set(key, remembered);
      }
    }
    const copy: BlendedView = { ...remembered.view };
    for (const name of remembered.containerKeys) copy[name] = copyContainers(copy[name]);
    // A template changing one sees the change under the other, as in the view it was derived from.
    for (const [name, earlier] of remembered.aliases) copy[name] = copy[earlier];
    return copy;
  }
}
