import type { Datastore } from '../../datastore/datastore';
import { AppError } from '../../errors/app-error';
import type { Logger } from '../../logging/logger';
import { ModelInputError, RunCancelledError, type ModelingJobOutput } from '../modeling/model';
import { runInWorker, type WorkerJob } from '../modeling/worker/run-in-worker';
import { DEFAULT_OUTCOME_TABLE } from '../outcome/outcome-table';
import type { DatasetRecord } from '../dataset/dataset.record';
import type { DatasetService } from '../dataset/dataset.service';
import type { AssignmentRepository } from './assignment.repository';
import type { AssignmentColumns } from './assignment-chunk-codec';
import { integerKeyOrder, keyOrder, pickRows } from './assignment-order';
import type { EntityKeys } from './entity-keys';
import { runMiniBatch } from './mini-batch-run';
import { readFeatureTable, type FeatureTable } from './dataset-reader';
import type { OutcomePublisher } from '../outcome/outcome-publisher';
import { retryWhileUnavailable } from '../../shared/retry-while-unavailable';
import type { IterationRecord, ModelRunRecord, PhaseTimings, PreparationRecord, RunProgress } from './run.record';
import { RunProgressPlan } from './run-progress';
import { preparationRecord } from './run-preparation';
import type { RunRepository } from './run.repository';
import { failureOf } from './run-failure';
import type { RunEvents } from './run.events';
import type { RunTracer } from './run.tracer';
import { logFailure } from '../../logging/log-failure';
import { leadingCharacters } from '../../shared/character-count';

/** Per-iteration records kept with a run; beyond this the record is cut (the count says so). */
export const MAX_RECORDED_ITERATIONS = 5_000;
// Progress is written to the database (and announced) this often, and whenever the fraction has grown
// by PROGRESS_STEP since it last was: at most 1 / PROGRESS_STEP writes more in a run, however fast.
const PROGRESS_INTERVAL_MS = 250;
const PROGRESS_STEP = 0.05;

export interface ExecutorDependencies {
  readonly datastore: Datastore;
  readonly runs: RunRepository;
  readonly assignments: AssignmentRepository;
  /** Locks a dataset's row in a transaction (DatasetService.lock); counts values that are not numbers. */
  readonly datasets: Pick<DatasetService, 'lock'>;
  readonly publisher: OutcomePublisher;
  readonly logger: Logger;
  readonly readBatchRows: number;
  /** Connections the dataset is read on side by side (readFeatureTable's parts). */
  readonly readConnections?: number;
  /** RUN_TIMEOUT_MS: how long an attempt may read and compute before it is stopped (RUN_TIMEOUT); 0 or absent, no limit. */
  readonly timeoutMs?: number;
  /** Where the executor reports a run's changes and its ending (the service listens). */
  readonly events: RunEvents;
  readonly tracer: RunTracer;
}

/**
 * Executes one run: QUEUED → RUNNING, read the dataset in batches, compute on a worker thread (LLOYD;
 * MINI_BATCH computes here, a batch at a time between reads), then in one transaction store the
 * assignments (in key-ordered chunks) and the results and mark the run SUCCEEDED (if it fails,
 * nothing of it remains and the run is FAILED with the reason). When asked, the outcomes are then
 * published in a transaction of their own (OutcomePublisher): a failure there leaves the run SUCCEEDED
 * with its publishError. Subscribers and the trace hear of the ending once publishing is over.
 */
export class RunExecutor {
  private readonly jobs = new Map<string, WorkerJob>();
  /** The runs executing in this process, from their read on (a MINI_BATCH run never has a job). */
  private readonly executing = new Set<string>();
  private readonly cancelRequested = new Set<string>();
  private stopping = false;

  constructor(private readonly dependencies: ExecutorDependencies) {}

  /** The server is shutting down: recording a run's end is no longer retried (the service fails the run itself). */
  stop(): void {
    this.stopping = true;
    this.dependencies.publisher.stop();
  }

  /** Asks a run this process is executing to stop; true if it is executing here. */
  cancel(runId: string): boolean {
    this.cancelRequested.add(runId);
    const job = this.jobs.get(runId);
    job?.cancel();
    return job !== undefined;
  }

