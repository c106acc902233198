// A least-recently-used cache bounded by a total weight (for directory listings: their number of entries), so that
// walking a huge image keeps a fixed amount of metadata in memory however many directories it has.

export class LruCache<K, V> {
  readonly #maxWeight: number;
  readonly #weigh: (value: V) => number;
  readonly #items = new Map<K, { value: V; weight: number }>();
  #weight = 0;

  constructor(maxWeight: number, weigh: (value: V) => number = () => 1) {
    this.#maxWeight = maxWeight;
    this.#weigh = weigh;
  }

  get size(): number {
    return this.#items.size;
  }

  get weight(): number {
    return this.#weight;
  }

  get(key: K): V | undefined {
    const item = this.#items.get(key);
    if (item === undefined) return undefined;
    // A Map iterates in insertion order, so re-inserting marks the item as the most recently used.
    this.#items.delete(key);
    this.#items.set(key, item);
    return item.value;
  }

  /** Stores the value, evicting the least recently used ones; a value heavier than the whole cache is not kept. */
  set(key: K, value: V): void {
    this.delete(key);
    const weight = Math.max(1, this.#weigh(value));
    if (weight > this.#maxWeight) return;
    this.#items.set(key, { value, weight });
    this.#weight += weight;
    for (const [oldest, item] of this.#items) {
      if (this.#weight <= this.#maxWeight) break;
      this.#items.delete(oldest);
      this.#weight -= item.weight;
    }
  }

  delete(key: K): void {
    const item = this.#items.get(key);
    if (item === undefined) return;
    this.#items.delete(key);
    this.#weight -= item.weight;
  }

  clear(): void {
    this.#items.clear();
    this.#weight = 0;
  }
}
