import type { Executor } from '../../datastore/contracts';
import type { ColumnDefinition, Row, SqlValue } from '../../datastore/types';
import { textOrNull } from '../../datastore/text-value';
import type { KeysetPage } from '../../shared/keyset-page';
import type { DatasetRecord } from '../dataset/dataset.record';
import { datasetJoin, joinedDataset } from '../dataset/dataset.repository';
import type { IterationRecord, ModelRunRecord, ModelRunWithHistory, RunProgress, RunStatus } from './run.record';
import { servedFailure } from './run-failure';

const TABLE = 'ai_model_run';

const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'string' },
  { name: 'dataset_id', type: 'string' },
  { name: 'status', type: 'string' },
  { name: 'params', type: 'text' },
  { name: 'idempotency_key', type: 'string' },
  { name: 'progress_iteration', type: 'integer' },
  { name: 'progress_max', type: 'integer' },
  { name: 'progress_shift', type: 'double' },
  { name: 'progress_fraction', type: 'double' },
  { name: 'progress_rows', type: 'integer' },
  { name: 'progress_rows_per_s', type: 'double' },
  { name: 'metrics', type: 'text' },
  { name: 'iterations', type: 'text' },
  { name: 'k_selection', type: 'text' },
  { name: 'centroids', type: 'text' },
  { name: 'cluster_sizes', type: 'text' },
  { name: 'preparation', type: 'text' },
  { name: 'error_code', type: 'string' },
  { name: 'error_message', type: 'text' },
  { name: 'owner', type: 'string' },
  { name: 'created_at', type: 'timestamp' },
  { name: 'started_at', type: 'timestamp' },
  { name: 'finished_at', type: 'timestamp' },
  { name: 'heartbeat_at', type: 'timestamp' },
  { name: 'outcomes_published_at', type: 'timestamp' },
  { name: 'publish_error_code', type: 'string' },
  { name: 'publish_error_message', type: 'text' },
  { name: 'publish_error_at', type: 'timestamp' },
  { name: 'attempts', type: 'integer' },
  // Set while the run's own publish is in progress (migration 10); not part of the record.
  { name: 'publishing_since', type: 'timestamp' },
];

// The per-iteration history (up to 5,000 records of JSON, a CLOB on Oracle and Tibero) is read only on
// request (iterationsOf), so a listing's rows stay small.
const HISTORY_COLUMN = 'iterations';
const ROW_COLUMNS = COLUMNS.filter((column) => column.name !== HISTORY_COLUMN);

// The names a listing's joined dataset columns take (datasetJoin): no column of ai_model_run starts so.
const JOINED_DATASET_PREFIX = 'dataset__';

const TIMESTAMP_COLUMNS = new Set(COLUMNS.filter((column) => column.type === 'timestamp').map((column) => column.name));

export interface RunFilter {
  readonly datasetIds?: readonly string[] | null;
  readonly statuses?: readonly RunStatus[] | null;
  readonly createdAfter?: Date | null;
  readonly createdBefore?: Date | null;
}

export type RunOrderField = 'CREATED_AT' | 'FINISHED_AT';
export interface RunOrder {
  readonly field: RunOrderField;
  readonly direction: 'ASC' | 'DESC';
}

/** Where a page of runs starts: after the run with this sort value (the order's column) and id. */
export interface RunKey {
  readonly at: Date | null;
  readonly id: string;
}

/** The column each order sorts on, and whether it can be NULL (a run not finished yet). */
export const RUN_ORDER_COLUMNS: Readonly<Record<RunOrderField, { readonly column: string; readonly nullable: boolean }>> = {
  CREATED_AT: { column: 'created_at', nullable: false },
  FINISHED_AT: { column: 'finished_at', nullable: true },
};

/** A run's key in an order: what a cursor holds. */
export function runKey(run: ModelRunRecord, field: RunOrderField): RunKey {
  return { at: field === 'CREATED_AT' ? run.createdAt : run.finishedAt, id: run.id };
}

