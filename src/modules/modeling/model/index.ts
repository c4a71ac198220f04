// The pure modeling core: preparation of a numeric table, k-means, quality scores and the choice of k.
// No I/O: the caller feeds it data (from a worker thread). Its only threads are the Lloyd engine's
// helpers, opened and closed within a call.
export { MODEL_INPUT_REASONS, ModelInputError, RunCancelledError, type ModelInputReason } from './errors';
export { createMatrix, rowView, type Matrix } from './matrix';
export { sampleIndexes } from './sampling';
export { MiniBatchKMeans, type MiniBatchPass } from './mini-batch';
export { prepareRow, StreamingPreparation } from './streaming-preparation';
export {
  prepare,
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
  assertValidK,
  DEFAULT_SEEDING_SAMPLE_SIZE,
  MAX_ABS_VALUE,
  MAX_ITERATIONS_LIMIT,
  MAX_N_INIT,
  runKMeans,
  type InitializationMethod,
  type IterationEvent,
  type KMeansOptions,
  type KMeansRunResult,
  type RunHooks,
} from './kmeans-runner';
export { LLOYD_ENGINE, lloydEngine, type KMeansEngine, type KMeansEngineJob, type KMeansIteration } from './kmeans-engine';
export { DEFAULT_KMEANS_THREADS, MAX_KMEANS_THREADS, MIN_ROWS_FOR_THREADS } from './lloyd-threads';
export { calinskiHarabasz, centroidScores, DEFAULT_SILHOUETTE_SAMPLE_SIZE, daviesBouldin, silhouette, type SilhouetteResult } from './scores';
export {
  K_SELECTION_RULES,
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
