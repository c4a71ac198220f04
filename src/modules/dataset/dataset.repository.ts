import type { Executor } from '../../datastore/contracts';
import type { SqlDialect } from '../../datastore/dialects/dialect';
import type { ColumnDefinition, Row, SqlValue } from '../../datastore/types';
import { textOrNull } from '../../datastore/text-value';
import type { DatasetRecord } from './dataset.record';

const TABLE = 'ai_dataset';

const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'string' },
  { name: 'name', type: 'string' },
  { name: 'table_name', type: 'string' },
  { name: 'key_columns', type: 'text' },
  { name: 'feature_columns', type: 'text' },
  { name: 'description', type: 'text' },
  { name: 'outcome_table', type: 'string' },
  { name: 'created_at', type: 'timestamp' },
  { name: 'updated_at', type: 'timestamp' },
];

/**
 * ai_dataset as a derived table for a statement on another table to LEFT JOIN, each column renamed
 * `prefix` + its name: none clashes with the other table's columns, so that statement's WHERE and ORDER
 * BY stay unqualified (and the Oracle family's paging wrappers, which select `*`, see unique names).
 * `select` lists the renamed columns, `id` is the renamed id to join on; joinedDataset reads a row back.
 */
export function datasetJoin(dialect: SqlDialect, prefix: string, alias: string): { readonly table: string; readonly select: string; readonly id: string } {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const renamed = COLUMNS.map((column) => `${q(column.name)} AS ${q(prefix + column.name)}`).join(', ');
  return {
    table: `(SELECT ${renamed} FROM ${q(TABLE)}) ${q(alias)}`,
    select: COLUMNS.map((column) => `${q(alias)}.${q(prefix + column.name)}`).join(', '),
    id: `${q(alias)}.${q(prefix + 'id')}`,
  };
}

/** The dataset a row of a datasetJoin statement carries under `prefix`, or null when the join found none. */
export function joinedDataset(row: Row, prefix: string): DatasetRecord | null {
  return row[`${prefix}id`] === null || row[`${prefix}id`] === undefined ? null : toRecord(row, prefix);
}

/** The registry of datasets (table ai_dataset). */
export class DatasetRepository {
  constructor(private readonly executor: Executor) {}

  async list(): Promise<DatasetRecord[]> {
    const dialect = this.executor.dialect;
    const rows = await this.executor.query({
      sql: `${this.selectAll()} ORDER BY ${dialect.quoteIdentifier('name')}`,
      parameters: [],
      kind: 'select',
    });
    return rows.map((row) => toRecord(row));
  }

  /** The datasets with the given ids, in no particular order; unknown ids are simply absent. */
  async findByIds(ids: readonly string[], executor: Executor = this.executor): Promise<DatasetRecord[]> {
    const dialect = executor.dialect;
    const found: DatasetRecord[] = [];
    for (let start = 0; start < ids.length; start += dialect.maxInListSize) {
      const chunk = ids.slice(start, start + dialect.maxInListSize);
      const rows = await executor.query({
        sql: `${this.selectAll()} WHERE ${dialect.quoteIdentifier('id')} IN (${dialect.inList(chunk)})`,
        parameters: chunk,
        kind: 'select',
      });
      found.push(...rows.map((row) => toRecord(row)));
    }
    return found;
  }