/** Column values a status transition writes besides the status itself. */
export type RunChanges = Partial<Record<RunColumn, SqlValue>>;

/** Model runs (table ai_model_run). Structured fields are stored as JSON text. */
export class RunRepository {
  constructor(private readonly executor: Executor) {}

  /** A plain INSERT: a second run with the same idempotency key is refused by the database (DB_CONSTRAINT_VIOLATION). */
  async insert(record: ModelRunRecord | ModelRunWithHistory, executor: Executor = this.executor): Promise<void> {
    await executor.execute(executor.dialect.compileInsert(TABLE, COLUMNS, toRow(record)));
  }

  /** Removes a run that never left QUEUED (a start refused after its row was written); false if it had. */
  async deleteQueued(id: string): Promise<boolean> {
    const count = await this.executor.execute({
      sql: `DELETE FROM ${this.q(TABLE)} WHERE ${this.q('id')} = ? AND ${this.q('status')} = 'QUEUED'`,
      parameters: [id],
      kind: 'delete',
    });
    return count > 0;
  }

  async findByIds(ids: readonly string[]): Promise<ModelRunRecord[]> {
    return this.findWhereIn('id', ids);
  }

  /**
   * The per-iteration history of each run found, by id (null for a run that has none yet): one statement
   * per IN-list's worth of ids. Runs not found are absent from the map.
   */
  async iterationsOf(ids: readonly string[]): Promise<Map<string, IterationRecord[] | null>> {
    const dialect = this.executor.dialect;
    const found = new Map<string, IterationRecord[] | null>();
    for (let start = 0; start < ids.length; start += dialect.maxInListSize) {
      const chunk = ids.slice(start, start + dialect.maxInListSize);
      const rows = await this.executor.query({
        sql: `SELECT ${this.q('id')}, ${this.q(HISTORY_COLUMN)} FROM ${this.q(TABLE)} WHERE ${this.q('id')} IN (${dialect.inList(chunk)})`,
        parameters: chunk,
        kind: 'select',
      });
      for (const row of rows) found.set(String(row.id), parsed<IterationRecord[]>(row[HISTORY_COLUMN]));
    }
    return found;
  }

