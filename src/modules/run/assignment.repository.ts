import type { Executor } from '../../datastore/contracts';
import type { ColumnDefinition, Row } from '../../datastore/types';
import { executeUpsert } from '../../datastore/upsert/execute-upsert';
import type { KeysetPage } from '../../shared/keyset-page';

const TABLE = 'ai_run_assignment';
// Oracle takes at most 1,000 expressions in an IN list; the dialect's bind limit may be lower.
const MAX_KEYS_PER_STATEMENT = 500;

const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'run_id', type: 'string' },
  { name: 'entity_key', type: 'string' },
  { name: 'cluster', type: 'integer' },
  { name: 'distance', type: 'double' },
];

export interface Assignment {
  readonly entityKey: string;
  readonly cluster: number;
  readonly distance: number;
}

/** Each entity's cluster in a finished run (table ai_run_assignment): what publishing copies into the outcome table. */
export class AssignmentRepository {
  constructor(private readonly executor: Executor) {}

  /** Writes a new run's assignments with the dialect's set-based INSERT (its UPSERT without the conflict handling). */
  async save(runId: string, assignments: readonly Assignment[], executor: Executor): Promise<void> {
    const rows = assignments.map((assignment) => ({
      entity_key: assignment.entityKey,
      cluster: assignment.cluster,
      distance: assignment.distance,
    }));
    // A run stores its assignments once, in the transaction that ends it: every key is new. The run's
    // id is given once (bound once a statement where the dialect can).
    await executeUpsert(executor, {
      table: TABLE,
      keyColumns: ['run_id', 'entity_key'],
      columns: COLUMNS,
      rows,
      newKeysOnly: true,
      sharedValues: { run_id: runId },
    });
  }

  /**
   * Brings the planner's statistics of the table up to date after a run stored its assignments
   * (SqlDialect.refreshStatisticsStatements), on its own, outside any transaction.
   */
  async refreshStatistics(): Promise<void> {
    for (const statement of this.executor.dialect.refreshStatisticsStatements(TABLE)) await this.executor.execute(statement);
  }

  /** A page of a run's assignments in entity-key order after `page.after`, optionally of one cluster; `limit + 1` rows. */
  async page(runId: string, cluster: number | null, page: KeysetPage<string>): Promise<Assignment[]> {
    const q = (name: string) => this.executor.dialect.quoteIdentifier(name);
    const clusterCondition = cluster === null ? '' : ` AND ${q('cluster')} = ?`;
    // entity_key is part of the primary key: never NULL, never two equal ones in a run.
    const afterCondition = page.after === null ? '' : ` AND ${q('entity_key')} > ?`;
    const rows = await this.executor.query(
      this.executor.dialect.paginate(
        {
          sql: `SELECT ${q('entity_key')}, ${q('cluster')}, ${q('distance')} FROM ${q(TABLE)} WHERE ${q('run_id')} = ?${clusterCondition}${afterCondition} ORDER BY ${q('entity_key')}`,
          parameters: [runId, ...(cluster === null ? [] : [cluster]), ...(page.after === null ? [] : [page.after])],
          kind: 'select',
        },
        { limit: page.limit + 1, offset: 0 },
      ),
    );
    return rows.map(toAssignment);
  }

  /** The clusters of the given entities in a run, one statement a few hundred keys; keys the run did not assign are absent. */
  async clustersOf(runId: string, entityKeys: readonly string[]): Promise<Map<string, number>> {
    const q = (name: string) => this.executor.dialect.quoteIdentifier(name);
    const chunk = Math.max(1, Math.min(MAX_KEYS_PER_STATEMENT, this.executor.dialect.maxBindParameters - 1));
    const clusters = new Map<string, number>();
    for (let start = 0; start < entityKeys.length; start += chunk) {
      const keys = entityKeys.slice(start, start + chunk);
      const rows = await this.executor.query({
        sql: `SELECT ${q('entity_key')}, ${q('cluster')} FROM ${q(TABLE)} WHERE ${q('run_id')} = ? AND ${q('entity_key')} IN (${keys.map(() => '?').join(', ')})`,
        parameters: [runId, ...keys],
        kind: 'select',
      });
      for (const row of rows) clusters.set(String(row.entity_key), Number(row.cluster));
    }
    return clusters;
  }

  /** How many assignments the run has, optionally in one cluster (AssignmentConnection.totalCount). */
  async count(runId: string, cluster: number | null): Promise<number> {
    const q = (name: string) => this.executor.dialect.quoteIdentifier(name);
    const rows = await this.executor.query({
      sql: `SELECT COUNT(*) AS ${q('total')} FROM ${q(TABLE)} WHERE ${q('run_id')} = ?${cluster === null ? '' : ` AND ${q('cluster')} = ?`}`,
      parameters: cluster === null ? [runId] : [runId, cluster],
      kind: 'select',
    });
    return Number(rows[0]?.total ?? 0);
  }
}

function toAssignment(row: Row): Assignment {
  return { entityKey: String(row.entity_key), cluster: Number(row.cluster), distance: Number(row.distance) };
}