  async findByName(name: string): Promise<DatasetRecord | null> {
    const rows = await this.executor.query({
      sql: `${this.selectAll()} WHERE ${this.executor.dialect.quoteIdentifier('name')} = ?`,
      parameters: [name],
      kind: 'select',
    });
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Locks the dataset's row until `transaction` ends; false when there is no such dataset (deleted).
   * Whoever starts a run, deletes the dataset or writes its outcomes locks it first, so they take turns.
   */
  async lock(datasetId: string, transaction: Executor): Promise<boolean> {
    const statement = transaction.dialect.lockRowStatement(TABLE, 'id', datasetId);
    return statement.kind === 'select' ? (await transaction.query(statement)).length > 0 : (await transaction.execute(statement)) > 0;
  }

  /** Runs of the dataset that are queued or running. */
  async countActiveRuns(datasetId: string, executor: Executor = this.executor): Promise<number> {
    const q = (name: string) => executor.dialect.quoteIdentifier(name);
    const rows = await executor.query({
      sql: `SELECT COUNT(*) AS active FROM ${q('ai_model_run')} WHERE ${q('dataset_id')} = ? AND ${q('status')} IN ('QUEUED', 'RUNNING')`,
      parameters: [datasetId],
      kind: 'select',
    });
    return Number(rows[0]?.active ?? 0);
  }

  /**
   * Removes the dataset with its runs, their assignments and its rows in the given outcome tables, in
   * `transaction`: nothing is left that carries the dataset's id.
   */
  async deleteWithRuns(datasetId: string, outcomeTables: readonly string[], transaction: Executor): Promise<void> {
    const q = (name: string) => transaction.dialect.quoteIdentifier(name);
    const statements = [
      ...outcomeTables.map((table) => `DELETE FROM ${q(table)} WHERE ${q('dataset_id')} = ?`),
      `DELETE FROM ${q('ai_run_assignment')} WHERE ${q('run_id')} IN (SELECT ${q('id')} FROM ${q('ai_model_run')} WHERE ${q('dataset_id')} = ?)`,
      `DELETE FROM ${q('ai_run_assignment_chunk')} WHERE ${q('run_id')} IN (SELECT ${q('id')} FROM ${q('ai_model_run')} WHERE ${q('dataset_id')} = ?)`,
      `DELETE FROM ${q('ai_model_run')} WHERE ${q('dataset_id')} = ?`,
      `DELETE FROM ${q(TABLE)} WHERE ${q('id')} = ?`,
    ];
    for (const sql of statements) await transaction.execute({ sql, parameters: [datasetId], kind: 'delete' });
  }

  async save(record: DatasetRecord, executor: Executor = this.executor): Promise<void> {
    const statements = executor.dialect.compileUpsert({ table: TABLE, keyColumns: ['id'], columns: COLUMNS, rows: [toRow(record)] });
    for (const statement of statements) await executor.execute(statement);
  }

  /**
   * A new dataset, as a plain INSERT: a name another dataset already has is refused by the database
   * (DB_CONSTRAINT_VIOLATION). An UPSERT would not do: MySQL's ON DUPLICATE KEY fires on the unique
   * name too, and would overwrite the other dataset's row.
   */
  async insert(record: DatasetRecord, executor: Executor = this.executor): Promise<void> {
    await executor.execute(executor.dialect.compileInsert(TABLE, COLUMNS, toRow(record)));
  }

  private selectAll(): string {
    const dialect = this.executor.dialect;
    return `SELECT ${COLUMNS.map((column) => dialect.quoteIdentifier(column.name)).join(', ')} FROM ${dialect.quoteIdentifier(TABLE)}`;
  }
}

function toRow(record: DatasetRecord): Record<string, SqlValue> {
  return {
    id: record.id,
    name: record.name,
    table_name: record.table,
    key_columns: JSON.stringify(record.keyColumns),
    feature_columns: JSON.stringify(record.featureColumns),
    description: record.description,
    outcome_table: record.outcomeTable,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

function toRecord(row: Row, prefix = ''): DatasetRecord {
  const column = (name: string) => row[prefix + name];
  return {
    id: String(column('id')),
    name: String(column('name')),
    table: String(column('table_name')),
    keyColumns: JSON.parse(String(column('key_columns'))) as string[],
    featureColumns: JSON.parse(String(column('feature_columns'))) as string[],
    description: textOrNull(column('description')),
    outcomeTable: textOrNull(column('outcome_table')),
    createdAt: column('created_at') as Date,
    updatedAt: column('updated_at') as Date,
  };
}