  async findByIdempotencyKey(key: string): Promise<ModelRunRecord | null> {
    const rows = await this.executor.query({ sql: `${this.selectRow()} WHERE ${this.q('idempotency_key')} = ?`, parameters: [key], kind: 'select' });
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Runs matching the filter in the given order after `page.after` (keyset paging: runs created while
   * a client pages shift no page), `page.limit + 1` of them. The id breaks ties; runs with no value in
   * the order's column (not finished) come last in either direction, on every dialect. Given `fields`,
   * only their columns are read (and the id and the order's column, for the cursors): reading another
   * field of those records throws.
   */
  async list(filter: RunFilter, order: RunOrder, page: KeysetPage<RunKey>, fields?: ReadonlySet<RunRecordField>): Promise<ModelRunRecord[]> {
    return (await this.listPage(filter, order, page, fields, false)).runs;
  }

  /**
   * list, with each listed run's dataset read by the same statement (a LEFT JOIN of ai_dataset), by
   * dataset id: null for a run whose dataset is gone. A listing that shows datasets needs no second
   * statement for them.
   */
  async listWithDatasets(
    filter: RunFilter,
    order: RunOrder,
    page: KeysetPage<RunKey>,
    fields?: ReadonlySet<RunRecordField>,
  ): Promise<{ runs: ModelRunRecord[]; datasets: Map<string, DatasetRecord | null> }> {
    return this.listPage(filter, order, page, fields && new Set<RunRecordField>([...fields, 'datasetId']), true);
  }

  private async listPage(
    filter: RunFilter,
    order: RunOrder,
    page: KeysetPage<RunKey>,
    fields: ReadonlySet<RunRecordField> | undefined,
    withDatasets: boolean,
  ): Promise<{ runs: ModelRunRecord[]; datasets: Map<string, DatasetRecord | null> }> {
    const { column: name, nullable } = RUN_ORDER_COLUMNS[order.field];
    const column = this.q(name);
    const keyset = page.after ? [this.afterKey(column, nullable, order.direction, page.after)] : [];
    const { where, parameters } = this.whereClause(filter, keyset);
    // NULLS LAST is not portable (MySQL, MariaDB lack it), and each dialect puts NULLs elsewhere by default.
    const nullsLast = nullable ? `CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END, ` : '';
    const read = fields && new Set<RunRecordField>([...fields, order.field === 'CREATED_AT' ? 'createdAt' : 'finishedAt']);
    const columns = read ? columnsOfFields(read) : ROW_COLUMNS.map((each) => each.name);
    const select = withDatasets ? this.selectColumnsWithDatasets(columns) : this.selectColumns(columns);
    const sql = `${select}${where} ORDER BY ${nullsLast}${column} ${order.direction}, ${this.q('id')} ${order.direction}`;
    const rows = await this.executor.query(this.executor.dialect.paginate({ sql, parameters, kind: 'select' }, { limit: page.limit + 1, offset: 0 }));
    const datasets = new Map<string, DatasetRecord | null>();
    if (withDatasets) {
      for (const row of rows) {
        const id = String(row.dataset_id);
        if (!datasets.has(id)) datasets.set(id, joinedDataset(row, JOINED_DATASET_PREFIX));
      }
    }
    return { runs: read ? rows.map((row) => partialRecord(row, read)) : rows.map(toRecord), datasets };
  }

  /** How many runs match the filter (ModelRunConnection.totalCount). */
  async count(filter: RunFilter): Promise<number> {
    const { where, parameters } = this.whereClause(filter, []);
    const rows = await this.executor.query({
      sql: `SELECT COUNT(*) AS ${this.q('total')} FROM ${this.q(TABLE)}${where}`,
      parameters,
      kind: 'select',
    });
    return Number(rows[0]?.total ?? 0);
  }

  /**
   * The most recently created run of each dataset (the id breaks ties): only the rows created at each
   * dataset's latest time are read, one statement per IN-list's worth of datasets.
   */
  async latestOfDatasets(datasetIds: readonly string[]): Promise<Map<string, ModelRunRecord>> {
    const dialect = this.executor.dialect;
    const latest = new Map<string, ModelRunRecord>();
    const [datasetId, createdAt] = [this.q('dataset_id'), this.q('created_at')];
    for (let start = 0; start < datasetIds.length; start += dialect.maxInListSize) {
      const chunk = datasetIds.slice(start, start + dialect.maxInListSize);
      const newest =
        `SELECT ${datasetId}, MAX(${createdAt}) AS ${this.q('latest')} FROM ${this.q(TABLE)} ` +
        `WHERE ${datasetId} IN (${dialect.inList(chunk)}) GROUP BY ${datasetId}`;
      const rows = await this.executor.query({
        sql:
          `SELECT ${ROW_COLUMNS.map((column) => `r.${this.q(column.name)}`).join(', ')} FROM ${this.q(TABLE)} r ` +
          `JOIN (${newest}) m ON r.${datasetId} = m.${datasetId} AND r.${createdAt} = m.${this.q('latest')}`,
        parameters: chunk,
        kind: 'select',
      });
      for (const run of rows.map(toRecord)) {
        const current = latest.get(run.datasetId);
        if (!current || run.id > current.id) latest.set(run.datasetId, run);
      }
    }
    return latest;
  }

  /**
   * Moves a run to `to` only if it is in one of `from`, so a terminal state can never change and two
   * writers cannot both win. Given an `owner`, only while that process still holds the run: a run that
   * was requeued and claimed elsewhere is not ended by its former owner. Returns whether this call made
   * the transition.
   */
  async transition(
    id: string,
    from: readonly RunStatus[],
    to: RunStatus,
    changes: RunChanges = {},
    executor: Executor = this.executor,
    owner?: string,
  ): Promise<boolean> {
    const assignments = Object.entries({ status: to, ...changes });
    const q = (name: string) => executor.dialect.quoteIdentifier(name);
    const value = (name: string) => (TIMESTAMP_COLUMNS.has(name) ? executor.dialect.timestampParameterSql() : '?');
    const count = await executor.execute({
      sql:
        `UPDATE ${q(TABLE)} SET ${assignments.map(([name]) => `${q(name)} = ${value(name)}`).join(', ')} ` +
        `WHERE ${q('id')} = ? AND ${q('status')} IN (${executor.dialect.inList(from)})` +
        (owner === undefined ? '' : ` AND ${q('owner')} = ?`),
      parameters: [...assignments.map(([, value]) => value ?? null), id, ...from, ...(owner === undefined ? [] : [owner])],
      kind: 'update',
    });
    return count > 0;
  }

  /**
   * Records progress of a running run; false when the run is no longer RUNNING (e.g. cancelled elsewhere)
   * or, given its `owner`, no longer that process's (requeued after missed heartbeats).
   */
  async recordProgress(id: string, progress: RunProgress, now: Date, owner?: string): Promise<boolean> {
    return this.transition(
      id,
      ['RUNNING'],
      'RUNNING',
      {
        progress_iteration: progress.iteration,
        progress_max: progress.maxIterations,
        progress_shift: progress.lastShift,
        progress_fraction: progress.fraction,
        progress_rows: progress.rowsRead ?? null,
        progress_rows_per_s: progress.rowsPerSecond ?? null,
        heartbeat_at: now,
      },
      this.executor,
      owner,
    );
  }

  /** Keeps the owner's running runs alive. */
  async heartbeat(owner: string, now: Date): Promise<void> {
    await this.executor.execute({
      sql:
        `UPDATE ${this.q(TABLE)} SET ${this.q('heartbeat_at')} = ${this.timestamp()} ` +
        `WHERE ${this.q('owner')} = ? AND (${this.q('status')} IN ('QUEUED', 'RUNNING') OR ${this.q('publishing_since')} IS NOT NULL)`,
      parameters: [now, owner],
      kind: 'update',
    });
  }

  async findActiveOfOwner(owner: string): Promise<ModelRunRecord[]> {
    const rows = await this.executor.query({
      sql: `${this.selectRow()} WHERE ${this.q('owner')} = ? AND ${this.q('status')} IN ('QUEUED', 'RUNNING')`,
      parameters: [owner],
      kind: 'select',
    });
    return rows.map(toRecord);
  }

  /** The ids of the oldest QUEUED runs, at most `limit`, oldest first (the id breaks ties). */
  async oldestQueued(limit: number): Promise<string[]> {
    const sql = `SELECT ${this.q('id')} FROM ${this.q(TABLE)} WHERE ${this.q('status')} = 'QUEUED' ORDER BY ${this.q('created_at')} ASC, ${this.q('id')} ASC`;
    const rows = await this.executor.query(this.executor.dialect.paginate({ sql, parameters: [], kind: 'select' }, { limit, offset: 0 }));
    return rows.map((row) => String(row.id));
  }

  /** How many runs wait in the shared queue (RUN_QUEUE_LIMIT). */
  async countQueued(executor: Executor = this.executor): Promise<number> {
    const rows = await executor.query({
      sql: `SELECT COUNT(*) AS ${executor.dialect.quoteIdentifier('queued')} FROM ${executor.dialect.quoteIdentifier(TABLE)} WHERE ${executor.dialect.quoteIdentifier('status')} = 'QUEUED'`,
      parameters: [],
      kind: 'select',
    });
    return Number(rows[0]?.queued ?? 0);
  }

  /**
   * Takes a QUEUED run for `owner`: one conditional UPDATE, so of replicas claiming the same run only the
   * one whose UPDATE matched the row wins (row count 1), on every dialect. Counts the attempt, and
   * starts its progress afresh: an earlier attempt's is not this one's.
   */
  async claim(id: string, owner: string, now: Date): Promise<boolean> {
    const count = await this.executor.execute({
      sql:
        `UPDATE ${this.q(TABLE)} SET ${this.q('status')} = 'RUNNING', ${this.q('owner')} = ?, ` +
        `${this.q('attempts')} = COALESCE(${this.q('attempts')}, 0) + 1, ${this.q('progress_iteration')} = 0, ${this.q('progress_shift')} = NULL, ${this.q('progress_fraction')} = NULL, ` +
        `${this.q('progress_rows')} = NULL, ${this.q('progress_rows_per_s')} = NULL, ` +
        `${this.q('started_at')} = ${this.timestamp()}, ${this.q('heartbeat_at')} = ${this.timestamp()} ` +
        `WHERE ${this.q('id')} = ? AND ${this.q('status')} = 'QUEUED'`,
      parameters: [owner, now, now, id],
      kind: 'update',
    });
    return count > 0;
  }

  /**
   * Puts a RUNNING run whose owner stopped beating back in the queue, only while that same owner still
   * holds it without a beat since `before`: a late beat or another replica's requeue wins instead.
   */
  async requeue(id: string, owner: string, before: Date): Promise<boolean> {
    return this.backToQueue(`${this.q('heartbeat_at')} < ${this.timestamp()}`, [id, owner, before]);
  }

  /**
   * Gives a RUNNING run back to the queue, unowned, only while `owner` holds it and it has claims left
   * (fewer than `maxAttempts`): its owner is shutting down, or could not begin it. The claim stays
   * counted. False when the run is no longer that owner's, or its claims are spent.
   */
  async giveBack(id: string, owner: string, maxAttempts: number): Promise<boolean> {
    return this.backToQueue(`COALESCE(${this.q('attempts')}, 0) < ?`, [id, owner, maxAttempts]);
  }

  /** Run `id`, RUNNING under `owner` and meeting `condition` (its parameter last), back in the queue unowned. */
  private async backToQueue(condition: string, parameters: [id: string, owner: string, SqlValue]): Promise<boolean> {
    const count = await this.executor.execute({
      sql:
        `UPDATE ${this.q(TABLE)} SET ${this.q('status')} = 'QUEUED', ${this.q('owner')} = NULL, ${this.q('started_at')} = NULL ` +
        `WHERE ${this.q('id')} = ? AND ${this.q('status')} = 'RUNNING' AND ${this.q('owner')} = ? AND ${condition}`,
      parameters,
      kind: 'update',
    });
    return count > 0;
  }

  /** Runs whose own publish began and whose owner has not beaten since `before`: that server stopped mid-publish. */
  async findStalePublishes(before: Date): Promise<ModelRunRecord[]> {
    const rows = await this.executor.query({
      sql: `${this.selectRow()} WHERE ${this.q('publishing_since')} IS NOT NULL AND ${this.q('heartbeat_at')} < ${this.timestamp()}`,
      parameters: [before],
      kind: 'select',
    });
    return rows.map(toRecord);
  }

  /**
   * Records a stale publish (findStalePublishes) as failed with `error`, only while it is still stale
   * and unfinished: a late beat of its owner, or the publish's own ending, wins. True when this call recorded it.
   */
  async failStalePublish(id: string, before: Date, error: { code: string; message: string; at: Date }): Promise<boolean> {
    const count = await this.executor.execute({
      sql:
        `UPDATE ${this.q(TABLE)} SET ${this.q('publish_error_code')} = ?, ${this.q('publish_error_message')} = ?, ` +
        `${this.q('publish_error_at')} = ${this.timestamp()}, ${this.q('publishing_since')} = NULL ` +
        `WHERE ${this.q('id')} = ? AND ${this.q('publishing_since')} IS NOT NULL AND ${this.q('heartbeat_at')} < ${this.timestamp()}`,
      parameters: [error.code, error.message, error.at, id, before],
      kind: 'update',
    });
    return count > 0;
  }

  /** Running runs whose owner has not beaten since `before`: their process is gone. Queued runs have no owner. */
  async findStale(before: Date): Promise<ModelRunRecord[]> {
    const rows = await this.executor.query({
      sql: `${this.selectRow()} WHERE ${this.q('status')} = 'RUNNING' AND ${this.q('heartbeat_at')} < ${this.timestamp()}`,
      parameters: [before],
      kind: 'select',
    });
    return rows.map(toRecord);
  }

  private async findWhereIn(column: string, values: readonly string[]): Promise<ModelRunRecord[]> {
    const dialect = this.executor.dialect;
    const found: ModelRunRecord[] = [];
    for (let start = 0; start < values.length; start += dialect.maxInListSize) {
      const chunk = values.slice(start, start + dialect.maxInListSize);
      const rows = await this.executor.query({
        sql: `${this.selectRow()} WHERE ${this.q(column)} IN (${dialect.inList(chunk)})`,
        parameters: chunk,
        kind: 'select',
      });
      found.push(...rows.map(toRecord));
    }
    return found;
  }

  /** The rows after `key` in the order `column direction, id direction` with NULLs last. */
  private afterKey(column: string, nullable: boolean, direction: 'ASC' | 'DESC', key: RunKey): { sql: string; parameters: SqlValue[] } {
    const beyond = direction === 'ASC' ? '>' : '<';
    const id = this.q('id');
    if (key.at === null) return { sql: `(${column} IS NULL AND ${id} ${beyond} ?)`, parameters: [key.id] };
    const laterNulls = nullable ? ` OR ${column} IS NULL` : '';
    return {
      sql: `(${column} ${beyond} ${this.timestamp()} OR (${column} = ${this.timestamp()} AND ${id} ${beyond} ?)${laterNulls})`,
      parameters: [key.at, key.at, key.id],
    };
  }

  private whereClause(filter: RunFilter, extra: readonly { sql: string; parameters: SqlValue[] }[]): { where: string; parameters: SqlValue[] } {
    const dialect = this.executor.dialect;
    const conditions: string[] = [];
    const parameters: SqlValue[] = [];
    // An empty list is a condition no run meets (IN of nothing), not the absence of one.
    for (const [column, values] of [
      ['dataset_id', filter.datasetIds],
      ['status', filter.statuses],
    ] as const) {
      if (!values) continue;
      conditions.push(values.length === 0 ? '1 = 0' : `${this.q(column)} IN (${dialect.inList(values)})`);
      parameters.push(...values);
    }
    if (filter.createdAfter) {
      conditions.push(`${this.q('created_at')} > ${this.timestamp()}`);
      parameters.push(filter.createdAfter);
    }
    if (filter.createdBefore) {
      conditions.push(`${this.q('created_at')} < ${this.timestamp()}`);
      parameters.push(filter.createdBefore);
    }
    for (const condition of extra) {
      conditions.push(condition.sql);
      parameters.push(...condition.parameters);
    }
    return { where: conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '', parameters };
  }

  private selectRow(): string {
    return this.selectColumns(ROW_COLUMNS.map((column) => column.name));
  }

  private selectColumns(columns: readonly string[]): string {
    return `SELECT ${columns.map((name) => this.q(name)).join(', ')} FROM ${this.q(TABLE)}`;
  }

  private selectColumnsWithDatasets(columns: readonly string[]): string {
    const joined = datasetJoin(this.executor.dialect, JOINED_DATASET_PREFIX, 'joined_dataset');
    const own = columns.map((name) => `${this.q(TABLE)}.${this.q(name)}`).join(', ');
    return `SELECT ${own}, ${joined.select} FROM ${this.q(TABLE)} LEFT JOIN ${joined.table} ON ${joined.id} = ${this.q(TABLE)}.${this.q('dataset_id')}`;
  }

  private q(name: string): string {
    return this.executor.dialect.quoteIdentifier(name);
  }

  private timestamp(): string {
    return this.executor.dialect.timestampParameterSql();
  }
}

const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
const parsed = <T>(value: unknown): T | null => {
  const text = textOrNull(value);
  return text === null ? null : (JSON.parse(text) as T);
};
const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const date = (value: unknown): Date | null => (value instanceof Date ? value : null);

function toRow(record: ModelRunRecord | ModelRunWithHistory): Record<string, SqlValue> {
  return {
    id: record.id,
    dataset_id: record.datasetId,
    status: record.status,
    params: JSON.stringify(record.params),
    idempotency_key: record.idempotencyKey,
    progress_iteration: record.progress.iteration,
    progress_max: record.progress.maxIterations,
    progress_shift: record.progress.lastShift,
    progress_fraction: record.progress.fraction,
    progress_rows: record.progress.rowsRead ?? null,
    progress_rows_per_s: record.progress.rowsPerSecond ?? null,
    metrics: json(record.metrics),
    iterations: 'iterations' in record ? json(record.iterations) : null,
    k_selection: json(record.kSelection),
    centroids: json(record.centroids),
    cluster_sizes: json(record.clusterSizes),
    preparation: json(record.preparation),
    error_code: record.error?.code ?? null,
    error_message: record.error?.message ?? null,
    owner: record.owner,
    created_at: record.createdAt,
    started_at: record.startedAt,
    finished_at: record.finishedAt,
    heartbeat_at: record.heartbeatAt,
    outcomes_published_at: record.outcomesPublishedAt,
    publish_error_code: record.publishError?.code ?? null,
    publish_error_message: record.publishError?.message ?? null,
    publish_error_at: record.publishError?.at ?? null,
    attempts: record.attempts,
    publishing_since: null,
  };
}

/** The columns of ai_model_run (each run row's). */
export type RunColumn = (typeof COLUMNS)[number]['name'];

interface FieldReader<K extends keyof ModelRunRecord> {
  readonly columns: readonly RunColumn[];
  readonly read: (row: Row) => ModelRunRecord[K];
}

/**
 * How each field of a run record is read from its row, and the columns it needs: a list reads only the
 * columns of the fields asked for (RunRepository.list). A mapped type, so a new field must be listed.
 */
export const RECORD_FIELDS: { readonly [K in keyof ModelRunRecord]-?: FieldReader<K> } = {
  id: { columns: ['id'], read: (row) => String(row.id) },
  datasetId: { columns: ['dataset_id'], read: (row) => String(row.dataset_id) },
  status: { columns: ['status'], read: (row) => String(row.status) as RunStatus },
  params: { columns: ['params'], read: (row) => parsed<ModelRunRecord['params']>(row.params)! },
  idempotencyKey: { columns: ['idempotency_key'], read: (row) => textOrNull(row.idempotency_key) },
  progress: {
    columns: ['status', 'params', 'progress_iteration', 'progress_max', 'progress_shift', 'progress_fraction', 'progress_rows', 'progress_rows_per_s'],
    read: progressOf,
  },
  metrics: { columns: ['metrics'], read: (row) => parsed(row.metrics) },
  kSelection: { columns: ['k_selection'], read: (row) => parsed(row.k_selection) },
  centroids: { columns: ['centroids'], read: (row) => parsed(row.centroids) },
  clusterSizes: { columns: ['cluster_sizes'], read: (row) => parsed(row.cluster_sizes) },
  preparation: { columns: ['preparation'], read: (row) => parsed(row.preparation) },
  error: {
    columns: ['error_code', 'error_message'],
    read: (row) => {
      const code = textOrNull(row.error_code);
      // Masked on the way out too: rows an older server stored with the driver's words are served as new ones are.
      return code === null ? null : servedFailure({ code, message: textOrNull(row.error_message) ?? '' });
    },
  },
  owner: { columns: ['owner'], read: (row) => textOrNull(row.owner) },
  attempts: { columns: ['attempts'], read: (row) => (row.attempts === null || row.attempts === undefined ? 0 : Number(row.attempts)) },
  createdAt: { columns: ['created_at'], read: (row) => row.created_at as Date },
  startedAt: { columns: ['started_at'], read: (row) => date(row.started_at) },
  finishedAt: { columns: ['finished_at'], read: (row) => date(row.finished_at) },
  heartbeatAt: { columns: ['heartbeat_at'], read: (row) => date(row.heartbeat_at) },
  outcomesPublishedAt: { columns: ['outcomes_published_at'], read: (row) => date(row.outcomes_published_at) },
  publishError: {
    columns: ['publish_error_code', 'publish_error_message', 'publish_error_at'],
    read: (row) => {
      const code = textOrNull(row.publish_error_code);
      return code === null ? null : { code, message: textOrNull(row.publish_error_message) ?? '', at: date(row.publish_error_at) ?? new Date(0) };
    },
  },
};

export type RunRecordField = keyof ModelRunRecord;
const ALL_FIELDS = Object.keys(RECORD_FIELDS) as RunRecordField[];

function progressOf(row: Row): RunProgress {
  const iteration = Number(row.progress_iteration ?? 0);
  // A row an older server wrote may lack progress_max: the run's budget stands in (params is parsed only then).
  const maxIterations = Number(row.progress_max ?? parsed<ModelRunRecord['params']>(row.params)!.maxIterations);
  return {
    iteration,
    maxIterations,
    // The executor's estimate of the work done (run-progress.ts); a finished run reads 1. A run an
    // older server recorded has none: its iterations against their budget stand in.
    fraction:
      String(row.status) === 'SUCCEEDED'
        ? 1
        : row.progress_fraction !== null && row.progress_fraction !== undefined
          ? Number(row.progress_fraction)
          : maxIterations > 0
            ? Math.min(1, iteration / maxIterations)
            : 0,
    lastShift: row.progress_shift === null || row.progress_shift === undefined ? null : Number(row.progress_shift),
    rowsRead: numberOrNull(row.progress_rows),
    rowsPerSecond: numberOrNull(row.progress_rows_per_s),
  };
}

/** The columns the record fields `fields` (and the id) are read from, in table order. */
export function columnsOfFields(fields: Iterable<RunRecordField>): RunColumn[] {
  const needed = new Set<RunColumn>(['id']);
  for (const field of fields) for (const column of RECORD_FIELDS[field].columns) needed.add(column);
  return ROW_COLUMNS.map((column) => column.name).filter((name) => needed.has(name));
}

export function toRecord(row: Row): ModelRunRecord {
  const record: Partial<Record<RunRecordField, unknown>> = {};
  for (const field of ALL_FIELDS) record[field] = RECORD_FIELDS[field].read(row);
  return record as unknown as ModelRunRecord;
}

/**
 * A record of only `fields` (and the id). Reading any other field throws, so a field missing from a
 * selection's mapping fails loudly instead of answering a wrong value.
 */
function partialRecord(row: Row, fields: ReadonlySet<RunRecordField>): ModelRunRecord {
  const record: Partial<Record<RunRecordField, unknown>> = { id: RECORD_FIELDS.id.read(row) };
  for (const field of fields) record[field] = RECORD_FIELDS[field].read(row);
  return new Proxy(record, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !(key in target) && key in RECORD_FIELDS) throw new Error(`the run field ${key} was not read for this request`);
      return Reflect.get(target, key, receiver) as unknown;
    },
  }) as unknown as ModelRunRecord;
}
