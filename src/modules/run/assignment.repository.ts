import type { Executor } from '../../datastore/contracts';
import { textOrNull } from '../../datastore/text-value';
import type { SqlDialect } from '../../datastore/dialects';
import type { ColumnDefinition, Row, Statement } from '../../datastore/types';
import { executeInTurn } from '../../datastore/execute-in-turn';
import { executeUpsert } from '../../datastore/upsert/execute-upsert';
import type { KeysetPage } from '../../shared/keyset-page';
import { compareKeys, decodeAssignmentChunk, encodeAssignmentChunk, type AssignmentColumns } from './assignment-chunk-codec';
import { inKeyOrder, keyOrder, pickRows } from './assignment-order';

// Runs stored before migration 7: one row per entity. Newer runs: packed chunks.
const ROWS_TABLE = 'ai_run_assignment';
const CHUNK_TABLE = 'ai_run_assignment_chunk';
// Oracle takes at most 1,000 expressions in an IN list; the dialect's bind limit may be lower.
const MAX_KEYS_PER_STATEMENT = 500;
/** Rows a chunk holds: about 0.5 MB of base64 for short keys; 1M rows are 62 INSERTs (bench/RESULTS.md). */
export const ASSIGNMENT_CHUNK_ROWS = 16_384;

const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'run_id', type: 'string' },
  { name: 'entity_key', type: 'string' },
  { name: 'cluster', type: 'integer' },
  { name: 'distance', type: 'double' },
];

const CHUNK_COLUMNS: readonly ColumnDefinition[] = [
  { name: 'run_id', type: 'string', length: 64 },
  { name: 'chunk_index', type: 'integer' },
  { name: 'row_count', type: 'integer' },
  { name: 'first_key', type: 'string', length: 512 },
  { name: 'last_key', type: 'string', length: 512 },
  { name: 'packed', type: 'text' },
];

export interface Assignment {
  readonly entityKey: string;
  readonly cluster: number;
  readonly distance: number;
}

interface ChunkEntry {
  readonly index: number;
  readonly rows: number;
  readonly firstKey: string;
  readonly lastKey: string;
}

/**
 * Each entity's cluster in a finished run: packed chunks (ai_run_assignment_chunk, keys sorted in each),
 * or one row per entity for runs stored before migration 7 (ai_run_assignment). Every read serves both.
 */
export class AssignmentRepository {
  constructor(
    private readonly executor: Executor,
    private readonly chunkRows = ASSIGNMENT_CHUNK_ROWS,
  ) {}

  /** Stores a run's assignments (any order) as chunks of chunkRows in key order, one INSERT a chunk. */
  async save(runId: string, assignments: readonly Assignment[], executor: Executor): Promise<void> {
    await this.saveColumns(
      runId,
      {
        keys: assignments.map((assignment) => assignment.entityKey),
        clusters: Int32Array.from(assignments, (assignment) => assignment.cluster),
        distances: Float64Array.from(assignments, (assignment) => assignment.distance),
      },
      executor,
    );
  }

  /** save() for columns; `sorted`: the keys are already in key order (compareKeys). An empty run stores one empty chunk. */
  async saveColumns(runId: string, columns: AssignmentColumns, executor: Executor, sorted = false): Promise<void> {
    // Each chunk is packed while the database stores the one before.
    await executeInTurn(executor, this.chunkInserts(runId, columns, sorted ? null : keyOrder(columns.keys), executor.dialect));
  }

  /** One INSERT a chunk of chunkRows, in `order` (or as given), each built when asked for; at least one. */
  private *chunkInserts(runId: string, columns: AssignmentColumns, order: Uint32Array | null, dialect: SqlDialect): Iterable<Statement> {
    const rows = columns.keys.length;
    let index = 0;
    do {
      const end = Math.min(rows, (index + 1) * this.chunkRows);
      const start = index * this.chunkRows;
      const chunk = order
        ? pickRows(columns, order, start, end)
        : { keys: columns.keys.slice(start, end), clusters: columns.clusters.subarray(start, end), distances: columns.distances.subarray(start, end) };
      yield chunkInsert(runId, index, chunk, dialect);
      index += 1;
    } while (index * this.chunkRows < rows);
  }

  /** One row per entity, as runs were stored before migration 7 (kept for them and for tests of them). */
  async saveRows(runId: string, assignments: readonly Assignment[], executor: Executor): Promise<void> {
    const rows = assignments.map((assignment) => ({ entity_key: assignment.entityKey, cluster: assignment.cluster, distance: assignment.distance }));
    await executeUpsert(executor, {
      table: ROWS_TABLE,
      keyColumns: ['run_id', 'entity_key'],
      columns: COLUMNS,
      rows,
      newKeysOnly: true,
      sharedValues: { run_id: runId },
    });
  }

