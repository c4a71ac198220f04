import type { Executor, TransactionRunner } from '../../datastore/contracts';
import type { SqlValue } from '../../datastore/types';
import { AppError, isAppError } from '../../errors/app-error';
import { ERROR_CATALOGUE, type ErrorCode } from '../../errors/catalogue';
import { logFailure } from '../../logging/log-failure';
import type { Logger } from '../../logging/logger';
import { retryWhileUnavailable } from '../../shared/retry-while-unavailable';
import type { PublishErrorRecord } from './outcome.record';
import type { OutcomeColumns, OutcomeRepository } from './outcome.repository';

/**
 * Where a publish reads the run's rows: hands them to `write` (one or more times) in the publishing
 * transaction and resolves true, or resolves false having handed none (a run stored one row per entity
 * before migration 7, published from that table inside the database).
 */
export type OutcomeSource = (transaction: Executor, write: (columns: OutcomeColumns) => Promise<void>) => Promise<boolean>;

/** Columns of the run's row written with the publication (RunRepository's names). */
export type RunColumnChanges = Readonly<Record<string, SqlValue>>;

/**
 * The runs publishing writes to (the run module's RunRepository): a SUCCEEDED run is marked published,
 * or its publish error recorded, only while it is still SUCCEEDED.
 */
export interface SucceededRuns {
  transition(id: string, from: readonly 'SUCCEEDED'[], to: 'SUCCEEDED', changes: RunColumnChanges, executor?: Executor): Promise<boolean>;
}

export interface PublishRequest {
  readonly runId: string;
  readonly datasetId: string;
  readonly outcomeTable: string;
  /** Every outcome's scored_at: the run's finish time, so publishing a run again writes the same rows. */
  readonly scoredAt: Date;
  /** The run's rows (from memory at the run's end, or its stored chunks). Default: its rows in ai_run_assignment. */
  readonly source?: OutcomeSource;
  /** The run's outcomes_published_at. */
  readonly publishedAt: Date;
  /** More of the run to write in the same transaction, given how long publishing took (the run's own timings). */
  readonly changes?: (publishMs: number) => RunColumnChanges;
  /**
   * Keep trying to record a publish error while the database is away (a run's own publishing, which
   * nobody waits for). Default false: a request that publishes gets its answer after one attempt.
   */
  readonly retryRecording?: boolean;
}

export type PublishResult =
  { readonly published: true; readonly publishMs: number } | { readonly published: false; readonly error: PublishErrorRecord; readonly cause: unknown };

/**
 * Writes a SUCCEEDED run's outcomes (from the request's source, else its stored assignment rows) in a transaction of its own, so all
 * of them or none are written (a cancel or a shutdown meanwhile cannot leave half of them). When it
 * fails, the run stays SUCCEEDED with its results and assignments and records why (publishError, a
 * catalogue code and its catalogue message; the database's own words go to the log at debug level).
 * Publishing again clears it.
 */
export class OutcomePublisher {
  private stopping = false;

  constructor(
    private readonly dependencies: {
      readonly datastore: TransactionRunner;
      readonly runs: SucceededRuns;
      readonly outcomes: OutcomeRepository;
      /** Locks the dataset's row first, as deleteDataset does: never outcome rows for a deleted dataset. */
      readonly datasets: { lock(datasetId: string, transaction: Executor): Promise<boolean> };
      readonly logger: Logger;
    },
  ) {}

  /** The server is shutting down: recording a publish error is no longer retried. */
  stop(): void {
    this.stopping = true;
  }

  async publish(request: PublishRequest): Promise<PublishResult> {
    const { datastore, runs, outcomes } = this.dependencies;
    const started = performance.now();
    try {
      await datastore.transaction(async (transaction) => {
        if (!(await this.dependencies.datasets.lock(request.datasetId, transaction))) {
          throw new AppError('CONFLICT', `Dataset ${request.datasetId} was deleted; the outcomes of run ${request.runId} were not published`);
        }
        const write = (columns: OutcomeColumns) =>
          outcomes.publishColumns(request.runId, request.outcomeTable, request.datasetId, request.scoredAt, columns, transaction);
        if (!(await request.source?.(transaction, write))) {
          await outcomes.publishFromAssignments(request.runId, request.outcomeTable, request.datasetId, request.scoredAt, transaction);
        }
        const changes = { outcomes_published_at: request.publishedAt, ...NO_PUBLISH_ERROR, ...request.changes?.(performance.now() - started) };
        // A run that is no longer there or no longer SUCCEEDED gets no outcomes either.
        if (!(await runs.transition(request.runId, ['SUCCEEDED'], 'SUCCEEDED', changes, transaction))) {
          throw new AppError('CONFLICT', `Run ${request.runId} is no longer SUCCEEDED; its outcomes were not published`);
        }
      });
      const publishMs = performance.now() - started;
      await this.refreshStatistics(request);
      return { published: true, publishMs };
    } catch (cause) {
      const error = publishErrorOf(cause, request.outcomeTable, new Date());
      await this.record(request.runId, error, cause, request.retryRecording ?? false);
      return { published: false, error, cause };
    }
  }

  // Not fatal: the outcomes are written; reading them by key is only slower until the database's own analysis.
  private async refreshStatistics(request: PublishRequest): Promise<void> {
    try {
      await this.dependencies.outcomes.refreshStatistics(request.outcomeTable);
    } catch (error) {
      const log = this.dependencies.logger.child({ runId: request.runId });
      logFailure(log, 'warn', error, {}, 'could not refresh the statistics of the outcome table');
    }
  }

  private async record(runId: string, error: PublishErrorRecord, cause: unknown, retry: boolean): Promise<void> {
    const log = this.dependencies.logger.child({ runId });
    log.warn({ code: error.code }, 'publishing the run’s outcomes failed');
    log.debug({ err: cause }, 'why publishing the run’s outcomes failed');
    const changes = { publish_error_code: error.code, publish_error_message: error.message, publish_error_at: error.at, publishing_since: null };
    try {
      await retryWhileUnavailable(
        () => this.dependencies.runs.transition(runId, ['SUCCEEDED'], 'SUCCEEDED', changes),
        () => this.stopping || !retry,
        (retryError, retryInMs) =>
          log.warn({ code: isAppError(retryError) ? retryError.code : undefined, retryInMs }, 'could not record why publishing failed; retrying'),
      );
    } catch (recordError) {
      log.error({ code: isAppError(recordError) ? recordError.code : undefined }, 'could not record why publishing the run’s outcomes failed');
    }
  }
}

// Published: no error, and the publish is no longer in progress (RunLifecycle looks for stale ones).
const NO_PUBLISH_ERROR: RunColumnChanges = { publish_error_code: null, publish_error_message: null, publish_error_at: null, publishing_since: null };

/** A publish failure as the run stores it: its catalogue code, and that code's catalogue text. */
export function publishErrorOf(cause: unknown, outcomeTable: string, at: Date): PublishErrorRecord {
  const code: ErrorCode = isAppError(cause) && Object.hasOwn(ERROR_CATALOGUE, cause.code) ? cause.code : 'INTERNAL_SERVER_ERROR';
  return { code, message: `Publishing the outcomes to table ${outcomeTable} failed: ${ERROR_CATALOGUE[code]}`, at };
}
