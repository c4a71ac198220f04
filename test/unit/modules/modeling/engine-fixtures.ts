import { kmeansGenerator } from 'ml-kmeans';
import { SeededRandom } from '../../../../src/shared/seeded-random';
import { centroidRows, fastLloydGenerator, matrixFromRows, prepare, rowView, type FastLloydOptions, type FastLloydStep, type Matrix } from '../../../../src/modules/modeling/model';
import { iris } from './fixtures';

/** One Lloyd iteration as compared between the engines. */
export interface ComparableStep {
  readonly iterations: number;
  readonly converged: boolean;
  readonly clusters: number[];
  readonly centroids: number[][];
}

export const toRows = (matrix: Matrix): number[][] => Array.from({ length: matrix.rows }, (_, i) => Array.from(rowView(matrix, i)));

/** Every step of ml-kmeans' own kmeansGenerator from the given initial centroids (the reference). */
export function referenceSteps(rows: number[][], initial: number[][], maxIterations: number, tolerance: number): ComparableStep[] {
  const steps: ComparableStep[] = [];
  for (const step of kmeansGenerator(rows, initial.length, { initialization: initial, maxIterations, tolerance })) {
    steps.push({ iterations: step.iterations, converged: step.converged, clusters: [...step.clusters], centroids: step.centroids.map((c) => [...c]) });
  }
  return steps;
}

/** Every step of the fast engine, in the same shape, plus what only it reports. */
export function fastSteps(matrix: Matrix, initial: number[][], options: FastLloydOptions) {
  return Array.from(fastLloydGenerator(matrix, initial, options), (step) => comparableFastStep(step, matrix.columns));
}

/** A fast engine's step as fastSteps records it (copies: the engine reuses its arrays). */
export function comparableFastStep(step: FastLloydStep, columns: number) {
  return {
    iterations: step.iterations,
    converged: step.converged,
    clusters: Array.from(step.clusters),
    centroids: centroidRows(step.centroids, columns),
    inertia: step.inertia,
    clusterSizes: Array.from(step.clusterSizes),
    distanceComputations: step.distanceComputations,
  };
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

export function standardizedIris(): Matrix {
  const { rows } = iris();
  return prepare({ values: Float64Array.from(rows.flat()), rows: rows.length, columns: 4 }, { missing: 'DROP', scaling: 'STANDARD' }).matrix;
}

/** n rows around k centres drawn uniformly in [-10, 10]^columns, Gaussian noise of standard deviation `spread`, rows interleaved. */
export function blobs(n: number, columns: number, k: number, spread: number, seed: number): Matrix {
  const random = new SeededRandom(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: columns }, () => random.next() * 20 - 10));
  const values = new Float64Array(n * columns);
  for (let i = 0; i < n; i++) {
    const centre = centres[i % k]!;
    for (let j = 0; j < columns; j++) values[i * columns + j] = centre[j]! + spread * random.normal();
  }
  return { values, rows: n, columns };
}

/** Small integers with many duplicate rows: exact ties in squared distance are common. */
export function lattice(n: number, columns: number, max: number, seed: number): Matrix {
  const random = new SeededRandom(seed);
  return matrixFromRows(Array.from({ length: n }, () => Array.from({ length: columns }, () => random.integer(max + 1))));
}

/** For iterations ≥ 2 of a reference run: rows whose nearest centroid (entering that iteration) is tied with another one. */
export function tiesAfterFirstIteration(rows: number[][], steps: ComparableStep[]): number {
  let ties = 0;
  for (let t = 1; t < steps.length; t++) {
    const centroids = steps[t - 1]!.centroids;
    for (const row of rows) {
      const distances = centroids.map((c) => c.reduce((sum, v, j) => sum + (row[j]! - v) * (row[j]! - v), 0));
      const min = Math.min(...distances);
      if (distances.filter((d) => d === min).length > 1) ties++;
    }
  }
  return ties;
}
