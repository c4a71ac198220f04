import { ModelInputError } from './errors';
import { LLOYD_ENGINE, type KMeansEngine, type KMeansEngineJob } from './kmeans-engine';
import {
  assertClusterable,
  runKMeansWith,
  validateKMeansOptions,
  withEngineJob,
  type IterationEvent,
  type KMeansOptions,
  type KMeansRunResult,
  type RunHooks,
} from './kmeans-runner';
import type { Matrix } from './matrix';
import { centroidScores, silhouette } from './scores';

// k-means for each k in [min, max], one k chosen by the highest silhouette. Every k runs with the same
// options and seed (so the chosen run is what runKMeans gives for that k) and is scored on the same row
// sample (so the scores compare). A range wider than MAX_K_RANGE_WIDTH is refused rather than shortened,
// which could change the answer silently; max is capped at rows − 1 (the silhouette needs fewer
// clusters than rows, and the caller cannot know the row count before preparation).

export const MAX_K_RANGE_WIDTH = 12;

export interface SelectKOptions extends Omit<KMeansOptions, 'k'> {
  readonly min: number;
  readonly max: number;
  /** Rows used for the silhouette (default 2000, exact below that). */
  readonly silhouetteSampleSize?: number;
}

export interface KScore {
  readonly k: number;
  readonly inertia: number;
  readonly silhouette: number | null;
  readonly daviesBouldin: number | null;
  readonly calinskiHarabasz: number | null;
  readonly iterations: number;
  readonly converged: boolean;
}

export interface SelectKHooks {
  readonly onIteration?: (event: IterationEvent & { readonly k: number }) => void;
  readonly onKEvaluated?: (score: KScore) => void;
  readonly shouldCancel?: () => boolean;
}

/** Every rule that can choose k, as KSelection.rule reports it. */
export const K_SELECTION_RULES = {
  MAX_SILHOUETTE:
    'The k with the highest silhouette; on an exact tie the smaller k; a k whose silhouette is undefined (null) is never preferred, and if every value is null the smallest k is chosen.',
} as const;

export type KSelectionRule = keyof typeof K_SELECTION_RULES;

export interface SelectKResult {
  readonly scores: KScore[];
  readonly chosenK: number;
  readonly rule: KSelectionRule;
  /** The k actually evaluated. */
  readonly evaluatedRange: { readonly min: number; readonly max: number };
  readonly maxCappedByRows: boolean;
  /** The full result of the run for chosenK. */
  readonly run: KMeansRunResult;
}

export function selectK(matrix: Matrix, options: SelectKOptions, hooks: SelectKHooks = {}, engine: KMeansEngine = LLOYD_ENGINE): SelectKResult {
  const { min, max, silhouetteSampleSize, ...runOptions } = options;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 2 || max < min) {
    throw new ModelInputError('INVALID_K_RANGE', `the k range must be integers with 2 ≤ min ≤ max, got ${min}..${max}`);
  }
  if (max - min + 1 > MAX_K_RANGE_WIDTH) {
    throw new ModelInputError('K_RANGE_TOO_WIDE', `the k range ${min}..${max} has ${max - min + 1} values; at most ${MAX_K_RANGE_WIDTH} are allowed`);
  }
  const lastK = Math.min(max, matrix.rows - 1);
  if (min > lastK) {
    throw new ModelInputError('INVALID_K_RANGE', `k from ${min} needs at least ${min + 1} rows, but there are ${matrix.rows}`);
  }
  validateKMeansOptions({ ...runOptions, k: min }, matrix.rows);
  assertClusterable(matrix);

  // One engine job (its helper threads) serves every k.
  return withEngineJob(engine, matrix, runOptions, (job) => selectKWith(job, matrix, lastK, options, hooks));
}

function selectKWith(job: KMeansEngineJob, matrix: Matrix, lastK: number, options: SelectKOptions, hooks: SelectKHooks): SelectKResult {
  const { min, max, silhouetteSampleSize, ...runOptions } = options;
  const silhouetteSeed = (runOptions.seed ^ 0x9e3779b9) >>> 0; // decorrelated from the restart seeds
  const scores: KScore[] = [];
  let chosen: { score: KScore; run: KMeansRunResult } | undefined;
  for (let k = min; k <= lastK; k++) {
    const runHooks: RunHooks = {
      shouldCancel: hooks.shouldCancel,
      onIteration: hooks.onIteration && ((event) => hooks.onIteration!({ ...event, k })),
    };
    const run = runKMeansWith(job, matrix, { ...runOptions, k }, runHooks);
    const score: KScore = {
      k,
      inertia: run.inertia,
      silhouette: silhouette(matrix, run.assignments, k, { sampleSize: silhouetteSampleSize, seed: silhouetteSeed }).value,
      ...centroidScores(matrix, run.assignments, run.centroids),
      iterations: run.iterations,
      converged: run.converged,
    };
    scores.push(score);
    hooks.onKEvaluated?.(score);
    // Only the best run is kept, so memory does not grow with the range.
    if (!chosen || (score.silhouette ?? -Infinity) > (chosen.score.silhouette ?? -Infinity)) chosen = { score, run };
  }
  return {
    scores,
    chosenK: chosen!.score.k,
    rule: 'MAX_SILHOUETTE',
    evaluatedRange: { min, max: lastK },
    maxCappedByRows: lastK < max,
    run: chosen!.run,
  };
}
