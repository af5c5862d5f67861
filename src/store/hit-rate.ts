/**
 * The share of recent lookups a cache answered: both counts halve every `window` lookups, so the rate follows the
 * traffic rather than its whole history. The store's caches use it to decide whether caching pays just now.
 * @module
 */
export class HitRate {
  #lookups = 0;
  #hits = 0;

  constructor(readonly window: number) {}

  count(hit: boolean): void {
    this.#lookups += 1;
    if (hit) this.#hits += 1;
    if (this.#lookups >= this.window) {
      this.#lookups >>= 1;
      this.#hits >>= 1;
    }
  }

  /** Lookups counted (after halving). */
  get lookups(): number {
    return this.#lookups;
  }

  /** True when at least `share` (0–1) of the recent lookups hit; true before any lookup. */
  atLeast(share: number): boolean {
    return this.#hits >= this.#lookups * share;
  }
}