  /** Executes a run this process claimed from the queue (RunRepository.claim made it RUNNING and its own). */
  async execute(run: ModelRunRecord, dataset: DatasetRecord): Promise<void> {
    const { logger } = this.dependencies;
    const now = () => new Date();
    const log = logger.child({ runId: run.id, datasetId: run.datasetId, attempt: run.attempts });
    this.dependencies.tracer.running(run, dataset.name);
    await this.dependencies.events.emit('changed', run.id);
    // Whether this executor wrote the run's terminal state. A cancel or a shutdown writes it in the
    // service, which traces the ending itself (traced here too, it would be traced twice).
    let endedHere = false;
    this.executing.add(run.id);
    const timeoutMs = this.dependencies.timeoutMs ?? 0;
    const deadline = new AttemptDeadline(timeoutMs, () => this.cancel(run.id));
    try {
      await this.compute(run, dataset, now, deadline);
      endedHere = true;
      log.info('model run succeeded');
    } catch (caught) {
      // Stopped by its deadline: FAILED with RUN_TIMEOUT, at shutdown too (a run given back first is no
      // longer this process's, and the write changes nothing).
      const error =
        caught instanceof RunCancelledError && deadline.passed
          ? new AppError('RUN_TIMEOUT', `The run was stopped after RUN_TIMEOUT_MS (${timeoutMs} ms) while it was still reading or computing`)
          : caught;
      endedHere = await this.recordUnsuccessfulEnd(run, error, now, log);
      // A cancel is what a caller asked for: no failure to alert on. At shutdown RunLifecycle.stop has
      // given the run back (or failed it on its last attempt) and logged that: this is only the stop.
      if (error instanceof RunCancelledError) log.info(this.stopping ? 'model run stopped here at shutdown' : 'model run cancelled');
      else logFailure(log, 'warn', error, {}, 'model run did not succeed');
    } finally {
      deadline.clear();
      this.executing.delete(run.id);
      this.jobs.delete(run.id);
      this.cancelRequested.delete(run.id);
      // Subscribers to this process hear of the ending either way.
      await (endedHere ? this.dependencies.events.emit('ended', run.id, dataset.name) : this.dependencies.events.emit('changed', run.id));
    }
  }

  private async compute(run: ModelRunRecord, dataset: DatasetRecord, now: () => Date, deadline: AttemptDeadline): Promise<void> {
    const { datastore } = this.dependencies;
    const params = run.params;
    if (params.algorithm === 'MINI_BATCH') return this.computeMiniBatch(run, dataset, now, deadline);
    const cancelled = () => this.cancelRequested.has(run.id);

    const ks = params.kRange ? params.kRange.max - params.kRange.min + 1 : 1;
    const budget = params.maxIterations * params.nInit * ks;
    const iterations: IterationRecord[] = [];
    let iterationsSeen = 0;
    let lastShift: number | null = null;
    let rowsRead = 0;
    let rowsPerSecond: number | null = null;
    const progress = new ProgressWriter((fraction) =>
      this.recordProgress(run, { iteration: Math.min(iterationsSeen, budget), maxIterations: budget, lastShift, fraction, rowsRead, rowsPerSecond }, now()),
    );

    const phaseStarted = performance.now();
    const onRows = (rows: number) => {
      rowsRead = rows;
      rowsPerSecond = rows / Math.max(1e-3, (performance.now() - phaseStarted) / 1000);
      // The fraction stands still while reading: the writer's interval alone paces these writes.
      progress.offer(0);
    };
    // Held in a box the executor empties once the worker has the matrix (below).
    const read: { table?: FeatureTable } = {};
    read.table = await readFeatureTable(
      datastore,
      datastore.dialect,
      params,
      this.dependencies.readBatchRows,
      { shouldCancel: cancelled, onRows },
      this.dependencies.readConnections ?? 1,
    );
    const readMs = performance.now() - phaseStarted;
    // Where numeric columns can hold text (SQLite), the read gives such values as NULL and counts them.
    const { keys, rows, columns, nonNumeric } = read.table;
    if (rows === 0) throw new ModelInputError('EMPTY_INPUT', `table "${params.table}" has no rows`);
    onRows(rows);

    const plan = new RunProgressPlan(params, rows);
    progress.offer(plan.afterRead(), true);
    const job = runInWorker(
      // The worker prepares the read matrix in place: it is shared, and nothing here reads it again.
      { values: read.table.values, valuesMemory: read.table.memory, rows, columns, columnNames: params.featureColumns, params, valuesOwned: true },
      {
        onKEvaluated: (score) => {
          this.dependencies.tracer.kEvaluated(run, score);
          progress.offer(plan.afterK(score.k));
        },
        onIteration: (event) => {
          this.dependencies.tracer.iteration(run, event);
          iterationsSeen += 1;
          lastShift = event.centroidShift;
          if (iterations.length < MAX_RECORDED_ITERATIONS) iterations.push({ ...event });
          progress.offer(plan.atIteration(event.k, event.restart, event.iteration));
        },
      },
    );
    // Let go of the matrix: the worker holds it while it computes, and it can be freed once that ends.
    read.table = undefined;
    this.jobs.set(run.id, job);
    if (cancelled()) job.cancel();
    const output = await job.result;
    progress.offer(plan.beforeSave(), true);
    // No progress write may overlap the final transaction (SQLite has one writer).
    await progress.settled();
    const preparation = preparationRecord(output.preparation, params.featureColumns, nonNumeric);
    this.dependencies.tracer.preparation(run, { ...preparation, readMs, prepareMs: output.timings.prepareMs });

    // Returned, not awaited: this frame, which holds the job's output and the keys, ends here, so the
    // save and publish keep only the sorted assignments and the results (10M rows: about 200 MB less).
    return this.finish(run, dataset, now, deadline, {
      output: storedResultsOf(output),
      preparation,
      iterations,
      iterationsSeen,
      timings: { readMs, ...output.timings },
      assignments: assignmentsInKeyOrder(keys, output.assignments, output.distances, output.keptRowIndexes),
    });
  }

