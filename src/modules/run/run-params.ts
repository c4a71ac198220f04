import { randomInt } from 'node:crypto';
import { AppError } from '../../errors/app-error';
import { MAX_ITERATIONS_LIMIT, MAX_K_RANGE_WIDTH, MAX_N_INIT, type InitializationMethod, type MissingValuePolicy, type ScalingKind } from '../modeling/model';
import type { DatasetRecord } from '../dataset/dataset.record';
import type { RunAlgorithm, RunParams } from './run.record';

/** What a caller may give startModelRun; everything but the dataset and k (or kRange) has a default. */
export interface StartRunInput {
  readonly datasetId: string;
  readonly k?: number | null;
  readonly kRange?: { readonly min: number; readonly max: number } | null;
  readonly initialization?: InitializationMethod | null;
  readonly nInit?: number | null;
  readonly maxIterations?: number | null;
  readonly tolerance?: number | null;
  readonly seed?: number | null;
  readonly preparation?: { readonly missing?: MissingValuePolicy | null; readonly scaling?: ScalingKind | null } | null;
  readonly publishOutcomes?: boolean | null;
  readonly idempotencyKey?: string | null;
  readonly algorithm?: RunAlgorithm | null;
  readonly batchSize?: number | null;
}

/** The defaults, stated once (README "Model runs" repeats them). */
export const RUN_DEFAULTS = {
  initialization: 'KMEANS_PLUS_PLUS',
  // scikit-learn's n_init='auto': one restart with k-means++, ten with random centroids.
  nInit: { KMEANS_PLUS_PLUS: 1, RANDOM: 10 },
  maxIterations: 300,
  tolerance: 1e-6,
  missing: 'DROP',
  scaling: 'STANDARD',
  publishOutcomes: true,
  algorithm: 'LLOYD',
  // scikit-learn's MiniBatchKMeans batch_size.
  batchSize: 1_024,
  // MINI_BATCH's passes over the table (maxIterations): each is a read of the whole table.
  miniBatchPasses: 10,
} as const;

/** The largest mini-batch: a batch is held (shuffled with 15 more) in memory. */
export const MAX_BATCH_SIZE = 1_000_000;
/**
 * The most values (batchSize × feature columns) a mini-batch may hold: its window of 16 batches is then
 * at most 128 MB and the initial sample (3 batches) 24 MB, whatever the table's size.
 */
export const MAX_BATCH_VALUES = 1_000_000;

/** The largest k accepted at all; k must also not exceed the rows that will be clustered. */
export const MAX_K = 1_000;
// GraphQL Int is 32-bit signed; seeds are non-negative Ints.
const MAX_SEED = 2_147_483_647;

function bad(field: string, message: string): AppError {
  return new AppError('BAD_USER_INPUT', message, { field });
}

