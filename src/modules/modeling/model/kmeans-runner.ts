import { SeededRandom } from '../../../shared/seeded-random';
import { ModelInputError, RunCancelledError } from './errors';
import { kMeansPlusPlusInitialization, randomRowsInitialization } from './initialization';
import { LLOYD_ENGINE, type KMeansEngine, type KMeansEngineJob, type KMeansIteration } from './kmeans-engine';
import { DEFAULT_KMEANS_THREADS, MAX_KMEANS_THREADS } from './lloyd-threads';
import { squaredDistanceToPoint, type Matrix } from './matrix';

// One k-means run over a prepared matrix: seeded restarts, each iterated by an engine step by step so
// that every iteration is observed and cancellation is checked between iterations. As in ml-kmeans, the
// result is the last iteration's assignments and the means of exactly those rows (no final
// re-assignment), so it equals ml-kmeans' kmeans() from the same initial centroids (with the Lloyd
// engine: bit for bit up to one chunk of rows, within the rounding of its sums beyond: lloyd.ts).

export type InitializationMethod = 'KMEANS_PLUS_PLUS' | 'RANDOM';

export const MAX_N_INIT = 50;
export const MAX_ITERATIONS_LIMIT = 10_000;
export const DEFAULT_SEEDING_SAMPLE_SIZE = 10_000;
/** Larger magnitudes could overflow squared distances to Infinity and break ml-kmeans' nearest search. */
export const MAX_ABS_VALUE = 1e150;

export interface KMeansOptions {
  readonly k: number;
  readonly initialization: InitializationMethod;
  /** Number of restarts (1..50), each from different initial centroids; the lowest inertia wins. */
  readonly nInit: number;
  /** Per restart, 1..10000. */
  readonly maxIterations: number;
  /** ≥ 0; bound on each centroid's SQUARED movement in one iteration, absolute, as ml-kmeans (not relative to the variance, as scikit-learn); 0 runs until none moves. */
  readonly tolerance: number;
  /** uint32; the whole run is a function of (matrix, options). */
  readonly seed: number;
  /** k-means++ seeds on a uniform sample of at most this many rows (default 10,000). */
  readonly seedingSampleSize?: number;
  /** Threads of the engine, 1..MAX_KMEANS_THREADS (default DEFAULT_KMEANS_THREADS); any count gives the same result. */
  readonly threads?: number;
}

export interface IterationEvent {
  /** 0-based restart index. */
  readonly restart: number;
  /** 1-based iteration within the restart. */
  readonly iteration: number;
  /** The largest SQUARED Euclidean distance a centroid moved in this iteration: the quantity ml-kmeans compares with tolerance. */
  readonly centroidShift: number;
  /** Inertia of this iteration's assignments around this iteration's (updated) centroids. Never increases within a restart, up to rounding. */
  readonly inertia: number;
  readonly clusterSizes: number[];
}

export interface RunHooks {
  readonly onIteration?: (event: IterationEvent) => void;
  /** Polled before each restart and after each iteration; true → RunCancelledError. */
  readonly shouldCancel?: () => boolean;
}

export interface KMeansRunResult {
  /** Cluster index (0..k-1) of each matrix row. */
  readonly assignments: Int32Array;
  /** k centroids in SCALED units (use unscaleCentroids for original units). */
  readonly centroids: number[][];
  /** The initial centroids of the winning restart (scaled units), to reproduce it. */
  readonly initialCentroids: number[][];
  /** Euclidean (not squared) distance of each row to its centroid. */
  readonly distances: Float64Array;
  /**
   * Total within-cluster sum of squared Euclidean distances (scikit-learn's `inertia_`). Computed
   * here: ml-kmeans' computeInformation() `error` is, per cluster, the MEAN of the distance function
   * (squared Euclidean by default) over its rows, -1 when empty — not a total, so not usable as inertia.
   */
  readonly inertia: number;
  /** Iterations of the winning restart. */
  readonly iterations: number;
  /** Whether the winning restart met the tolerance before maxIterations. */
  readonly converged: boolean;
  /** Rows per cluster; can contain 0 when a centroid lost all its rows (e.g. fewer distinct points than k). */
  readonly clusterSizes: number[];
  readonly restartInertias: number[];
  /** 0-based index of the restart kept: the lowest inertia, the earliest on a tie. */
  readonly bestRestart: number;
}

