import { adoptMemory, type WasmMemory } from './wasm/shared-memory';
import { createMatrix } from './matrix';
import { prepare, unscaleCentroids, type ColumnStats, type PrepareOptions, type Scaling } from './preparation';
import { LLOYD_ENGINE, type KMeansEngine } from './kmeans-engine';
import { runKMeans, type InitializationMethod, type IterationEvent } from './kmeans-runner';
import { centroidScores, DEFAULT_SILHOUETTE_SAMPLE_SIZE, silhouette } from './scores';
import { selectK, type KScore, type KSelectionRule } from './k-selection';

/** Everything one model run computes, from the raw feature table to scored clusters. */
export interface ModelingJobParams {
  readonly k: number | null;
  readonly kRange: { readonly min: number; readonly max: number } | null;
  readonly initialization: InitializationMethod;
  readonly nInit: number;
  readonly maxIterations: number;
  readonly tolerance: number;
  readonly seed: number;
  readonly preparation: PrepareOptions;
  /** Threads of the k-means engine (default DEFAULT_KMEANS_THREADS); any count gives the same result. */
  readonly threads?: number;
}

export interface ModelingJobInput {
  /** Row-major feature values, NaN for NULL. */
  readonly values: Float64Array;
  readonly rows: number;
  readonly columns: number;
  /** The columns' names, for error messages (e.g. NON_FINITE_VALUE naming the column); indexes otherwise. */
  readonly columnNames?: readonly string[];
  readonly params: ModelingJobParams;
  /** The job may overwrite `values` (preparation then works in place, without a copy); default false. */
  readonly valuesOwned?: boolean;
  /**
   * The shared WebAssembly memory `values` is in, when it is in one. A buffer sent to another thread does
   * not say so; with its memory, the Lloyd engine and its WebAssembly kernel read `values` where it is
   * instead of copying it into a memory of their own.
   */
  readonly valuesMemory?: WasmMemory;
}

export interface ModelingJobHooks {
  readonly onIteration?: (event: IterationEvent & { readonly k: number }) => void;
  readonly onKEvaluated?: (score: KScore) => void;
  readonly shouldCancel?: () => boolean;
}

export interface ModelingMetrics {
  readonly inertia: number;
  readonly silhouette: number | null;
  readonly silhouetteSampled: boolean;
  readonly silhouetteSampleSize: number;
  readonly daviesBouldin: number | null;
  readonly calinskiHarabasz: number | null;
  readonly iterations: number;
  readonly converged: boolean;
}

export interface ModelingJobOutput {
  /** For each clustered row, the input row it came from (rows with NULLs are gone under DROP); null when every row was clustered. */
  readonly keptRowIndexes: Int32Array | null;
  readonly assignments: Int32Array;
  /** Euclidean distance of each clustered row to its centroid, in scaled units. */
  readonly distances: Float64Array;
  readonly centroidsScaled: number[][];
  readonly centroidsOriginal: number[][];
  readonly clusterSizes: number[];
  readonly metrics: ModelingMetrics;
  readonly kSelection: { readonly rule: KSelectionRule; readonly chosenK: number; readonly scores: KScore[]; readonly maxCappedByRows: boolean } | null;
  readonly preparation: { readonly rowsRead: number; readonly rowsDropped: number; readonly columnStats: readonly ColumnStats[]; readonly scaling: Scaling };
  readonly timings: { readonly prepareMs: number; readonly clusterMs: number; readonly scoreMs: number };
}

/** Runs preparation, k-means (one k, or each k of a range) and the scores. Pure CPU: meant for a worker thread. */
export function runModelingJob(input: ModelingJobInput, hooks: ModelingJobHooks = {}, engine: KMeansEngine = LLOYD_ENGINE): ModelingJobOutput {
  const { params } = input;
  let started = performance.now();
  const values = input.valuesMemory ? new Float64Array(adoptMemory(input.valuesMemory), input.values.byteOffset, input.values.length) : input.values;
  const prepared = prepare(createMatrix(values, input.rows, input.columns), params.preparation, input.columnNames, input.valuesOwned ?? false);
  const prepareMs = performance.now() - started;
  const runOptions = {
    initialization: params.initialization,
    nInit: params.nInit,
    maxIterations: params.maxIterations,
    tolerance: params.tolerance,
    seed: params.seed,
    threads: params.threads,
  };

  started = performance.now();
  let run;
  let kSelection: ModelingJobOutput['kSelection'] = null;
  let metrics: ModelingMetrics;
  let scoreMs: number;
  if (params.kRange) {
    // selectK scores every k it tries; the chosen k's scores are the run's metrics.
    const selection = selectK(prepared.matrix, { ...runOptions, ...params.kRange }, hooks, engine);
    run = selection.run;
    kSelection = { rule: selection.rule, chosenK: selection.chosenK, scores: selection.scores, maxCappedByRows: selection.maxCappedByRows };
    const chosen = selection.scores.find((score) => score.k === selection.chosenK)!;
    const sampled = silhouetteSampling(prepared.matrix.rows);
    metrics = { ...chosen, silhouetteSampled: sampled.sampled, silhouetteSampleSize: sampled.size };
    scoreMs = 0;
  } else {
    const k = params.k!;
    run = runKMeans(
      prepared.matrix,
      { ...runOptions, k },
      { onIteration: (event) => hooks.onIteration?.({ ...event, k }), shouldCancel: hooks.shouldCancel },
      engine,
    );
    const clusterDone = performance.now();
    const silhouetteResult = silhouette(prepared.matrix, run.assignments, k, { seed: params.seed });
    metrics = {
      inertia: run.inertia,
      silhouette: silhouetteResult.value,
      silhouetteSampled: silhouetteResult.sampled,
      silhouetteSampleSize: silhouetteResult.sampleSize,
      ...centroidScores(prepared.matrix, run.assignments, run.centroids),
      iterations: run.iterations,
      converged: run.converged,
    };
    scoreMs = performance.now() - clusterDone;
  }
  const clusterMs = performance.now() - started - scoreMs;

  return {
    keptRowIndexes: prepared.keptRowIndexes,
    assignments: run.assignments,
    distances: run.distances,
    centroidsScaled: run.centroids,
    centroidsOriginal: unscaleCentroids(run.centroids, prepared.scaling),
    clusterSizes: run.clusterSizes,
    metrics,
    kSelection,
    preparation: { rowsRead: prepared.rowsRead, rowsDropped: prepared.rowsDropped, columnStats: prepared.columnStats, scaling: prepared.scaling },
    timings: { prepareMs, clusterMs, scoreMs },
  };
}

// selectK scores each k with the default silhouette sample; report what that sample was.
function silhouetteSampling(rows: number): { sampled: boolean; size: number } {
  return rows > DEFAULT_SILHOUETTE_SAMPLE_SIZE ? { sampled: true, size: DEFAULT_SILHOUETTE_SAMPLE_SIZE } : { sampled: false, size: rows };
}
