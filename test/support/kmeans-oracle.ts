import assert from 'node:assert/strict';
import { kmeans, kmeansGenerator } from 'ml-kmeans';
import { RunCancelledError, type KMeansEngine, type KMeansIteration, type Matrix } from '../../src/modules/modeling/model';
import { lloydSteps, type LloydOptions, type LloydStep } from '../../src/modules/modeling/model/lloyd';
import { toRowArrays } from './modeling';

// The references the Lloyd engine is proven equal to, bit for bit, from the same initial centroids:
// ml-kmeans 7 itself, and ml-kmeans with the engine's one change, its centroid sums added chunk by
// chunk (chunkedKmeansSteps). Up to one chunk the two are the same, which the tests check too.

/**
 * A runner's engine (runKMeans, selectK, runModelingJob take one as their last argument) over the
 * number[][] copy of the matrix, made once per job, never per restart.
 */
function engineOverRows(
  iterate: (rows: number[][], initialCentroids: number[][], maxIterations: number, tolerance: number) => Iterable<KMeansIteration>,
): KMeansEngine {
  return {
    open(matrix) {
      let rows: number[][] | undefined;
      return {
        iterate: (initialCentroids, { maxIterations, tolerance }) => iterate((rows ??= toRowArrays(matrix)), initialCentroids, maxIterations, tolerance),
        close: () => undefined,
      };
    },
  };
}

/** ml-kmeans' kmeansGenerator as the runner's engine (ml-kmeans ignores its seed when given explicit centroids). */
export const ML_KMEANS_ENGINE = engineOverRows((rows, initialization, maxIterations, tolerance) =>
  kmeansGenerator(rows, initialization.length, { initialization, maxIterations, tolerance }),
);

/** chunkedKmeansSteps as the runner's engine: the reference of the runner's results at any size. */
export const CHUNKED_REFERENCE_ENGINE = engineOverRows(chunkedKmeansSteps);

/**
 * The engine's chunks (lloyd-arrays.ts' chunkRows), written out here rather than imported: the chunks
 * decide the bits, so a change of the engine's policy must fail the tests.
 */
const ONE_CHUNK = 2048;
const referenceChunkRows = (rows: number, k: number, columns: number) => Math.max(ONE_CHUNK, Math.ceil(rows / 30_000), k * columns);

/** ml-distance-euclidean's squaredEuclidean, the distance of ml-kmeans. */
function squaredEuclidean(p: readonly number[], q: readonly number[]): number {
  let d = 0;
  for (let i = 0; i < p.length; i++) d += (p[i]! - q[i]!) * (p[i]! - q[i]!);
  return d;
}

/**
 * ml-kmeans 7's kmeansGenerator (its step, updateClusterID with ml-nearest-vector's nearestVector,
 * updateCenters, hasConverged), written out with one change: a centroid's sums are added chunk by
 * chunk, each chunk's rows in row order and then the chunks' sums in chunk order, with the engine's
 * chunks (chunkRows). Written here from ml-kmeans' source, not from the engine's.
 */
export function* chunkedKmeansSteps(
  data: number[][],
  initial: number[][],
  maxIterations: number,
  tolerance: number,
): Generator<KMeansIteration & ComparableStep> {
  const k = initial.length;
  const n = data.length;
  const d = data[0]!.length;
  const chunk = referenceChunkRows(n, k, d);
  let centers = initial.map((c) => [...c]);
  for (let iterations = 1; iterations <= maxIterations; iterations++) {
    const clusters = data.map((row) => {
      let nearest = -1;
      let min = Number.MAX_VALUE;
      for (let c = 0; c < k; c++) {
        const distance = squaredEuclidean(row, centers[c]!);
        if (distance < min) {
          min = distance;
          nearest = c;
        }
      }
      return nearest;
    });
    const sums = Array.from({ length: k }, () => new Array<number>(d).fill(0));
    const counts = new Array<number>(k).fill(0);
    for (let from = 0; from < n; from += chunk) {
      const partial = Array.from({ length: k }, () => new Array<number>(d).fill(0));
      for (let l = from; l < Math.min(n, from + chunk); l++) {
        counts[clusters[l]!]!++;
        for (let j = 0; j < d; j++) partial[clusters[l]!]![j]! += data[l]![j]!;
      }
      for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) sums[c]![j]! += partial[c]![j]!;
    }
    const next = sums.map((sum, c) => sum.map((value, j) => (counts[c] ? value / counts[c] : centers[c]![j]!)));
    const converged = next.every((center, c) => !(squaredEuclidean(center, centers[c]!) > tolerance));
    yield { iterations, converged, clusters, centroids: next };
    if (converged) return;
    centers = next;
  }
}

/** One Lloyd iteration as compared between ml-kmeans and the engine. */
export interface ComparableStep {
  readonly iterations: number;
  readonly converged: boolean;
  readonly clusters: number[];
  readonly centroids: number[][];
}