  /**
   * A MINI_BATCH run: passes over the table (runMiniBatch) on this thread, a batch's work at a time
   * between reads, so the event loop keeps answering; then stored as a LLOYD run is.
   */
  private async computeMiniBatch(run: ModelRunRecord, dataset: DatasetRecord, now: () => Date, deadline: AttemptDeadline): Promise<void> {
    const { datastore } = this.dependencies;
    const params = run.params;
    const iterations: IterationRecord[] = [];
    let iterationsSeen = 0;
    let lastShift: number | null = null;
    let rowsRead = 0;
    let rowsPerSecond: number | null = null;
    let passStarted = performance.now();
    let currentPass = -1;
    const progress = new ProgressWriter((fraction) =>
      this.recordProgress(run, { iteration: iterationsSeen, maxIterations: params.maxIterations, lastShift, fraction, rowsRead, rowsPerSecond }, now()),
    );
    // The statistics pass, each pass of updates, the assigning pass: equal shares; within a pass, by rows read.
    const passes = params.maxIterations + 2;
    const result = await runMiniBatch(datastore, datastore.dialect, params, this.dependencies.readBatchRows, {
      shouldCancel: () => this.cancelRequested.has(run.id),
      onRows: (pass, rows, rowsPerPass) => {
        if (pass !== currentPass) {
          currentPass = pass;
          passStarted = performance.now();
        }
        rowsRead = rows;
        rowsPerSecond = rows / Math.max(1e-3, (performance.now() - passStarted) / 1000);
        const within = rowsPerPass ? Math.min(1, rows / rowsPerPass) : 0;
        progress.offer(Math.max(0, (Math.min(pass, passes - 1) + within) / passes - 1e-9));
      },
      onPass: (event) => {
        this.dependencies.tracer.iteration(run, event);
        iterationsSeen += 1;
        lastShift = event.centroidShift;
        if (iterations.length < MAX_RECORDED_ITERATIONS) iterations.push({ ...event });
      },
    });
    progress.offer(1 - 1e-9, true);
    await progress.settled();
    const preparation = preparationRecord(result.preparation, params.featureColumns, result.nonNumeric);
    this.dependencies.tracer.preparation(run, { ...preparation, readMs: result.timings.readMs, prepareMs: result.timings.prepareMs });
    // Returned, not awaited, as in compute(): the pass's output and keys are let go before the save.
    return this.finish(run, dataset, now, deadline, {
      output: storedResultsOf(result),
      preparation,
      iterations,
      iterationsSeen,
      timings: result.timings,
      assignments: assignmentsInKeyOrder(result.keys, result.assignments, result.distances, null),
    });
  }

