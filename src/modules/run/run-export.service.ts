import { runNotFound } from './run-id';
import { AppError } from '../../errors/app-error';
import { keysetPages } from '../../shared/keyset-page';
import type { DatasetService } from '../dataset/dataset.service';
import type { OutcomeRow } from '../outcome/outcome.record';
import type { OutcomeRepository } from '../outcome/outcome.repository';
import { DEFAULT_OUTCOME_TABLE } from '../outcome/outcome-table';
import type { Assignment, AssignmentRepository } from './assignment.repository';
import type { RunRepository } from './run.repository';

/** Rows one statement of an export reads: a page costs about 0.5 MB of CSV in memory (bench/export.ts). */
export const EXPORT_PAGE_ROWS = 5_000;

export interface RunExportDependencies {
  readonly runs: Pick<RunRepository, 'findByIds'>;
  readonly assignments: Pick<AssignmentRepository, 'page'>;
  readonly outcomes: Pick<OutcomeRepository, 'pageOfRun'>;
  readonly datasets: Pick<DatasetService, 'byIds'>;
  /** Default EXPORT_PAGE_ROWS. */
  readonly pageRows?: number;
}

/**
 * All of a run's assignments, or the outcome rows it published, page after page by entity key: the
 * values `ModelRun.assignments` and `Dataset.outcomes` give, for an export of any size in constant memory.
 * The first page is read before anything is returned, so every refusal comes before the first byte.
 */
export class RunExportService {
  private readonly pageRows: number;

  constructor(private readonly deps: RunExportDependencies) {
    this.pageRows = deps.pageRows ?? EXPORT_PAGE_ROWS;
  }

  async assignments(runId: string): Promise<AsyncGenerator<readonly Assignment[]>> {
    await this.succeededRun(runId);
    return this.startedAt(
      keysetPages<Assignment, string>(
        (page) => this.deps.assignments.page(runId, null, page),
        (row) => row.entityKey,
        this.pageRows,
      ),
    );
  }

  /**
   * The rows of the outcome table that carry this run's id. A later publish of another run of the same
   * dataset replaces rows: the export has those still this run's, or is refused when none are left.
   */
  async outcomes(runId: string): Promise<AsyncGenerator<readonly OutcomeRow[]>> {
    const run = await this.succeededRun(runId);
    if (run.outcomesPublishedAt === null) {
      const why = run.publishError ? `publishing failed (${run.publishError.code}); publishRunOutcomes retries it` : 'they were never published';
      throw new AppError('OUTCOMES_NOT_PUBLISHED', `Run ${runId} has no outcomes in its outcome table: ${why}`, { runId });
    }
    const [dataset] = await this.deps.datasets.byIds([run.datasetId]);
    if (!dataset) throw runNotFound(runId);
    const table = dataset.outcomeTable ?? DEFAULT_OUTCOME_TABLE;
    const pages = await this.startedAt(
      keysetPages<OutcomeRow, string>(
        (page) => this.deps.outcomes.pageOfRun(table, run.datasetId, runId, page),
        (row) => row.entityKey,
        this.pageRows,
      ),
      () =>
        new AppError('OUTCOMES_NOT_PUBLISHED', `Run ${runId}'s outcomes are no longer in table ${table}: another run's outcomes have replaced them`, {
          runId,
        }),
    );
    return pages;
  }

  private async succeededRun(runId: string) {
    const [run] = await this.deps.runs.findByIds([runId]);
    if (!run) throw runNotFound(runId);
    if (run.status !== 'SUCCEEDED') {
      throw new AppError('RUN_NOT_SUCCEEDED', `Run ${runId} is ${run.status}: only a SUCCEEDED run has assignments and outcomes to export`, {
        runId,
        status: run.status,
      });
    }
    return run;
  }

  /** The pages with the first already read (so a failure or `whenEmpty` is thrown here), then the rest. */
  private async startedAt<T>(pages: AsyncGenerator<readonly T[]>, whenEmpty?: () => AppError): Promise<AsyncGenerator<readonly T[]>> {
    const first = await pages.next();
    if (first.done && whenEmpty) throw whenEmpty();
    return (async function* () {
      if (first.done) return;
      yield first.value;
      yield* pages;
    })();
  }
}