/** `engine`: what iterates; default LLOYD_ENGINE, the server's (kmeans-engine.ts). */
export function runKMeans(matrix: Matrix, options: KMeansOptions, hooks: RunHooks = {}, engine: KMeansEngine = LLOYD_ENGINE): KMeansRunResult {
  validateKMeansOptions(options, matrix.rows);
  assertClusterable(matrix);
  return withEngineJob(engine, matrix, options, (job) => runKMeansWith(job, matrix, options, hooks));
}

/** Runs `body` with the engine opened for this matrix, and closes it whatever happens. */
export function withEngineJob<T>(engine: KMeansEngine, matrix: Matrix, options: Pick<KMeansOptions, 'threads'>, body: (job: KMeansEngineJob) => T): T {
  const job = engine.open(matrix, options.threads ?? DEFAULT_KMEANS_THREADS);
  try {
    return body(job);
  } finally {
    job.close();
  }
}

/** The run itself, on an opened engine. Callers must have validated the options and the matrix. */
export function runKMeansWith(job: KMeansEngineJob, matrix: Matrix, options: KMeansOptions, hooks: RunHooks): KMeansRunResult {
  // Restart r uses the r-th number drawn from the run seed, so restart r is the same whatever nInit.
  const seeder = new SeededRandom(options.seed);
  const restartSeeds = Array.from({ length: options.nInit }, () => seeder.integer(2 ** 32));

  let best: (RestartOutcome & { bestRestart: number }) | undefined;
  const restartInertias: number[] = [];
  for (const [restart, restartSeed] of restartSeeds.entries()) {
    const outcome = runRestart(job, matrix, options, restart, new SeededRandom(restartSeed), hooks);
    restartInertias.push(outcome.inertia);
    if (!best || outcome.inertia < best.inertia) best = { ...outcome, bestRestart: restart };
  }
  return { ...best!, restartInertias };
}

type RestartOutcome = Omit<KMeansRunResult, 'restartInertias' | 'bestRestart'>;

function runRestart(job: KMeansEngineJob, matrix: Matrix, options: KMeansOptions, restart: number, random: SeededRandom, hooks: RunHooks): RestartOutcome {
  throwIfCancelled(hooks);
  const { k } = options;
  const initialCentroids =
    options.initialization === 'RANDOM'
      ? randomRowsInitialization(matrix, k, random)
      : kMeansPlusPlusInitialization(matrix, k, random, options.seedingSampleSize ?? DEFAULT_SEEDING_SAMPLE_SIZE);

  const { maxIterations, tolerance } = options;
  const steps = job.iterate(initialCentroids, { maxIterations, tolerance, measureEachStep: hooks.onIteration !== undefined });
  let previous = initialCentroids;
  let last: KMeansIteration | undefined;
  for (const step of steps) {
    last = step;
    if (hooks.onIteration) {
      const { inertia, clusterSizes } = step.measured ?? measure(matrix, step.clusters, step.centroids);
      hooks.onIteration({ restart, iteration: step.iterations, centroidShift: largestShift(previous, step.centroids), inertia, clusterSizes });
    }
    previous = step.centroids;
    throwIfCancelled(hooks); // leaving the loop by throwing also closes the generator
  }
  if (!last) throw new Error('unreachable: the engine ran no iteration although maxIterations >= 1');

  const assignments = Int32Array.from(last.clusters);
  const { inertia, clusterSizes, squaredDistances } = measure(matrix, assignments, last.centroids);
  // The distances in place of their squares: one rows-long array less at the run's peak (80 MB at 10M rows).
  const distances = squaredDistances;
  for (let i = 0; i < distances.length; i++) distances[i] = Math.sqrt(distances[i]!);
  return {
    assignments,
    centroids: last.centroids,
    initialCentroids,
    distances,
    inertia,
    iterations: last.iterations,
    converged: last.converged,
    clusterSizes,
  };
}

