/**
 * The pure modeling core: preparation of a numeric table, k-means (ml-kmeans, or the equivalent
 * 'fast' engine), quality scores and the choice of k. No I/O, no database — the caller feeds it data (e.g. from a worker).
 * The only threads are the fast engine's helpers (lloyd-threads.ts), opened and closed within a call.
 */
export { MODEL_INPUT_REASONS, ModelInputError, RunCancelledError, type ModelInputReason } from './errors';
export { createMatrix, matrixFromRows, rowView, type Matrix } from './matrix';
export {
  prepare,
  scaleCentroids,
  unscaleCentroids,
  type ColumnStats,
  type MissingValuePolicy,
  type PreparedData,
  type PrepareOptions,
  type RawTable,
  type Scaling,
  type ScalingKind,
} from './preparation';
export {
  DEFAULT_KMEANS_ENGINE,
  DEFAULT_SEEDING_SAMPLE_SIZE,
  KMEANS_ENGINES,
  MAX_ABS_VALUE,
  MAX_ITERATIONS_LIMIT,
  MAX_N_INIT,
  runKMeans,
  type InitializationMethod,
  type IterationEvent,
  type KMeansEngine,
  type KMeansOptions,
  type KMeansRunResult,
  type RunHooks,
} from './kmeans-runner';
export { centroidRows, fastLloyd, fastLloydGenerator, type FastLloydHooks, type FastLloydOptions, type FastLloydStep } from './fast-lloyd';
export {
  DEFAULT_KMEANS_THREADS,
  liveHelperThreads,
  LloydThreads,
  MAX_KMEANS_THREADS,
  MIN_ROWS_FOR_THREADS,
  sharedPasses,
  waitForHelpersOnOpen,
} from './lloyd-threads';
export { calinskiHarabasz, DEFAULT_SILHOUETTE_SAMPLE_SIZE, daviesBouldin, silhouette, type SilhouetteResult } from './scores';
export {
  MAX_K_RANGE_WIDTH,
  selectK,
  type KScore,
  type KSelectionRule,
  type SelectKHooks,
  type SelectKOptions,
  type SelectKResult,
} from './k-selection';
export {
  runModelingJob,
  type ModelingJobHooks,
  type ModelingJobInput,
  type ModelingJobOutput,
  type ModelingJobParams,
  type ModelingMetrics,
} from './modeling-job';
