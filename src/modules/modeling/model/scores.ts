import { SeededRandom } from '../../../shared/seeded-random';
import { ModelInputError } from './errors';
import { selectRows, squaredDistanceBetweenRows, squaredDistanceToPoint, type Matrix } from './matrix';
import { sampleIndexes } from './sampling';

/**
 * Cluster-quality scores with scikit-learn's definitions (sklearn.metrics, 1.x), Euclidean distances.
 * As in scikit-learn, only clusters that have at least one row count ("labels present"): an empty
 * cluster is ignored. Where scikit-learn raises ValueError — fewer than 2 clusters present, or as many
 * clusters present as rows — these functions return null.
 */

export const DEFAULT_SILHOUETTE_SAMPLE_SIZE = 2000;

export interface SilhouetteResult {
  /** Mean silhouette in [-1, 1], or null when undefined (see above). */
  readonly value: number | null;
  /** True when computed on a sample rather than on all rows. */
  readonly sampled: boolean;
  /** Number of rows the value was computed on (all rows when not sampled). */
  readonly sampleSize: number;
}

/**
 * silhouette_score: the mean over rows i of s(i) = (b − a) / max(a, b), where
 *   a = mean distance from i to the OTHER rows of its own cluster (divided by size − 1),
 *   b = the smallest, over the other clusters, of the mean distance from i to that cluster's rows;
 *   s(i) = 0 when i is alone in its cluster, and when a = b = 0 (sklearn's nan_to_num).
 * Exact (O(rows²)) when rows ≤ sampleSize. Otherwise, like silhouette_score(..., sample_size=…):
 * a uniform sample of sampleSize rows WITHOUT replacement is drawn (from `seed`) and the silhouette is
 * computed on that sample alone — both each sampled row's a and b and the averaging use only the
 * sampled rows, and clusters with no sampled row are ignored.
 */
export function silhouette(
  matrix: Matrix,
  assignments: Int32Array,
  k: number,
  { sampleSize = DEFAULT_SILHOUETTE_SAMPLE_SIZE, seed }: { sampleSize?: number; seed: number },
): SilhouetteResult {
  checkAssignments(matrix, assignments, k);
  if (!Number.isInteger(sampleSize) || sampleSize < 2) {
    throw new ModelInputError('INVALID_OPTION', `the silhouette sample size must be an integer ≥ 2, got ${sampleSize}`);
  }
  const sampled = matrix.rows > sampleSize;
  const indexes = sampled ? sampleIndexes(matrix.rows, sampleSize, new SeededRandom(seed)) : null;
  const points = indexes ? selectRows(matrix, indexes) : matrix;
  const labels = indexes ? Int32Array.from(indexes, (i) => assignments[i]!) : assignments;
  const n = points.rows;
  const result = (value: number | null): SilhouetteResult => ({ value, sampled, sampleSize: n });

  const sizes = clusterSizes(labels, k);
  if (!isScorable(sizes, n)) return result(null);

  // sums[i * k + c]: sum of distances from row i to the rows of cluster c; each pair computed once.
  const sums = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.sqrt(squaredDistanceBetweenRows(points, i, j));
      sums[i * k + labels[j]!]! += d;
      sums[j * k + labels[i]!]! += d;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const own = labels[i]!;
    if (sizes[own]! <= 1) continue; // s(i) = 0 for a singleton cluster
    const a = sums[i * k + own]! / (sizes[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c]! > 0) b = Math.min(b, sums[i * k + c]! / sizes[c]!);
    const denominator = Math.max(a, b);
    if (denominator > 0) total += (b - a) / denominator;
  }
  return result(total / n);
}

/**
 * davies_bouldin_score: with s_c = mean Euclidean distance of cluster c's rows to its centroid and
 * d_cj = distance between centroids c and j, DB = mean over clusters c of max_{j≠c} (s_c + s_j) / d_cj.
 * As sklearn: 0 when every s_c is ≈ 0 or every d_cj is ≈ 0 (np.allclose: |x| ≤ 1e-8), and a pair of
 * coinciding centroids (d = 0) contributes 0 instead of dividing by zero.
 * `centroids` must be the means of the assigned rows (as runKMeans returns) — sklearn recomputes them.
 */
export function daviesBouldin(matrix: Matrix, assignments: Int32Array, centroids: readonly (readonly number[])[]): number | null {
  return centroidScores(matrix, assignments, centroids).daviesBouldin;
}