/** Every step of ml-kmeans' own kmeansGenerator from the given initial centroids. */
export function mlKmeansSteps(rows: number[][], initial: number[][], maxIterations: number, tolerance: number): ComparableStep[] {
  const steps: ComparableStep[] = [];
  for (const step of kmeansGenerator(rows, initial.length, { initialization: initial, maxIterations, tolerance })) {
    steps.push({ iterations: step.iterations, converged: step.converged, clusters: [...step.clusters], centroids: step.centroids.map((c) => [...c]) });
  }
  return steps;
}

/** Every step of the engine's reference, chunkedKmeansSteps: ml-kmeans' own steps up to one chunk (MIN_CHUNK_ROWS rows). */
export function referenceSteps(rows: number[][], initial: number[][], maxIterations: number, tolerance: number): ComparableStep[] {
  return Array.from(chunkedKmeansSteps(rows, initial, maxIterations, tolerance));
}

/**
 * How far a final centroid value of the engine may be from ml-kmeans' for the same assignments: both
 * are the cluster's mean, summed in two orders. Recursive summation of N terms errs by at most
 * γ(N − 1)·Σ|x|, γ(N) = N·u / (1 − N·u), u = 2⁻⁵³: ml-kmeans' row order over the cluster's n rows, the
 * engine's over at most (chunk rows − 1) + (chunks − 1) terms on any path. Then each divides by n (half
 * an ulp each) — docs/model-runs.md states this bound.
 */
export function centroidBound(rows: number[][], k: number, clusters: readonly number[], cluster: number, column: number, centroid: number): number {
  const n = rows.length;
  const d = rows[0]!.length;
  const chunk = referenceChunkRows(n, k, d);
  const chunks = Math.ceil(n / chunk);
  const u = 2 ** -53;
  const gamma = (terms: number) => (terms * u) / (1 - terms * u);
  let absolute = 0;
  let count = 0;
  clusters.forEach((c, i) => {
    if (c !== cluster) return;
    absolute += Math.abs(rows[i]![column]!);
    count++;
  });
  if (count === 0) return 0;
  const ulp = (value: number) => Math.max(Number.MIN_VALUE, 2 ** (Math.floor(Math.log2(Math.abs(value))) - 52));
  return ((gamma(count - 1) + gamma(chunk + chunks)) * absolute) / count + 2 * ulp(centroid);
}

/**
 * ml-kmeans' kmeans() from `initial` against the engine's final step: the same assignments, iterations
 * and convergence, and centroids the same bits up to one chunk, within centroidBound beyond it.
 */
export function assertCloseToMlKmeans(rows: number[][], initial: number[][], maxIterations: number, tolerance: number, last: ComparableStep): void {
  const theirs = kmeans(rows, initial.length, { initialization: initial, maxIterations, tolerance });
  assert.deepStrictEqual(
    [last.clusters, last.iterations, last.converged],
    [[...theirs.clusters], theirs.iterations, theirs.converged],
    'assignments or iterations differ from ml-kmeans',
  );
  if (rows.length <= ONE_CHUNK) {
    assert.deepStrictEqual(last.centroids, theirs.centroids, "up to one chunk the centroids are ml-kmeans' own bits");
    return;
  }
  theirs.centroids.forEach((centroid, c) =>
    centroid.forEach((value, j) => {
      const difference = Math.abs(last.centroids[c]![j]! - value);
      assert.ok(
        difference <= centroidBound(rows, initial.length, last.clusters, c, j, value),
        `centroid ${c}, column ${j}: ${last.centroids[c]![j]} against ml-kmeans' ${value}`,
      );
    }),
  );
}

/** Σ over rows in row order of the squared distance to the assigned centroid: ml-kmeans' expression, the runner's order. */
export function inertiaOf(rows: number[][], clusters: number[], centroids: number[][]): number {
  let total = 0;
  rows.forEach((row, i) => {
    const centroid = centroids[clusters[i]!]!;
    let d = 0;
    for (let j = 0; j < row.length; j++) d += (row[j]! - centroid[j]!) * (row[j]! - centroid[j]!);
    total += d;
  });
  return total;
}

export interface LloydHooks {
  onStep?(step: LloydStep): void;
  /** Polled after each iteration; true → RunCancelledError. */
  shouldCancel?(): boolean;
}

/** The Lloyd engine run to the end, like ml-kmeans' kmeans(): returns the last step (its clusters are final). */
export function runLloyd(matrix: Matrix, initialCentroids: readonly ArrayLike<number>[], options: LloydOptions, hooks: LloydHooks = {}): LloydStep {
  let last: LloydStep | undefined;
  for (const step of lloydSteps(matrix, initialCentroids, options)) {
    last = step;
    hooks.onStep?.(step);
    if (hooks.shouldCancel?.()) throw new RunCancelledError();
  }
  return last!;
}