  /**
   * Stores a computed run in one transaction (its assignments, its results, SUCCEEDED), then publishes
   * its outcomes when asked.
   */
  private async finish(run: ModelRunRecord, dataset: DatasetRecord, now: () => Date, deadline: AttemptDeadline, computed: ComputedRun): Promise<void> {
    // Its results are computed: storing and publishing them is not cut short.
    deadline.clear();
    const { datastore, runs } = this.dependencies;
    const { output, preparation, iterations, iterationsSeen, assignments } = computed;
    // The run's finish time is also every published outcome's scored_at and its outcomesPublishedAt,
    // so re-publishing a run writes the same rows: it is taken once the results are computed, before
    // the final writes, whose own times are timings.saveMs and timings.publishMs.
    const finishedAt = now();
    let timings: PhaseTimings | undefined;
    await datastore.transaction(async (transaction) => {
      // The dataset's row first, as deleteDataset locks it: no assignment or outcome for a deleted dataset.
      if (!(await this.dependencies.datasets.lock(run.datasetId, transaction)))
        throw new AppError('CONFLICT', `Dataset ${run.datasetId} was deleted while the run was running`);
      const saveStarted = performance.now();
      await this.dependencies.assignments.saveColumns(run.id, assignments, transaction, true);
      timings = { ...computed.timings, saveMs: performance.now() - saveStarted, publishMs: null };
      const succeeded = await runs.transition(
        run.id,
        ['RUNNING'],
        'SUCCEEDED',
        succeededChanges(output, preparation, iterations, iterationsSeen, timings, finishedAt, run.params.publishOutcomes),
        transaction,
        run.owner ?? undefined,
      );
      // Cancelled (here or by another process), or requeued and claimed elsewhere, while the results
      // were being written: keep nothing.
      if (!succeeded) throw new RunCancelledError();
    });
    if (!run.params.publishOutcomes) return;
    // From memory: the stored chunks are not read back.
    await this.dependencies.publisher.publish({
      runId: run.id,
      source: async (_transaction, write) => {
        await write(assignments);
        return true;
      },
      datasetId: run.datasetId,
      outcomeTable: dataset.outcomeTable ?? DEFAULT_OUTCOME_TABLE,
      scoredAt: finishedAt,
      publishedAt: finishedAt,
      changes: (publishMs) => ({ metrics: JSON.stringify({ ...output.metrics, timings: { ...timings!, publishMs } }) }),
      retryRecording: true,
    });
  }

  private async recordProgress(run: ModelRunRecord, progress: RunProgress, at: Date): Promise<void> {
    const runId = run.id;
    try {
      const stillRunning = await this.dependencies.runs.recordProgress(runId, progress, at, run.owner ?? undefined);
      // Cancelled through another server process, or no longer this process's: stop here too, whether
      // reading, computing on the worker, or passing over the table (MINI_BATCH).
      if (!stillRunning && this.executing.has(runId)) this.cancel(runId);
      else await this.dependencies.events.emit('changed', runId);
    } catch (error) {
      logFailure(this.dependencies.logger, 'warn', error, { runId }, 'could not record run progress');
    }
  }

  /**
   * Records a failed or cancelled ending, retrying while the database cannot be reached (the same
   * outage often failed the run): a run whose end is never recorded stays RUNNING for as long as this
   * process lives, because the heartbeat keeps its owner's runs alive.
   */
  private recordUnsuccessfulEnd(run: ModelRunRecord, error: unknown, now: () => Date, log: Logger): Promise<boolean> {
    return retryWhileUnavailable(
      () => this.finishUnsuccessfully(run, error, now),
      () => this.stopping,
      (recordError, retryInMs) => logFailure(log, 'warn', recordError, { retryInMs }, 'could not record how the model run ended; retrying'),
    );
  }

  /**
   * Writes CANCELLED or FAILED while the run is still this process's; false when it had already ended
   * (cancelled or failed by the service) or was requeued for another process to run.
   */
  private async finishUnsuccessfully(run: ModelRunRecord, error: unknown, now: () => Date): Promise<boolean> {
    const { runs } = this.dependencies;
    const owner = run.owner ?? undefined;
    if (error instanceof RunCancelledError) {
      return runs.transition(run.id, ['RUNNING'], 'CANCELLED', { finished_at: now() }, undefined, owner);
    }
    const { code, message } = failureOf(error);
    return runs.transition(run.id, ['RUNNING'], 'FAILED', { finished_at: now(), error_code: code, error_message: message }, undefined, owner);
  }
}

/**
 * RUN_TIMEOUT_MS for one attempt: when it passes, `onPass` stops the run (RunExecutor.cancel) and
 * `passed` tells its ending from a cancel. Cleared once the results are being stored. 0: none.
 */
class AttemptDeadline {
  private readonly timer: NodeJS.Timeout | undefined;
  private expired = false;

  constructor(timeoutMs: number, onPass: () => void) {
    if (timeoutMs <= 0) return;
    this.timer = setTimeout(() => {
      this.expired = true;
      onPass();
    }, timeoutMs);
  }