/**
 * calinski_harabasz_score: with n rows, K clusters present, overall mean m, centroids c_k of sizes n_k,
 *   B = Σ_k n_k ‖c_k − m‖²  (between-cluster dispersion),  W = Σ_i ‖x_i − c_{label(i)}‖²  (within),
 *   CH = (B / (K − 1)) / (W / (n − K)), and 1 when W = 0 (sklearn's convention).
 * `centroids` must be the means of the assigned rows (as runKMeans returns) — sklearn recomputes them.
 */
export function calinskiHarabasz(matrix: Matrix, assignments: Int32Array, centroids: readonly (readonly number[])[]): number | null {
  return centroidScores(matrix, assignments, centroids).calinskiHarabasz;
}

/**
 * daviesBouldin and calinskiHarabasz from one pass over the rows, each summed in row order as it would
 * be alone: both null where scikit-learn raises (fewer than 2 clusters present, or as many as rows).
 */
export function centroidScores(
  matrix: Matrix,
  assignments: Int32Array,
  centroids: readonly (readonly number[])[],
): { readonly daviesBouldin: number | null; readonly calinskiHarabasz: number | null } {
  const k = centroids.length;
  checkAssignments(matrix, assignments, k);
  const sizes = clusterSizes(assignments, k);
  const n = matrix.rows;
  if (!isScorable(sizes, n)) return { daviesBouldin: null, calinskiHarabasz: null };

  // Per cluster the sum of its rows' distances to its centroid; the sum of their squares; each column's sum.
  const spread = new Array<number>(k).fill(0);
  let within = 0;
  const mean = new Array<number>(matrix.columns).fill(0);
  const { values, columns } = matrix;
  for (let i = 0; i < n; i++) {
    const squared = squaredDistanceToPoint(matrix, i, centroids[assignments[i]!]!);
    spread[assignments[i]!]! += Math.sqrt(squared);
    within += squared;
    for (let d = 0; d < columns; d++) mean[d]! += values[i * columns + d]!;
  }
  for (let d = 0; d < columns; d++) mean[d]! /= n;
  const present = sizes.flatMap((size, c) => (size > 0 ? [c] : []));
  for (const c of present) spread[c]! /= sizes[c]!;
  return {
    daviesBouldin: daviesBouldinOf(spread, present, centroids),
    calinskiHarabasz: calinskiHarabaszOf(within, mean, sizes, present.length, centroids, n),
  };
}

/** DB from each present cluster's mean distance to its centroid (`spread`). */
function daviesBouldinOf(spread: readonly number[], present: readonly number[], centroids: readonly (readonly number[])[]): number {
  const separation = (c: number, j: number) => Math.sqrt(centroids[c]!.reduce((sum, v, d) => sum + (v - centroids[j]![d]!) ** 2, 0));
  const nearZero = (x: number) => Math.abs(x) <= 1e-8;
  if (present.every((c) => nearZero(spread[c]!))) return 0;
  if (present.every((c) => present.every((j) => nearZero(separation(c, j))))) return 0;

  let total = 0;
  for (const c of present) {
    let worst = 0;
    for (const j of present) {
      const d = separation(c, j);
      if (j !== c && d > 0) worst = Math.max(worst, (spread[c]! + spread[j]!) / d);
    }
    total += worst;
  }
  return total / present.length;
}

/** CH from W (`within`), the overall mean and the centroids' sizes. */
function calinskiHarabaszOf(
  within: number,
  mean: readonly number[],
  sizes: readonly number[],
  present: number,
  centroids: readonly (readonly number[])[],
  n: number,
): number {
  let between = 0;
  centroids.forEach((centroid, c) => {
    between += sizes[c]! * centroid.reduce((sum, v, d) => sum + (v - mean[d]!) ** 2, 0);
  });
  return within === 0 ? 1 : (between * (n - present)) / (within * (present - 1));
}

function clusterSizes(labels: Int32Array, k: number): number[] {
  const sizes = new Array<number>(k).fill(0);
  for (const label of labels) sizes[label]!++;
  return sizes;
}

/** sklearn's check_number_of_labels: 1 < clusters present < rows. */
function isScorable(sizes: readonly number[], rows: number): boolean {
  const present = sizes.filter((size) => size > 0).length;
  return present > 1 && present < rows;
}

function checkAssignments(matrix: Matrix, assignments: Int32Array, k: number): void {
  if (assignments.length !== matrix.rows) {
    throw new ModelInputError('SHAPE_MISMATCH', `${assignments.length} assignments for ${matrix.rows} rows`);
  }
  for (const label of assignments) {
    if (label < 0 || label >= k) throw new ModelInputError('SHAPE_MISMATCH', `assignment ${label} is outside 0..${k - 1}`);
  }
}
