import { randomUUID } from 'node:crypto';
import type { Executor } from '../../datastore/contracts';
import type { Datastore } from '../../datastore/datastore';
import { AppError, isAppError } from '../../errors/app-error';
import type { ErrorCode } from '../../errors/catalogue';
import type { Logger } from '../../logging/logger';
import type { Metrics } from '../../metrics/metrics';
import type { KeysetPage } from '../../shared/keyset-page';
import { pageOfRows, type PageOfRows } from '../../shared/page-of-rows';
import { DEFAULT_OUTCOME_TABLE } from '../outcome/outcome-table';
import type { DatasetService } from '../dataset/dataset.service';
import type { DatasetRecord } from '../dataset/dataset.record';
import type { DatasetTableRepository } from '../dataset/dataset-table.repository';
import type { Assignment, AssignmentRepository } from './assignment.repository';
import type { OutcomePublisher } from '../outcome/outcome-publisher';
import { checkAgainstRows, resolveRunParams, rowsNeeded, type StartRunInput } from './run-params';
import { assertSameRequest } from './idempotency';
import type { RunExecutor } from './run-executor';
import type { RunEvents } from './run.events';
import type { RequestPublishes } from './request-publishes';
import { currentThenUpdates } from './run-updates';
import type { RunUpdateChannel } from './run-update-channel';
import { isTerminal, type IterationRecord, type ModelRunRecord } from './run.record';
import type { RunFilter, RunKey, RunOrder, RunRecordField, RunRepository } from './run.repository';
import type { RunClaimer } from './run-claimer';
import type { RunTracer } from './run.tracer';
import { leadingCharacters } from '../../shared/character-count';

export interface RunServiceDependencies {
  readonly datastore: Datastore;
  readonly runs: RunRepository;
  readonly assignments: AssignmentRepository;
  readonly publisher: OutcomePublisher;
  readonly datasets: DatasetService;
  readonly datasetTables: DatasetTableRepository;
  /** This replica's claimer of queued runs: woken when a run is queued here. */
  readonly claimer: Pick<RunClaimer, 'wake' | 'freeSlots'>;
  /** RUN_QUEUE_LIMIT: runs the shared queue may hold while this replica has no free slot. */
  readonly queueLimit: number;
  readonly executor: RunExecutor;
  /** The executor's reports: the service announces and traces them. */
  readonly events: RunEvents;
  /** Where `modelRunUpdated` subscribers hear of changes: this replica's or, through Redis, every replica's. */
  readonly updates: Pick<RunUpdateChannel, 'publish' | 'subscribe'>;
  readonly tracer: RunTracer;
  /** Where the runs ending in this process are counted (/metrics); absent where a test builds the service alone. */
  readonly metrics?: Pick<Metrics, 'observeRunEnded'>;
  readonly logger: Logger;
}

/** Model runs: starting, cancelling, publishing, reading; their rules live here. */
export class RunService {
  private readonly now = () => new Date();
  /** Publishes under way on this server, by run id (publish). */
  private readonly publishing = new Map<string, Promise<ModelRunRecord>>();

  constructor(private readonly deps: RunServiceDependencies) {
    deps.events.on('changed', (id) => this.announce(id));
    deps.events.on('ended', (id, datasetName) => this.ended(id, datasetName));
  }

  /**
   * Queues a run. `admit` is called once the request is known to start a new run (the caller's rate
   * limit): a replay of an idempotency key starts nothing and is not admitted.
   */
  async start(input: StartRunInput, admit: () => Promise<void> | void = () => undefined): Promise<ModelRunRecord> {
    const { runs, datasets, datasetTables } = this.deps;
    if (input.idempotencyKey) {
      const existing = await runs.findByIdempotencyKey(input.idempotencyKey);
      if (existing) return assertSameRequest(existing, input);
    }
    await admit();
    const dataset = await datasets.require(input.datasetId, 'datasetId');
    const params = resolveRunParams(input, dataset);

    // Everything the data can refuse is refused now, before a run row exists, with queries that stop
    // early: the statistics of the input come from the run itself (the preparation trace document).
    const refusal = await datasets.refusalToRun(dataset);
    if (refusal) throw refusal;
    const [empty] = await datasetTables.featuresWithoutValue(params.table, params.featureColumns);
    if (empty !== undefined) {
      throw new AppError('BAD_USER_INPUT', `Feature column "${empty}" has no values (every row is NULL or the table is empty)`, { field: 'datasetId' });
    }
    const rows = await datasetTables.rowsUpTo(params.table, params.featureColumns, {
      completeOnly: params.preparation.missing === 'DROP',
      cap: rowsNeeded(params),
    });
    checkAgainstRows(params, rows);

    const now = this.now();
    const run: ModelRunRecord = {
      id: randomUUID(),
      datasetId: dataset.id,
      status: 'QUEUED',
      params,
      idempotencyKey: input.idempotencyKey ?? null,
      // The whole iteration budget, as the executor reports it (RunProgress.maxIterations).
      progress: {
        iteration: 0,
        maxIterations: params.maxIterations * params.nInit * (params.kRange ? params.kRange.max - params.kRange.min + 1 : 1),
        fraction: 0,
        lastShift: null,
      },
      metrics: null,
      kSelection: null,
      centroids: null,
      clusterSizes: null,
      preparation: null,
      error: null,
      // Queued in the database, owned by none: the replica that claims it becomes its owner.
      owner: null,
      attempts: 0,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      heartbeatAt: null,
      outcomesPublishedAt: null,
      publishError: null,
    };
    try {
      // The dataset's row is locked first, as deleteDataset locks it: a dataset deleted since the
      // checks above is seen here, and one being deleted is waited for.
      await this.deps.datastore.transaction(async (transaction) => {
        if (!(await datasets.lock(dataset.id, transaction)))
          throw new AppError('BAD_USER_INPUT', `No dataset has id "${dataset.id}" (it was deleted)`, { field: 'datasetId', value: dataset.id });
        await this.assertQueueRoom(transaction);
        await runs.insert(run, transaction);
      });
    } catch (error) {
      // The same idempotency key raced in from another request: its run is the answer.
      if (input.idempotencyKey && isAppError(error) && error.code === 'DB_CONSTRAINT_VIOLATION') {
        const existing = await runs.findByIdempotencyKey(input.idempotencyKey);
        if (existing) return assertSameRequest(existing, input);
      }
      throw error;
    }
    this.deps.tracer.started(run, dataset);
    this.deps.claimer.wake();
    await this.announce(run.id);
    return run;
  }

