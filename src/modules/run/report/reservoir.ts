import { SeededRandom } from '../../../shared/seeded-random';

/**
 * A uniform sample of at most `limit` items from a stream of unknown length (Vitter's algorithm R):
 * memory stays at `limit` items however long the stream. The same seed and stream give the same sample.
 */
export class Reservoir<T> {
  private readonly random: SeededRandom;
  private readonly kept: { index: number; item: T }[] = [];
  private seen = 0;

  constructor(
    private readonly limit: number,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  offer(item: T): void {
    const index = this.seen++;
    if (this.kept.length < this.limit) this.kept.push({ index, item });
    else {
      const slot = this.random.integer(index + 1);
      if (slot < this.limit) this.kept[slot] = { index, item };
    }
  }

  /** Items offered so far. */
  get offered(): number {
    return this.seen;
  }

  /** The sample, in the order the items came. */
  items(): T[] {
    return [...this.kept].sort((a, b) => a.index - b.index).map(({ item }) => item);
  }
}
