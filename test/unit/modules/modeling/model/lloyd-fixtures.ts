import type { Matrix } from '../../../../../src/modules/modeling/model';
import { centroidRows, lloydSteps, type LloydOptions, type LloydStep } from '../../../../../src/modules/modeling/model/lloyd';
import { SeededRandom } from '../../../../../src/shared/seeded-random';
import type { ComparableStep } from '../../../../support/kmeans-oracle';
import { matrixFromRows } from '../../../../support/modeling';

/** Every step of the Lloyd engine, in ml-kmeans' shape (referenceSteps), plus what only it reports. */
export function recordedSteps(matrix: Matrix, initial: number[][], options: LloydOptions) {
  return Array.from(lloydSteps(matrix, initial, options), (step) => recordedStep(step, matrix.columns));
}

/** A step as recordedSteps records it (copies: the engine reuses its arrays). */
export function recordedStep(step: LloydStep, columns: number) {
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