  get passed(): boolean {
    return this.expired;
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** What a run computed, as finish stores it. */
interface ComputedRun {
  readonly output: StoredResults;
  readonly preparation: PreparationRecord;
  readonly iterations: readonly IterationRecord[];
  readonly iterationsSeen: number;
  readonly timings: Omit<PhaseTimings, 'saveMs' | 'publishMs'>;
  /** The clustered rows' assignments in key order (compareKeys), as they are stored and published. */
  readonly assignments: AssignmentColumns;
}

type StoredResults = Pick<ModelingJobOutput, 'metrics' | 'kSelection' | 'centroidsScaled' | 'centroidsOriginal' | 'clusterSizes'>;

/** Only the results a run stores, not the per-row arrays beside them in `output`. */
function storedResultsOf(output: StoredResults): StoredResults {
  const { metrics, kSelection, centroidsScaled, centroidsOriginal, clusterSizes } = output;
  return { metrics, kSelection, centroidsScaled, centroidsOriginal, clusterSizes };
}

/**
 * The clustered rows' assignments in key order, as they are stored and published. Row `index`'s key is
 * `keys.keyOf(rowOf[index])` (rows dropped before clustering have none); without `rowOf`,
 * `keys.keyOf(index)`. The keys become strings only here, after the matrix is let go: 10M of them take
 * about 400 MB. Integer keys are put in order from their numbers (integerKeyOrder), without sorting
 * texts. Two rows with one key fail the run (DUPLICATE_KEY): a run stores one assignment per key.
 */
function assignmentsInKeyOrder(keys: EntityKeys, clusters: Int32Array, distances: Float64Array, rowOf: Int32Array | null): AssignmentColumns {
  const rows = clusters.length;
  const rowAt = rowOf ? (index: number) => rowOf[index]! : (index: number) => index;
  // Integer keys (an id column) are ordered from their numbers; before the texts are made, so the
  // ordering's own arrays are let go first.
  const integerOrder = integerKeyOrder(rows, (index) => keys.numberOf(rowAt(index)));
  const texts = new Array<string>(rows);
  for (let index = 0; index < rows; index++) texts[index] = keys.keyOf(rowAt(index));
  const sorted = pickRows({ keys: texts, clusters, distances }, integerOrder ?? keyOrder(texts));
  for (let at = 1; at < rows; at++) {
    if (sorted.keys[at] === sorted.keys[at - 1]) {
      const key = sorted.keys[at]!;
      const shown = leadingCharacters(key, 200);
      throw new ModelInputError('DUPLICATE_KEY', `more than one row of the table has the key ${JSON.stringify(shown === key ? key : `${shown}…`)}`);
    }
  }
  return sorted;
}

function succeededChanges(
  output: StoredResults,
  preparation: PreparationRecord,
  iterations: readonly IterationRecord[],
  iterationsSeen: number,
  timings: PhaseTimings,
  finishedAt: Date,
  publishes: boolean,
) {
  return {
    finished_at: finishedAt,
    // A publish follows at once: in progress from now until it records its end (RunLifecycle finds a stale one).
    publishing_since: publishes ? finishedAt : null,
    heartbeat_at: finishedAt,
    progress_iteration: iterationsSeen,
    progress_shift: iterations.at(-1)?.centroidShift ?? null,
    metrics: JSON.stringify({ ...output.metrics, timings }),
    iterations: JSON.stringify(iterations),
    k_selection: output.kSelection ? JSON.stringify(output.kSelection) : null,
    centroids: JSON.stringify(output.centroidsScaled.map((scaled, cluster) => ({ cluster, scaled, original: output.centroidsOriginal[cluster] }))),
    cluster_sizes: JSON.stringify(output.clusterSizes),
    preparation: JSON.stringify(preparation),
  };
}

/**
 * Writes a run's progress one write at a time, in order (writes in flight on several connections
 * could land out of order and the fraction go back), when PROGRESS_INTERVAL_MS has passed or the
 * fraction has grown by PROGRESS_STEP; a forced offer is always written.
 */
class ProgressWriter {
  private chain: Promise<void> = Promise.resolve();
  private lastWrittenAt = 0;
  private lastFraction = -1;

  constructor(private readonly write: (fraction: number) => Promise<void>) {}

  offer(fraction: number, force = false): void {
    if (!force && fraction - this.lastFraction < PROGRESS_STEP && Date.now() - this.lastWrittenAt < PROGRESS_INTERVAL_MS) return;
    this.lastFraction = fraction;
    this.lastWrittenAt = Date.now();
    this.chain = this.chain.then(() => this.write(fraction));
  }

  /** Resolves once every offered write has been made (recordProgress logs its own failures). */
  settled(): Promise<void> {
    return this.chain;
  }
}