  /** Stops a queued or running run; a finished run is returned unchanged. */
  async cancel(id: string): Promise<ModelRunRecord> {
    const run = await this.require(id);
    if (!isTerminal(run.status)) {
      // The database decides: once CANCELLED, the executor's later transitions cannot succeed.
      const cancelled = await this.deps.runs.transition(id, ['QUEUED', 'RUNNING'], 'CANCELLED', { finished_at: this.now() });
      this.deps.executor.cancel(id);
      if (cancelled) await this.ended(id);
    }
    return this.require(id);
  }

  /**
   * UPSERTs a succeeded run's assignments into its dataset's outcome table in one transaction, e.g.
   * to go back to an older run, or to retry a publish that failed (publishError, cleared on success;
   * on failure it is recorded again and the caller gets its code and message). The rows carry the
   * run's id and finish time, so publishing the same run again writes identical rows. One publish of
   * a run at a time on this server: a call while one is under way gets that one's outcome. Within a
   * request (`request`), asking for the run its last publish was of gets that answer: thirty aliases
   * of one run (mutations run one after another) UPSERT it once, and A, B, then A again three times.
   */
  publish(id: string, request?: RequestPublishes): Promise<ModelRunRecord> {
    const repeated = request?.repeated(id);
    if (repeated) return repeated;
    let answer = this.publishing.get(id);
    if (!answer) {
      answer = this.publishOnce(id).finally(() => this.publishing.delete(id));
      this.publishing.set(id, answer);
    }
    request?.published(id, answer);
    return answer;
  }

  private async publishOnce(id: string): Promise<ModelRunRecord> {
    const run = await this.require(id, 'runId');
    if (run.status !== 'SUCCEEDED') {
      throw new AppError('BAD_USER_INPUT', `Run ${id} is ${run.status}; only a SUCCEEDED run's outcomes can be published`, { field: 'runId' });
    }
    const dataset = await this.deps.datasets.require(run.datasetId, 'runId');
    // From the run's stored chunks, or (a run stored before migration 7) inside the database from its rows.
    const result = await this.deps.publisher.publish({
      runId: run.id,
      source: (transaction, write) => this.deps.assignments.forEachChunk(run.id, transaction, write),
      datasetId: run.datasetId,
      outcomeTable: dataset.outcomeTable ?? DEFAULT_OUTCOME_TABLE,
      scoredAt: run.finishedAt!,
      publishedAt: this.now(),
    });
    const after = await this.require(id);
    if (result.published) this.deps.tracer.outcomesPublished(after, result.publishMs);
    else this.deps.tracer.outcomesPublishFailed(after, result.error);
    await this.announce(id);
    if (!result.published) throw new AppError(result.error.code as ErrorCode, result.error.message, { runId: id }, { cause: result.cause });
    return after;
  }

  /** Executes a run this replica claimed from the queue (RunClaimer). */
  async executeClaimed(run: ModelRunRecord): Promise<void> {
    // deleteDataset refuses while a run is queued, so only a delete behind the API's back gets here:
    // nothing to run, ever (the claimer fails the run with this code rather than queue it again).
    const [dataset] = await this.deps.datasets.byIds([run.datasetId]);
    if (!dataset) throw new AppError('CONFLICT', `Dataset ${run.datasetId} was deleted while the run was queued`);
    await this.deps.executor.execute(run, dataset);
  }

  async require(id: string, field = 'id'): Promise<ModelRunRecord> {
    const [run] = await this.deps.runs.findByIds([id]);
    // At most 80 characters of the id go back to the caller: it is input, and may be huge.
    if (!run) throw new AppError('BAD_USER_INPUT', `No model run has id "${leadingCharacters(id, 80)}"`, { field });
    return run;
  }