function integerIn(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw bad(field, `${field} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

/** What a start request asks for, checked and with its defaults filled in; `seed` null when not given. */
export type RequestedParams = Omit<RunParams, 'seed' | 'seedGiven' | 'table' | 'keyColumns' | 'featureColumns'> & { readonly seed: number | null };

/** Checks a start request against everything that does not need the data; fills in defaults. */
export function resolveRunParams(input: StartRunInput, dataset: DatasetRecord): RunParams {
  const { seed, ...requested } = resolveRequest(input);
  const columns = dataset.featureColumns.length;
  if (requested.batchSize !== undefined && requested.batchSize * columns > MAX_BATCH_VALUES) {
    throw bad(
      'batchSize',
      `batchSize × feature columns may be at most ${MAX_BATCH_VALUES.toLocaleString('en-US')} (16 batches are held in memory): ${requested.batchSize} × ${columns} columns is ${(requested.batchSize * columns).toLocaleString('en-US')}`,
    );
  }
  return {
    ...requested,
    // No seed given: draw one and keep it with the run, so every run can be reproduced.
    seed: seed ?? randomInt(0, MAX_SEED),
    seedGiven: seed !== null,
    table: dataset.table,
    keyColumns: dataset.keyColumns,
    featureColumns: dataset.featureColumns,
  };
}

/** resolveRunParams without the dataset and without drawing a seed: what an idempotency key is compared on. */
export function resolveRequest(input: StartRunInput): RequestedParams {
  const hasK = input.k !== null && input.k !== undefined;
  const hasRange = input.kRange !== null && input.kRange !== undefined;
  if (hasK === hasRange) throw bad('k', 'Give exactly one of k or kRange');
  const k = hasK ? integerIn('k', input.k, 2, MAX_K) : null;
  let kRange: RunParams['kRange'] = null;
  if (hasRange) {
    const { min, max } = input.kRange;
    integerIn('kRange.min', min, 2, MAX_K);
    integerIn('kRange.max', max, 2, MAX_K);
    if (max < min) throw bad('kRange', `kRange.max (${max}) is below kRange.min (${min})`);
    if (max - min + 1 > MAX_K_RANGE_WIDTH) throw bad('kRange', `kRange may span at most ${MAX_K_RANGE_WIDTH} values of k, got ${max - min + 1}`);
    kRange = { min, max };
  }
  const algorithm = input.algorithm ?? RUN_DEFAULTS.algorithm;
  const miniBatch = algorithm === 'MINI_BATCH';
  const batchSizeGiven = input.batchSize !== null && input.batchSize !== undefined;
  if (batchSizeGiven && !miniBatch) throw bad('batchSize', 'batchSize applies to algorithm MINI_BATCH only');
  const batchSize = miniBatch ? integerIn('batchSize', input.batchSize ?? RUN_DEFAULTS.batchSize, 1, MAX_BATCH_SIZE) : null;
  // Each k or restart would be passes over the whole table of its own.
  if (miniBatch && hasRange) throw bad('kRange', 'algorithm MINI_BATCH takes k, not kRange');
  if (miniBatch && input.nInit !== null && input.nInit !== undefined && input.nInit !== 1) {
    throw bad('nInit', `algorithm MINI_BATCH runs one restart (nInit 1), got ${input.nInit}`);
  }
  const initialization = input.initialization ?? RUN_DEFAULTS.initialization;
  const tolerance = input.tolerance ?? RUN_DEFAULTS.tolerance;
  // 0 is scikit-learn's tol=0: iterate until no centroid moves at all (no assignment changes).
  if (!Number.isFinite(tolerance) || tolerance < 0) throw bad('tolerance', `tolerance must be a finite number ≥ 0, got ${tolerance}`);
  const idempotencyKey = input.idempotencyKey ?? null;
  if (idempotencyKey !== null && (idempotencyKey.length < 1 || idempotencyKey.length > 128)) {
    throw bad('idempotencyKey', 'idempotencyKey must have 1 to 128 characters');
  }
  return {
    k,
    kRange,
    initialization,
    nInit: miniBatch ? 1 : integerIn('nInit', input.nInit ?? RUN_DEFAULTS.nInit[initialization], 1, MAX_N_INIT),
    maxIterations: integerIn(
      'maxIterations',
      input.maxIterations ?? (miniBatch ? RUN_DEFAULTS.miniBatchPasses : RUN_DEFAULTS.maxIterations),
      1,
      MAX_ITERATIONS_LIMIT,
    ),
    tolerance,
    seed: input.seed === null || input.seed === undefined ? null : integerIn('seed', input.seed, 0, MAX_SEED),
    preparation: {
      missing: input.preparation?.missing ?? RUN_DEFAULTS.missing,
      scaling: input.preparation?.scaling ?? RUN_DEFAULTS.scaling,
    },
    publishOutcomes: input.publishOutcomes ?? RUN_DEFAULTS.publishOutcomes,
    // Absent under LLOYD, so a LLOYD run's stored parameters are as before (idempotency compares them).
    ...(miniBatch ? { algorithm, batchSize: batchSize! } : {}),
  };
}

/**
 * The fewest rows checkAgainstRows accepts: counting the rows to cluster up to this many is enough to
 * decide, and below it the count is exact, so its messages state the real number of rows.
 */
export function rowsNeeded(params: RunParams): number {
  return Math.max(params.k ?? 0, params.kRange ? params.kRange.min + 1 : 0, 1);
}

/**
 * Checks k against the rows the run will cluster, known from the database before anything is written.
 * `rows` may be a count capped at rowsNeeded(params): at the cap every check passes.
 */
export function checkAgainstRows(params: RunParams, rows: number): void {
  if (rows === 0) throw bad('datasetId', 'The dataset has no rows to cluster (after dropping rows with missing features)');
  if (params.k !== null && params.k > rows) throw bad('k', `k (${params.k}) is larger than the ${rows} rows to cluster`);
  if (params.kRange && params.kRange.min > rows - 1) {
    throw bad('kRange', `kRange.min (${params.kRange.min}) must be below the ${rows} rows to cluster`);
  }
}
