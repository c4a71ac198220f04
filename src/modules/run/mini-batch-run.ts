import type { Streamer } from '../../datastore/contracts';
import type { SqlDialect } from '../../datastore/dialects';
import type { RowBatch } from '../../datastore/row-batch';
import { AppError } from '../../errors/app-error';
import { SeededRandom } from '../../shared/seeded-random';
import {
  centroidScores,
  createMatrix,
  DEFAULT_SEEDING_SAMPLE_SIZE,
  MiniBatchKMeans,
  assertValidK,
  prepareRow,
  RunCancelledError,
  sampleIndexes,
  silhouette,
  StreamingPreparation,
  unscaleCentroids,
  type IterationEvent,
  type ModelingJobOutput,
} from '../modeling/model';
import { addKeys, addNonNumbers, orderedReadOf } from './dataset-reader';
import { EntityKeyBuilder, type EntityKeys } from './entity-keys';
import type { RunParams } from './run.record';

/** The final pass's scores are computed on a seeded sample of this many clustered rows (the silhouette on 2,000 of them). */
export const MINI_BATCH_SCORE_SAMPLE = DEFAULT_SEEDING_SAMPLE_SIZE;

export interface MiniBatchHooks {
  readonly shouldCancel: () => boolean;
  /** After each read batch: the pass (0 statistics, 1… updates, then the assigning pass), its rows so far, the rows a pass reads (null in pass 0). */
  readonly onRows?: (pass: number, rowsRead: number, rowsPerPass: number | null) => void;
  readonly onPass?: (event: IterationEvent & { readonly k: number }) => void;
}

/** What a MINI_BATCH run computed: the model's results, and per clustered row (in key order) its cluster, distance and key. */
export interface MiniBatchResult extends Pick<ModelingJobOutput, 'centroidsScaled' | 'centroidsOriginal' | 'clusterSizes' | 'metrics' | 'preparation'> {
  readonly kSelection: null;
  readonly assignments: Int32Array;
  readonly distances: Float64Array;
  readonly keys: EntityKeys;
  /** In each feature, the values of the statistics pass that were no numbers (text in a SQLite column), taken as NULL. */
  readonly nonNumeric: readonly number[];
  readonly timings: { readonly readMs: number; readonly prepareMs: number; readonly clusterMs: number; readonly scoreMs: number };
}

/**
 * Mini-batch k-means over a table read in passes, never held whole: pass 0 takes the column statistics
 * (the scaling) and a seeded sample for k-means++; then up to maxIterations passes of mini-batch
 * updates, stopping early once a pass moves no centre more than the tolerance (squared); a last pass
 * assigns every row, computes the inertia, and keeps each row's cluster, distance and key (12 bytes and
 * a compact key a row, against 8 bytes a feature for the table) plus a sample for the scores.
 */
