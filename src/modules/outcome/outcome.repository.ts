import type { Executor } from '../../datastore/contracts';
import type { SqlDialect } from '../../datastore/dialects';
import type { KeysetPage } from '../../shared/keyset-page';
import type { Row, Statement } from '../../datastore/types';
import { executeInTurn } from '../../datastore/execute-in-turn';
import { executeUpsert } from '../../datastore/upsert/execute-upsert';
import type { OutcomeRow } from './outcome.record';
import { outcomeTableDefinition } from './outcome-table';

// Where runs stored before migration 7 keep their assignments (AssignmentRepository): publishing copies them from there.
const ASSIGNMENT_TABLE = 'ai_run_assignment';
// Rows turned into objects for the UPSERT at a time; its statements batch them as the dialect allows.
const ROWS_PER_SLICE = 50_000;

/** A run's outcomes as columns: row i is (keys[i], clusters[i], distances[i]). */
export interface OutcomeColumns {
  readonly keys: readonly string[];
  readonly clusters: Int32Array;
  readonly distances: Float64Array;
}

/** A dataset's outcome table: written from a run's stored assignments, read a page at a time. */
export class OutcomeRepository {
  constructor(private readonly executor: Executor) {}

  /**
   * A page of a dataset's outcomes in entity-key order after `page.after`; `limit + 1` rows. By key,
   * not offset: a run publishing while a client pages adds rows without shifting the pages.
   */
  async page(table: string, datasetId: string, page: KeysetPage<string>): Promise<OutcomeRow[]> {
    return this.pageWhere(table, { dataset_id: datasetId }, page);
  }

  /** How many outcomes the dataset has in its outcome table (OutcomeConnection.totalCount). */
  async count(table: string, datasetId: string): Promise<number> {
    const q = (name: string) => this.executor.dialect.quoteIdentifier(name);
    const rows = await this.executor.query({
      sql: `SELECT COUNT(*) AS ${q('total')} FROM ${q(table)} WHERE ${q('dataset_id')} = ?`,
      parameters: [datasetId],
      kind: 'select',
    });
    return Number(rows[0]?.total ?? 0);
  }

  /**
   * The rows of a dataset's outcome table that one run wrote and still holds, in entity-key order after
   * `page.after`; `limit + 1` rows.
   */
  async pageOfRun(table: string, datasetId: string, runId: string, page: KeysetPage<string>): Promise<OutcomeRow[]> {
    return this.pageWhere(table, { dataset_id: datasetId, run_id: runId }, page);
  }

  /** The rows whose columns equal `equal`, in entity-key order after `page.after`; `limit + 1` rows. */
  private async pageWhere(table: string, equal: Readonly<Record<string, string>>, page: KeysetPage<string>): Promise<OutcomeRow[]> {
    const dialect = this.executor.dialect;
    const q = (name: string) => dialect.quoteIdentifier(name);
    const columns = outcomeTableDefinition(table)
      .columns.map((column) => (column.type === 'double' ? dialect.exactDoubleSelectSql(q(column.name)) : q(column.name)))
      .join(', ');
    const conditions = Object.keys(equal).map((name) => `${q(name)} = ?`);
    // entity_key is part of the primary key with dataset_id: never NULL, never two equal ones in a dataset.
    if (page.after !== null) conditions.push(`${q('entity_key')} > ?`);
    const rows = await this.executor.query(
      this.executor.dialect.paginate(
        {
          sql: `SELECT ${columns} FROM ${q(table)} WHERE ${conditions.join(' AND ')} ORDER BY ${q('entity_key')}`,
          parameters: page.after === null ? Object.values(equal) : [...Object.values(equal), page.after],
          kind: 'select',
        },
        { limit: page.limit + 1, offset: 0 },
      ),
    );
    return rows.map((row) => toOutcome(row, dialect));
  }

  /**
   * Brings the planner's statistics of an outcome table up to date after a publish
   * (SqlDialect.refreshStatisticsStatements): a page by key (pageOfRun) is then a range scan of
   * the key, not a sort of every row after it, which is what PostgreSQL plans on a table it has not analyzed.
   */
  async refreshStatistics(table: string): Promise<void> {
    for (const statement of this.executor.dialect.refreshStatisticsStatements(table)) await this.executor.execute(statement);
  }