/** Inertia, cluster sizes and per-row squared distances of an assignment around given centroids. */
function measure(matrix: Matrix, assignments: ArrayLike<number>, centroids: number[][]) {
  const squaredDistances = new Float64Array(matrix.rows);
  const clusterSizes = new Array<number>(centroids.length).fill(0);
  let inertia = 0;
  for (let i = 0; i < matrix.rows; i++) {
    const cluster = assignments[i]!;
    const d = squaredDistanceToPoint(matrix, i, centroids[cluster]!);
    squaredDistances[i] = d;
    inertia += d;
    clusterSizes[cluster]!++;
  }
  return { inertia, clusterSizes, squaredDistances };
}

function largestShift(before: number[][], after: number[][]): number {
  let largest = 0;
  before.forEach((centroid, c) => {
    let sum = 0;
    centroid.forEach((v, j) => (sum += (v - after[c]![j]!) ** 2));
    largest = Math.max(largest, sum);
  });
  return largest;
}

function throwIfCancelled(hooks: RunHooks): void {
  if (hooks.shouldCancel?.()) throw new RunCancelledError();
}

/** k must be an integer from 2 to the rows to cluster: INVALID_K otherwise (LLOYD here, MINI_BATCH once its pass has counted the rows). */
export function assertValidK(k: number, rows: number): void {
  if (!Number.isInteger(k) || k < 2 || k > rows) {
    throw new ModelInputError('INVALID_K', `k must be an integer from 2 to the number of rows (${rows}), got ${k}`);
  }
}

/** Rejects options outside their documented ranges with ModelInputError (the service's BAD_USER_INPUT). */
export function validateKMeansOptions(options: KMeansOptions, rows: number): void {
  const { k, nInit, maxIterations, tolerance, seed, seedingSampleSize, initialization, threads } = options;
  assertValidK(k, rows);
  const checks: [boolean, string][] = [
    [initialization === 'KMEANS_PLUS_PLUS' || initialization === 'RANDOM', `initialization must be KMEANS_PLUS_PLUS or RANDOM, got ${String(initialization)}`],
    [isIntegerIn(nInit, 1, MAX_N_INIT), `nInit must be an integer from 1 to ${MAX_N_INIT}, got ${nInit}`],
    [isIntegerIn(maxIterations, 1, MAX_ITERATIONS_LIMIT), `maxIterations must be an integer from 1 to ${MAX_ITERATIONS_LIMIT}, got ${maxIterations}`],
    [Number.isFinite(tolerance) && tolerance >= 0, `tolerance must be a finite number ≥ 0, got ${tolerance}`],
    [isIntegerIn(seed, 0, 2 ** 32 - 1), `seed must be an unsigned 32-bit integer, got ${seed}`],
    [
      seedingSampleSize === undefined || isIntegerIn(seedingSampleSize, 1, Number.MAX_SAFE_INTEGER),
      `seedingSampleSize must be a positive integer, got ${seedingSampleSize}`,
    ],
    [threads === undefined || isIntegerIn(threads, 1, MAX_KMEANS_THREADS), `threads must be an integer from 1 to ${MAX_KMEANS_THREADS}, got ${threads}`],
  ];
  for (const [ok, message] of checks) if (!ok) throw new ModelInputError('INVALID_OPTION', message);
}

/** The matrix must hold only finite values of magnitude ≤ MAX_ABS_VALUE (prepare() rejects NaN/±Infinity earlier). */
export function assertClusterable(matrix: Matrix): void {
  const { values, columns } = matrix;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(Math.abs(v) <= MAX_ABS_VALUE)) {
      throw new ModelInputError(
        'NON_FINITE_VALUE',
        `row ${Math.floor(i / columns)}, column ${i % columns} holds ${v}: values must be finite and at most ${MAX_ABS_VALUE} in magnitude`,
      );
    }
  }
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