export async function runMiniBatch(
  streamer: Streamer,
  dialect: SqlDialect,
  params: RunParams,
  batchRows: number,
  hooks: MiniBatchHooks,
): Promise<MiniBatchResult> {
  const read = orderedReadOf(params, dialect);
  const columns = params.featureColumns.length;
  const keyCount = params.keyColumns.length;
  const k = params.k!;
  const batchSize = params.batchSize!;
  const label = (j: number) => `"${params.featureColumns[j]}"`;
  const random = new SeededRandom(params.seed);
  let block = new Float64Array(0);

  // One pass over the table: each batch's features as a row-major block, handed over row by row.
  const pass = async (index: number, rowsPerPass: number | null, onBatch: (block: Float64Array, batch: RowBatch) => void) => {
    let rows = 0;
    await streamer.streamOrdered(read, batchRows, (batch) => {
      if (hooks.shouldCancel()) throw new RunCancelledError();
      if (block.length < batch.length * columns) block = new Float64Array(batch.length * columns);
      for (let column = 0; column < columns; column++) batch.copyNumbers(keyCount + column, block, column, columns);
      onBatch(block, batch);
      rows += batch.length;
      hooks.onRows?.(index, rows, rowsPerPass);
    });
    return rows;
  };

  // Pass 0: statistics, and a reservoir sample (seeded) of the rows that will be clustered, for the initial centres.
  let started = performance.now();
  const statistics = new StreamingPreparation(columns, label);
  const sampleSize = Math.max(3 * batchSize, 3 * k);
  const reservoir = new Float64Array(sampleSize * columns);
  let eligible = 0;
  const nonNumeric = new Array<number>(columns).fill(0);
  await pass(0, null, (values, batch) => {
    addNonNumbers(batch, keyCount, nonNumeric);
    for (let row = 0; row < batch.length; row++) {
      const complete = statistics.add(values, row * columns);
      if (!complete && params.preparation.missing === 'DROP') continue;
      const slot = eligible < sampleSize ? eligible : random.integer(eligible + 1);
      if (slot < sampleSize) reservoir.set(values.subarray(row * columns, (row + 1) * columns), slot * columns);
      eligible += 1;
    }
  });
  const { columnStats, scaling, rowsRead, rowsKept } = statistics.finish(params.preparation);
  // As LLOYD refuses it: fewer rows than clusters would leave clusters without a centre.
  assertValidK(k, rowsKept);
  const readMs = performance.now() - started;

  started = performance.now();
  const sampled = Math.min(sampleSize, eligible);
  const sample = new Float64Array(sampled * columns);
  for (let row = 0; row < sampled; row++) {
    prepareRow(reservoir, row * columns, sample.subarray(row * columns, (row + 1) * columns), params.preparation, columnStats, scaling, label);
  }
  const model = new MiniBatchKMeans(k, columns, batchSize, params.seed + 1);
  model.initialize(createMatrix(sample, sampled, columns), params.initialization);
  const prepareMs = performance.now() - started;

  started = performance.now();
  const prepared = new Float64Array(columns);
  let passes = 0;
  let converged = false;
  while (passes < params.maxIterations && !converged) {
    passes += 1;
    await pass(passes, rowsRead, (values, batch) => {
      for (let row = 0; row < batch.length; row++) {
        if (prepareRow(values, row * columns, prepared, params.preparation, columnStats, scaling, label)) model.add(prepared);
      }
    });
    const figures = model.endPass();
    converged = figures.centroidShift <= params.tolerance;
    hooks.onPass?.({
      k,
      restart: 0,
      iteration: passes,
      centroidShift: figures.centroidShift,
      inertia: figures.inertia,
      clusterSizes: Array.from(model.counts),
    });
  }
  const clusterMs = performance.now() - started;

  // The assigning pass: every clustered row's cluster and distance, the inertia, and a sample for the scores.
  started = performance.now();
  const assignments = new Int32Array(rowsKept);
  const distances = new Float64Array(rowsKept);
  const keys = new EntityKeyBuilder();
  const clusterSizes: number[] = Array.from({ length: k }, () => 0);
  const scoreRows = sampleIndexes(rowsKept, MINI_BATCH_SCORE_SAMPLE, new SeededRandom(params.seed + 2));
  const scoreValues = new Float64Array(scoreRows.length * columns);
  const scoreAssignments = new Int32Array(scoreRows.length);
  let nextScored = 0;
  let inertia = 0;
  let kept = 0;
  const keptInBatch: boolean[] = [];
  await pass(passes + 1, rowsRead, (values, batch) => {
    keptInBatch.length = 0;
    for (let row = 0; row < batch.length; row++) {
      const clustered = prepareRow(values, row * columns, prepared, params.preparation, columnStats, scaling, label);
      keptInBatch.push(clustered);
      if (!clustered) continue;
      if (kept === rowsKept) throw new AppError('CONFLICT', `Table "${params.table}" gained rows while the MINI_BATCH run read it in passes; run it again`);
      const { cluster, squaredDistance } = model.nearest(prepared);
      assignments[kept] = cluster;
      distances[kept] = Math.sqrt(squaredDistance);
      clusterSizes[cluster]! += 1;
      inertia += squaredDistance;
      if (scoreRows[nextScored] === kept) {
        scoreValues.set(prepared, nextScored * columns);
        scoreAssignments[nextScored] = cluster;
        nextScored += 1;
      }
      kept += 1;
    }
    addKeys(batch, keyCount, keys, (row) => keptInBatch[row]!);
  });
  if (kept !== rowsKept) throw new AppError('CONFLICT', `Table "${params.table}" lost rows while the MINI_BATCH run read it in passes; run it again`);
  const centres = model.centresAsArrays();
  const scoreMatrix = createMatrix(scoreValues, scoreRows.length, columns);
  const silhouetteResult = silhouette(scoreMatrix, scoreAssignments, k, { seed: params.seed });
  const scoreMs = performance.now() - started;
  return {
    assignments,
    distances,
    keys,
    centroidsScaled: centres,
    centroidsOriginal: unscaleCentroids(centres, scaling),
    clusterSizes,
    kSelection: null,
    metrics: {
      inertia,
      silhouette: silhouetteResult.value,
      silhouetteSampled: silhouetteResult.sampled || scoreRows.length < rowsKept,
      silhouetteSampleSize: silhouetteResult.sampleSize,
      // On the score sample, not every row (see MINI_BATCH_SCORE_SAMPLE).
      ...centroidScores(scoreMatrix, scoreAssignments, centres),
      iterations: passes,
      converged,
    },
    preparation: { rowsRead, rowsDropped: rowsRead - rowsKept, columnStats, scaling },
    nonNumeric,
    timings: { readMs, prepareMs, clusterMs, scoreMs },
  };
}