  /**
   * Brings the planner's statistics of the per-entity table up to date (SqlDialect.refreshStatisticsStatements),
   * on its own, outside any transaction: publishing a run stored before migration 7 joins it.
   */
  async refreshStatistics(): Promise<void> {
    for (const statement of this.executor.dialect.refreshStatisticsStatements(ROWS_TABLE)) await this.executor.execute(statement);
  }

  /**
   * Hands each chunk of a stored run to `onChunk`, in chunk order, reading on `executor`; false (and
   * nothing handed) for a run stored one row per entity before migration 7.
   */
  async forEachChunk(runId: string, executor: Executor, onChunk: (chunk: AssignmentColumns) => Promise<void>): Promise<boolean> {
    const entries = await this.chunkEntries(runId, executor);
    for (const entry of entries) await onChunk(await this.readChunk(runId, entry.index, executor));
    return entries.length > 0;
  }

  /** A page of a run's assignments in entity-key order after `page.after`, optionally of one cluster; `limit + 1` rows. */
  async page(runId: string, cluster: number | null, page: KeysetPage<string>): Promise<Assignment[]> {
    const entries = await this.chunkEntries(runId, this.executor);
    if (entries.length === 0) return this.pageOfRows(runId, cluster, page);
    const after = page.after;
    const candidates = entries
      .filter((entry) => entry.rows > 0 && (after === null || compareKeys(entry.lastKey, after) > 0))
      .sort((a, b) => compareKeys(a.firstKey, b.firstKey));
    const wanted = page.limit + 1;
    let found: Assignment[] = [];
    for (const entry of candidates) {
      // Chunks come by first key: once `wanted` rows are found before this chunk's first key, none of it can be in the page.
      if (found.length >= wanted && compareKeys(found[wanted - 1]!.entityKey, entry.firstKey) < 0) break;
      const chunk = await this.readChunk(runId, entry.index, this.executor);
      for (let row = 0; row < chunk.keys.length; row++) {
        const key = chunk.keys[row]!;
        if ((cluster === null || chunk.clusters[row] === cluster) && (after === null || compareKeys(key, after) > 0)) {
          found.push({ entityKey: key, cluster: chunk.clusters[row]!, distance: chunk.distances[row]! });
        }
      }
      found = found.sort((a, b) => compareKeys(a.entityKey, b.entityKey)).slice(0, wanted);
    }
    return found;
  }

  /** The clusters of the given entities in a run; keys the run did not assign are absent. */
  async clustersOf(runId: string, entityKeys: readonly string[]): Promise<Map<string, number>> {
    const entries = await this.chunkEntries(runId, this.executor);
    if (entries.length === 0) return this.clustersOfRows(runId, entityKeys);
    const clusters = new Map<string, number>();
    for (const entry of entries) {
      const inRange = entityKeys.filter((key) => entry.rows > 0 && compareKeys(key, entry.firstKey) >= 0 && compareKeys(key, entry.lastKey) <= 0);
      if (inRange.length === 0) continue;
      const chunk = await this.readChunk(runId, entry.index, this.executor);
      for (const key of inRange) {
        const row = findKey(chunk.keys, key);
        if (row >= 0) clusters.set(key, chunk.clusters[row]!);
      }
    }
    return clusters;
  }

  /** How many assignments the run has, optionally in one cluster (AssignmentConnection.totalCount). */
  async count(runId: string, cluster: number | null): Promise<number> {
    const entries = await this.chunkEntries(runId, this.executor);
    if (entries.length === 0) return this.countOfRows(runId, cluster);
    if (cluster === null) return entries.reduce((sum, entry) => sum + entry.rows, 0);
    let count = 0;
    for (const entry of entries) {
      if (entry.rows === 0) continue;
      const { clusters } = decodeAssignmentChunk(await this.packedChunk(runId, entry.index, this.executor), false);
      for (const value of clusters) if (value === cluster) count += 1;
    }
    return count;
  }

  private async chunkEntries(runId: string, executor: Executor): Promise<ChunkEntry[]> {
    const q = (name: string) => executor.dialect.quoteIdentifier(name);
    const rows = await executor.query({
      sql: `SELECT ${['chunk_index', 'row_count', 'first_key', 'last_key'].map(q).join(', ')} FROM ${q(CHUNK_TABLE)} WHERE ${q('run_id')} = ? ORDER BY ${q('chunk_index')}`,
      parameters: [runId],
      kind: 'select',
    });
    // Oracle and Tibero read an empty key back as NULL.
    return rows.map((row) => ({
      index: Number(row.chunk_index),
      rows: Number(row.row_count),
      firstKey: textOrNull(row.first_key) ?? '',
      lastKey: textOrNull(row.last_key) ?? '',
    }));
  }