  /**
   * UPSERTs a run's outcomes given as columns (from memory, or a stored chunk): from bound arrays where
   * the dialect reads them (PostgreSQL's unnest, with its UPSERT from a SELECT), else with its UPSERT,
   * batched as it batches (Oracle/Tibero: MERGE … FROM DUAL within their bind budget).
   */
  async publishColumns(runId: string, outcomeTable: string, datasetId: string, scoredAt: Date, columns: OutcomeColumns, executor: Executor): Promise<void> {
    const target = outcomeTableDefinition(outcomeTable);
    const shared = { dataset_id: datasetId, run_id: runId, scored_at: scoredAt };
    const rows = {
      count: columns.keys.length,
      value: (row: number, column: string) =>
        column === 'entity_key' ? columns.keys[row]! : column === 'cluster' ? columns.clusters[row]! : columns.distances[row]!,
    };
    const sources = executor.dialect.columnArraysSources(target.columns, shared, rows);
    if (sources) {
      const upsert = { table: outcomeTable, keyColumns: target.primaryKey, columns: target.columns };
      // The preamble (PostgreSQL: the table lock) once, before the first source is built; then each UPSERT
      // is sent as soon as the one before has ended, and the next source is built while the database runs it.
      for (const statement of executor.dialect.compileUpsertFromSelectPreamble(upsert, true)) await executor.execute(statement);
      await executeInTurn(
        executor,
        upsertsOf(sources, (source) => executor.dialect.compileUpsertFromSelectAlone(upsert, source)),
      );
      return;
    }
    for (let start = 0; start < columns.keys.length; start += ROWS_PER_SLICE) {
      const end = Math.min(columns.keys.length, start + ROWS_PER_SLICE);
      const rows = [];
      for (let row = start; row < end; row++) rows.push({ entity_key: columns.keys[row]!, cluster: columns.clusters[row]!, distance: columns.distances[row]! });
      await executeUpsert(executor, {
        table: outcomeTable,
        keyColumns: target.primaryKey,
        columns: target.columns,
        rows,
        sharedValues: shared,
      });
    }
  }

  /**
   * UPSERTs the assignments of a run stored before migration 7 into an outcome table with ONE statement the database runs
   * from the assignment table, so no row travels through the driver. Returns the rows the database
   * reports (-1 where the driver does not say).
   */
  async publishFromAssignments(runId: string, outcomeTable: string, datasetId: string, scoredAt: Date, executor: Executor): Promise<number> {
    const dialect = executor.dialect;
    const q = (name: string) => dialect.quoteIdentifier(name);
    const target = outcomeTableDefinition(outcomeTable);
    const column = (name: string) => target.columns.find((candidate) => candidate.name === name)!;
    const copied = ['entity_key', 'run_id', 'cluster', 'distance'].map(q).join(', ');
    const select =
      `SELECT ${dialect.parameterSql(column('dataset_id'))} AS ${q('dataset_id')}, ${copied}, ${dialect.parameterSql(column('scored_at'))} AS ${q('scored_at')} ` +
      `FROM ${q(ASSIGNMENT_TABLE)} WHERE ${q('run_id')} = ?`;
    let count = -1;
    for (const statement of dialect.compileUpsertFromSelect(
      { table: outcomeTable, keyColumns: target.primaryKey, columns: target.columns },
      { sql: select, parameters: [datasetId, scoredAt, runId], kind: 'select' },
    )) {
      count = await executor.execute(statement);
    }
    return count;
  }
}

function toOutcome(row: Row, dialect: SqlDialect): OutcomeRow {
  return {
    datasetId: String(row.dataset_id),
    entityKey: String(row.entity_key),
    runId: String(row.run_id),
    cluster: Number(row.cluster),
    distance: dialect.exactDouble(row.distance),
    scoredAt: row.scored_at as Date,
  };
}

/** Each source's UPSERT, built when asked for (so the next source is built while the one before runs). */
function* upsertsOf(sources: Iterable<Statement>, upsert: (source: Statement) => Statement): Iterable<Statement> {
  for (const source of sources) yield upsert(source);
}
