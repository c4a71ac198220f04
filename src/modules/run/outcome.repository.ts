import type { Executor } from '../../datastore/datastore';
import type { Page } from '../../datastore/dialects/dialect';
import type { Row, UpsertSpec } from '../../datastore/types';
import { outcomeTableDefinition } from '../dataset/outcome-table';
import type { Assignment } from './assignment.repository';

export interface OutcomeRow {
  readonly datasetId: string;
  readonly entityKey: string;
  readonly runId: string;
  readonly cluster: number;
  readonly distance: number;
  readonly scoredAt: Date;
}

/** A dataset's outcome table: the published cluster of each entity, written by the dialect's UPSERT. */
export class OutcomeRepository {
  constructor(private readonly executor: Executor) {}

  /** Writes a run's outcomes, one per assignment, in the caller's transaction: all rows or none. */
  async upsert(table: string, datasetId: string, runId: string, scoredAt: Date, assignments: readonly Assignment[], executor: Executor): Promise<void> {
    await executeUpsert(executor, outcomeUpsert(table, datasetId, runId, scoredAt, assignments));
  }

  /** A page of a dataset's outcomes in entity-key order; `limit + 1` rows. */
  async page(table: string, datasetId: string, page: Page): Promise<OutcomeRow[]> {
    const q = (name: string) => this.executor.dialect.quoteIdentifier(name);
    const columns = outcomeTableDefinition(table).columns.map((column) => q(column.name)).join(', ');
    const rows = await this.executor.query(
      this.executor.dialect.paginate(
        { sql: `SELECT ${columns} FROM ${q(table)} WHERE ${q('dataset_id')} = ? ORDER BY ${q('entity_key')}`, parameters: [datasetId], kind: 'select' },
        { limit: page.limit + 1, offset: page.offset },
      ),
    );
    return rows.map(toOutcome);
  }
}

/**
 * Runs an UPSERT's statements in order on one executor, building each next statement while the
 * database runs the one before (the driver runs it off the JavaScript thread): a million outcomes
 * take a few seconds of JavaScript to encode. Never two statements at once on the connection; when
 * building a statement fails, the one running is awaited before the error goes to the caller's rollback.
 */
export async function executeUpsert(executor: Executor, spec: UpsertSpec): Promise<void> {
  let running: Promise<number> | undefined;
  try {
    for (const statement of executor.dialect.upsertStatements(spec)) {
      if (running) await running;
      running = executor.execute(statement);
    }
  } catch (error) {
    await running?.catch(() => undefined);
    throw error;
  }
  await running;
}

/** The UPSERT that publishes a run's assignments into an outcome table (shared with bench/publish.ts). */
export function outcomeUpsert(table: string, datasetId: string, runId: string, scoredAt: Date, assignments: readonly Assignment[]): UpsertSpec {
  const definition = outcomeTableDefinition(table);
  const rows = assignments.map((assignment) => ({
    dataset_id: datasetId,
    entity_key: assignment.entityKey,
    run_id: runId,
    cluster: assignment.cluster,
    distance: assignment.distance,
    scored_at: scoredAt,
  }));
  return { table, keyColumns: definition.primaryKey, columns: definition.columns, rows };
}

function toOutcome(row: Row): OutcomeRow {
  return {
    datasetId: String(row.dataset_id),
    entityKey: String(row.entity_key),
    runId: String(row.run_id),
    cluster: Number(row.cluster),
    distance: Number(row.distance),
    scoredAt: row.scored_at as Date,
  };
}