  private async readChunk(runId: string, index: number, executor: Executor): Promise<AssignmentColumns> {
    return decodeAssignmentChunk(await this.packedChunk(runId, index, executor));
  }

  private async packedChunk(runId: string, index: number, executor: Executor): Promise<Buffer> {
    const q = (name: string) => executor.dialect.quoteIdentifier(name);
    const rows = await executor.query({
      sql: `SELECT ${q('packed')} FROM ${q(CHUNK_TABLE)} WHERE ${q('run_id')} = ? AND ${q('chunk_index')} = ?`,
      parameters: [runId, index],
      kind: 'select',
    });
    return Buffer.from(textOrNull(rows[0]?.packed) ?? '', 'base64');
  }

  private async pageOfRows(runId: string, cluster: number | null, page: KeysetPage<string>): Promise<Assignment[]> {
    const dialect = this.executor.dialect;
    const q = (name: string) => dialect.quoteIdentifier(name);
    const clusterCondition = cluster === null ? '' : ` AND ${q('cluster')} = ?`;
    // entity_key is part of the primary key: never NULL, never two equal ones in a run.
    const afterCondition = page.after === null ? '' : ` AND ${q('entity_key')} > ?`;
    const rows = await this.executor.query(
      dialect.paginate(
        {
          sql: `SELECT ${q('entity_key')}, ${q('cluster')}, ${dialect.exactDoubleSelectSql(q('distance'))} FROM ${q(ROWS_TABLE)} WHERE ${q('run_id')} = ?${clusterCondition}${afterCondition} ORDER BY ${q('entity_key')}`,
          parameters: [runId, ...(cluster === null ? [] : [cluster]), ...(page.after === null ? [] : [page.after])],
          kind: 'select',
        },
        { limit: page.limit + 1, offset: 0 },
      ),
    );
    return rows.map((row) => toAssignment(row, dialect));
  }

  private async clustersOfRows(runId: string, entityKeys: readonly string[]): Promise<Map<string, number>> {
    const q = (name: string) => this.executor.dialect.quoteIdentifier(name);
    const chunk = Math.max(1, Math.min(MAX_KEYS_PER_STATEMENT, this.executor.dialect.maxBindParameters - 1));
    const clusters = new Map<string, number>();
    for (let start = 0; start < entityKeys.length; start += chunk) {
      const keys = entityKeys.slice(start, start + chunk);
      const rows = await this.executor.query({
        sql: `SELECT ${q('entity_key')}, ${q('cluster')} FROM ${q(ROWS_TABLE)} WHERE ${q('run_id')} = ? AND ${q('entity_key')} IN (${keys.map(() => '?').join(', ')})`,
        parameters: [runId, ...keys],
        kind: 'select',
      });
      for (const row of rows) clusters.set(String(row.entity_key), Number(row.cluster));
    }
    return clusters;
  }

  private async countOfRows(runId: string, cluster: number | null): Promise<number> {
    const q = (name: string) => this.executor.dialect.quoteIdentifier(name);
    const rows = await this.executor.query({
      sql: `SELECT COUNT(*) AS ${q('total')} FROM ${q(ROWS_TABLE)} WHERE ${q('run_id')} = ?${cluster === null ? '' : ` AND ${q('cluster')} = ?`}`,
      parameters: cluster === null ? [runId] : [runId, cluster],
      kind: 'select',
    });
    return Number(rows[0]?.total ?? 0);
  }
}

/** The row of `key` in keys sorted by compareKeys, or -1. */
function findKey(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = compareKeys(keys[middle]!, key);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

function toAssignment(row: Row, dialect: SqlDialect): Assignment {
  return { entityKey: String(row.entity_key), cluster: Number(row.cluster), distance: dialect.exactDouble(row.distance) };
}

/**
 * The INSERT of one chunk of a run's assignments: indexes from 0, each once, keys unique in the run
 * (chunks may overlap in key range; reads then read more chunks). Its keys sorted here if they are not.
 */
function chunkInsert(runId: string, chunkIndex: number, chunk: AssignmentColumns, dialect: SqlDialect): Statement {
  const sorted = inKeyOrder(chunk.keys) ? chunk : pickRows(chunk, keyOrder(chunk.keys));
  const rows = sorted.keys.length;
  return dialect.compileInsert(CHUNK_TABLE, CHUNK_COLUMNS, {
    run_id: runId,
    chunk_index: chunkIndex,
    row_count: rows,
    first_key: rows === 0 ? null : sorted.keys[0]!,
    last_key: rows === 0 ? null : sorted.keys[rows - 1]!,
    packed: encodeAssignmentChunk(sorted).toString('base64'),
  });
}
