import type { SeededRandom } from '../../../shared/seeded-random';

/**
 * `size` distinct row indexes drawn uniformly from [0, n), sorted ascending (sorted so later passes
 * over the sample read the matrix in memory order). When size >= n every index is returned and the
 * generator is not consumed.
 *
 * Floyd's algorithm: O(size) time and memory whatever n is, so sampling 10,000 rows of a 1M-row table
 * never allocates an n-sized permutation.
 */
export function sampleIndexes(n: number, size: number, random: SeededRandom): Int32Array {
  if (size >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const chosen = new Set<number>();
  for (let j = n - size; j < n; j++) {
    const t = random.integer(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return Int32Array.from(chosen).sort();
}