  /**
   * `modelRunUpdated(id)`: the run's current state, then its updates, ending after a terminal state
   * (run-updates.ts). An unknown id is refused when the subscription starts (BAD_USER_INPUT).
   */
  async updates(id: string): Promise<AsyncIterable<ModelRunRecord>> {
    // Subscribed before the read, so an update between the two is not lost.
    const updates = await this.deps.updates.subscribe(id);
    try {
      return currentThenUpdates(await this.require(id), updates);
    } catch (error) {
      await updates.return?.();
      throw error;
    }
  }

  /** Batch: runs by id, null for an unknown id. */
  async byIds(ids: readonly string[]): Promise<(ModelRunRecord | null)[]> {
    const found = new Map((await this.deps.runs.findByIds(ids)).map((run) => [run.id, run] as const));
    return ids.map((id) => found.get(id) ?? null);
  }

  /** Batch: each run's per-iteration history, null for an unknown id or a run with none yet. */
  async iterationsOf(ids: readonly string[]): Promise<(IterationRecord[] | null)[]> {
    const found = await this.deps.runs.iterationsOf(ids);
    return ids.map((id) => found.get(id) ?? null);
  }

  /** Batch: each dataset's most recent run, null for a dataset with none. */
  async latestOfDatasets(datasetIds: readonly string[]): Promise<(ModelRunRecord | null)[]> {
    const latest = await this.deps.runs.latestOfDatasets(datasetIds);
    return datasetIds.map((id) => latest.get(id) ?? null);
  }

  /** Given `fields`, the runs carry only those (RunRepository.list). */
  async list(filter: RunFilter, order: RunOrder, page: KeysetPage<RunKey>, fields?: ReadonlySet<RunRecordField>): Promise<PageOfRows<ModelRunRecord>> {
    assertDatasetIdsLimit(filter);
    return pageOfRows(await this.deps.runs.list(filter, order, page, fields), page.limit);
  }

  /** list, with the listed runs' datasets read by the same statement (RunRepository.listWithDatasets). */
  async listWithDatasets(
    filter: RunFilter,
    order: RunOrder,
    page: KeysetPage<RunKey>,
    fields?: ReadonlySet<RunRecordField>,
  ): Promise<PageOfRows<ModelRunRecord> & { readonly datasets: ReadonlyMap<string, DatasetRecord | null> }> {
    assertDatasetIdsLimit(filter);
    const { runs, datasets } = await this.deps.runs.listWithDatasets(filter, order, page, fields);
    return { ...pageOfRows(runs, page.limit), datasets };
  }

  count(filter: RunFilter): Promise<number> {
    assertDatasetIdsLimit(filter);
    return this.deps.runs.count(filter);
  }

  async assignments(runId: string, cluster: number | null, page: KeysetPage<string>): Promise<PageOfRows<Assignment>> {
    return pageOfRows(await this.deps.assignments.page(runId, cluster, page), page.limit);
  }

  countAssignments(runId: string, cluster: number | null): Promise<number> {
    return this.deps.assignments.count(runId, cluster);
  }

  /**
   * RUN_QUEUE_FULL when the shared queue holds RUN_QUEUE_LIMIT runs beyond those this replica's free
   * slots will take. Counted under the dataset's lock only: starts on other datasets can pass it
   * together, so across datasets and replicas it is a soft limit.
   */
  private async assertQueueRoom(transaction: Executor): Promise<void> {
    const free = this.deps.claimer.freeSlots;
    const queued = await this.deps.runs.countQueued(transaction);
    if (queued >= this.deps.queueLimit + free) {
      throw new AppError(
        'RUN_QUEUE_FULL',
        `The run queue is full: ${queued} queued (RUN_QUEUE_LIMIT ${this.deps.queueLimit}, ${free} free slot(s) on this server)`,
      );
    }
  }

  /** A run has reached a terminal state: trace how it ended and tell subscribers. */
  private async ended(id: string, datasetName?: string): Promise<void> {
    const [run] = await this.deps.runs.findByIds([id]);
    if (!run) return;
    const name = datasetName ?? (await this.deps.datasets.byIds([run.datasetId]))[0]?.name ?? run.datasetId;
    this.deps.tracer.finished(run, name);
    const seconds = run.startedAt && run.finishedAt ? (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 : null;
    this.deps.metrics?.observeRunEnded(run.status, seconds, run.preparation?.rowsRead ?? null);
    this.deps.updates.publish(run);
  }

  /** QUEUED runs in the queue every replica shares. */
  queueDepth(): Promise<number> {
    return this.deps.runs.countQueued();
  }

  /** Publishes the run's current state to `modelRunUpdated` subscribers. */
  private async announce(id: string): Promise<void> {
    const [run] = await this.deps.runs.findByIds([id]);
    if (run) this.deps.updates.publish(run);
  }
}

function assertDatasetIdsLimit(filter: RunFilter): void {
  if ((filter.datasetIds?.length ?? 0) > 100)
    throw new AppError('BAD_USER_INPUT', 'filter.datasetIds may name at most 100 datasets', { field: 'filter.datasetIds' });
}
