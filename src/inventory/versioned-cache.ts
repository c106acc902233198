// What is derived from the inventory, kept while its version stands (Store.inventoryVersion): the first get under
// a new version forgets everything kept under the old one. Bounded: beyond `cap` entries the oldest goes first.

export class VersionedCache<V> {
  readonly #entries = new Map<string, V>();
  #version: number | undefined;

  constructor(private readonly cap: number) {}

  /**
   * The value kept under `key` for `version`, or the one `build` makes, kept if the version still stands once it is
   * made. The caller reads the version before anything `build` reads: rows newer than the version are then kept
   * under an older version at worst, which the next reading of the version drops. A value `keep` refuses is
   * handed out but built anew next time.
   */
  async get(
    version: number,
    key: string,
    build: () => Promise<V>,
    keep: (value: V) => boolean = () => true,
  ): Promise<V> {
    if (this.#version !== version) {
      this.#entries.clear();
      this.#version = version;
    }
    // One lookup where values are never undefined (the key is most often a string made for the call, hashed anew).
    const kept = this.#entries.get(key);
    if (kept !== undefined || this.#entries.has(key)) return kept as V;
    const value = await build();
    if (this.#version === version && keep(value)) {
      if (this.#entries.size >= this.cap) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
      this.#entries.set(key, value);
    }
    return value;
  }
}
