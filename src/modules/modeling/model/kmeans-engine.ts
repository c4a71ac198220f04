import { centroidRows, lloydSteps } from './lloyd';
import { LloydThreads } from './lloyd-threads';
import type { Matrix } from './matrix';

// The runner takes its engine as a parameter, so that the tests can run ml-kmeans through the very
// same restarts, seeding and events (test/support/kmeans-oracle.ts) and compare the results.

/** One Lloyd iteration as the runner reads it (ml-kmeans' kmeansGenerator yields this shape too). */
export interface KMeansIteration {
  readonly clusters: ArrayLike<number>;
  readonly centroids: number[][];
  readonly converged: boolean;
  readonly iterations: number;
  /** Inertia and cluster sizes when the engine measured them: the same bits as the runner's own sums. */
  readonly measured?: { readonly inertia: number; readonly clusterSizes: number[] };
}

/** What iterates Lloyd's algorithm for the runner, opened once per job (a runKMeans or selectK call) and closed after it. */
export interface KMeansEngine {
  open(matrix: Matrix, threads: number): KMeansEngineJob;
}

export interface KMeansEngineJob {
  /** measureEachStep: report `measured` on every iteration (the runner has an onIteration hook). */
  iterate(
    initialCentroids: number[][],
    options: { readonly maxIterations: number; readonly tolerance: number; readonly measureEachStep: boolean },
  ): Iterable<KMeansIteration>;
  close(): void;
}

/** The Lloyd engine (lloyd.ts), on the helper threads `openThreads` opens for each job (default LloydThreads.open). */
export function lloydEngine(
  openThreads: (matrix: Matrix, threads: number) => LloydThreads | undefined = (matrix, threads) => LloydThreads.open(matrix, threads),
): KMeansEngine {
  return {
    open(matrix, threadCount) {
      const threads = openThreads(matrix, threadCount);
      return {
        *iterate(initialCentroids, { maxIterations, tolerance, measureEachStep }) {
          for (const step of lloydSteps(matrix, initialCentroids, { maxIterations, tolerance, trackInertia: measureEachStep, threads })) {
            yield {
              clusters: step.clusters,
              centroids: centroidRows(step.centroids, matrix.columns),
              converged: step.converged,
              iterations: step.iterations,
              measured: measureEachStep ? { inertia: step.inertia, clusterSizes: Array.from(step.clusterSizes) } : undefined,
            };
          }
        },
        close: () => threads?.close(),
      };
    },
  };
}

/** The engine the server runs. */
export const LLOYD_ENGINE = lloydEngine();
