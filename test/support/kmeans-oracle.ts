import { kmeansGenerator } from 'ml-kmeans';
import { RunCancelledError, type KMeansEngine, type Matrix } from '../../src/modules/modeling/model';
import { lloydSteps, type LloydOptions, type LloydStep } from '../../src/modules/modeling/model/lloyd';
import { toRowArrays } from './modeling';

// ml-kmeans 7, the reference the Lloyd engine is proven equal to, bit for bit, from the same initial centroids.

/**
 * ml-kmeans' kmeansGenerator as the runner's engine (runKMeans, selectK, runModelingJob take it as their
 * last argument). The number[][] copy it needs is made once per job, never per restart.
 */
export const ML_KMEANS_ENGINE: KMeansEngine = {
  open(matrix) {
    let rows: number[][] | undefined;
    return {
      // ml-kmeans ignores its seed when given explicit centroids.
      iterate: (initialCentroids, { maxIterations, tolerance }) =>
        kmeansGenerator((rows ??= toRowArrays(matrix)), initialCentroids.length, { initialization: initialCentroids, maxIterations, tolerance }),
      close: () => undefined,
    };
  },
};

/** One Lloyd iteration as compared between ml-kmeans and the engine. */
export interface ComparableStep {
  readonly iterations: number;
  readonly converged: boolean;
  readonly clusters: number[];
  readonly centroids: number[][];
}

/** Every step of ml-kmeans' own kmeansGenerator from the given initial centroids. */
export function referenceSteps(rows: number[][], initial: number[][], maxIterations: number, tolerance: number): ComparableStep[] {
  const steps: ComparableStep[] = [];
  for (const step of kmeansGenerator(rows, initial.length, { initialization: initial, maxIterations, tolerance })) {
    steps.push({ iterations: step.iterations, converged: step.converged, clusters: [...step.clusters], centroids: step.centroids.map((c) => [...c]) });
  }
  return steps;
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
