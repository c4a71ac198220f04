import type { Executor } from '../../datastore/datastore';
import type { Page } from '../../datastore/dialects/dialect';
import type { Row } from '../../datastore/types';
import { outcomeTableDefinition } from '../dataset/outcome-table';

export interface OutcomeRow {
  readonly datasetId: string;
  readonly entityKey: string;
  readonly runId: string;
  readonly cluster: number;
  readonly distance: number;
  readonly scoredAt: Date;
}

/** A dataset's outcome table, read: runs write it from their stored assignments (AssignmentRepository.publishAsOutcomes). */
export class OutcomeRepository {
  constructor(private readonly executor: Executor) {}

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
