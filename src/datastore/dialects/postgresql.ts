import type {
  ColumnDefinition,
  ColumnType,
  DatabaseFailure,
  OrderedRead,
  PackedPageProbe,
  PackedPageStatement,
  SqlCondition,
  SqlValue,
  Statement,
  UpsertSpec,
  UpsertTarget,
} from '../types';
import type { SetBasedUpsert } from '../upsert/upsert-dialect';
import { valueText } from '../values';
import type { PackedForm } from '../packed-page';
import { SCHEMA_LOCK_KEY, SqlDialect, type ColumnRows, type DriverErrorFacts, type SchemaLockStatements } from './dialect';

// The array type each column's values travel in (see setBasedUpsert).
const ARRAY_TYPES: Record<ColumnType, string> = {
  string: 'text[]',
  text: 'text[]',
  integer: 'integer[]',
  bigint: 'bigint[]',
  double: 'double precision[]',
  timestamp: 'timestamp[]',
  boolean: 'boolean[]',
};

/** PostgreSQL (≥ 9.5 for ON CONFLICT; the Oracle MERGE compatibility check needs ≥ 15) through psqlODBC. */
export class PostgresqlDialect extends SqlDialect {
  readonly variant = 'postgresql' as const;
  override readonly transactionalDdl: boolean = true;
  // psqlODBC 13.02 loses the connection ("lost synchronization with server") past about 7,000 (7,500 failed).
  override readonly maxBindParameters: number = 7_000;
  /** Most rows one array UPSERT statement carries (see setBasedUpsert). Default: 50,000. */
  readonly maxRowsPerArrayStatement: number = 50_000;
  /** Most rows one columnArraysSources source carries: 1M rows took 4.9 s in batches of 250k, 7.9 s of 50k (loaded machine). Default: 250,000. */
  readonly maxRowsPerArraySource: number = 250_000;
  /** Most characters of array text one array UPSERT statement carries, over all its columns. Default: 16 Mi. */
  readonly maxArrayTextPerStatement: number = 16 * 1024 * 1024;

  // A REAL as the double of its own text (-1.7046803e-31, as the packed form reads it), not the float's
  // exact value (-1.7046802784664262e-31); any other number cast straight: the text round trip for every
  // column made 1M × 10 read in 6.1 s instead of 4.5 s (bench/driver-read.ts), pg_typeof per value costs
  // about nothing.
  override exactNumberSql(column: string): string {
    return `CASE WHEN pg_typeof(${column}) = 'real'::regtype THEN CAST(CAST(${column} AS TEXT) AS DOUBLE PRECISION) ELSE CAST(${column} AS DOUBLE PRECISION) END`;
  }

  /**
   * A page of a read whose one key is an integer and whose other columns are numbers, as one JSON text
   * (packed-page.ts): each double as PostgreSQL writes it since 12, the shortest text that reads back
   * as itself (packedPageProbe checks this server's extra_float_digits), built by the server where
   * psqlODBC and the `odbc` package would hand over each value on its own: 1M × 10 in about two thirds
   * of the time (bench/RESULTS.md). It also reads a REAL whole, where the driver drops the exponent of
   * a long one (-1.7046803e-31 reads as -1.7046803).
   */
  override compilePackedPage(read: OrderedRead, conditions: readonly SqlCondition[], limit: number): PackedPageStatement | undefined {
    return this.packedPage(read, conditions, limit, packedPageSql);
  }

  override packedPageProbe(): PackedPageProbe {
    return this.packedProbe('?::float8 * power(2::float8, ?::float8)', packedPageSql);
  }

  /**
   * Whether an UPSERT from a SELECT is a MERGE (≥ 15), which joins the source once where ON CONFLICT
   * inserts each row speculatively (1M rows: 2.8 s against 5.0 s). Default false until the version is known.
   */
  readonly mergeFromSelect: boolean;

  constructor(serverVersion?: string) {
    super();
    const major = /PostgreSQL (\d+)/i.exec(serverVersion ?? '')?.[1];
    this.mergeFromSelect = major !== undefined && Number(major) >= 15;
  }

  serverVersionStatement(): Statement {
    return { sql: 'SELECT version() AS version', parameters: [], kind: 'select' };
  }

  override compileUpsertFromSelectPreamble(target: UpsertTarget, sourceBound = false): Statement[] {
    if (!this.mergeFromSelect) return [];
    return [
      // A concurrent insert of the same key fails MERGE (ON CONFLICT would update): writers take turns,
      // readers do not wait (SHARE ROW EXCLUSIVE conflicts with itself and with INSERT/UPDATE/DELETE only).
      { sql: `LOCK TABLE ${this.quoteIdentifier(target.table)} IN SHARE ROW EXCLUSIVE MODE`, parameters: [], kind: 'other' },
      // Planned from stale statistics as a nested loop, a 1M-row MERGE ran past 30 s; as a hash join 5-7 s
      // (bench/publish-after-delete.ts). SET LOCAL ends with the transaction. Not for bound arrays: no
      // statistics to go stale, and a hash join would scan the whole outcome table for each batch.
      ...(sourceBound ? [] : [{ sql: 'SET LOCAL enable_nestloop = off', parameters: [], kind: 'other' as const }]),
    ];
  }

  // Outside the transaction: ANALYZE's lock conflicts with itself, so two runs would wait for each other's commit.
  override refreshStatisticsStatements(table: string): Statement[] {
    return [{ sql: `ANALYZE ${this.quoteIdentifier(table)}`, parameters: [], kind: 'other' }];
  }

  protected override upsertFromSelectSql(spec: UpsertSpec, select: string): string {
    if (!this.mergeFromSelect) return super.upsertFromSelectSql(spec, select);
    const q = (name: string) => this.quoteIdentifier(name);
    const on = spec.keyColumns.map((name) => `t.${q(name)} = s.${q(name)}`).join(' AND ');
    const updates = this.updatableColumns(spec).map((column) => `${q(column.name)} = s.${q(column.name)}`);
    return (
      `MERGE INTO ${q(spec.table)} AS t USING (${select}) AS s ON ${on}` +
      (updates.length > 0 ? ` WHEN MATCHED THEN UPDATE SET ${updates.join(', ')}` : ' WHEN MATCHED THEN DO NOTHING') +
      ` WHEN NOT MATCHED THEN INSERT (${this.columnList(spec.columns)}) VALUES (${spec.columns.map((column) => `s.${q(column.name)}`).join(', ')})`
    );
  }

  // The per-row columns as arrays read by unnest, the shared values bound once: as a MERGE source (≥ 15) 200k
  // rows took 1.5–1.7 s against 3.6–4.6 s for setBasedUpsert's ON CONFLICT with every column an array.
  // Built a batch at a time, when asked for, so the next is built while the database runs one.
  override *columnArraysSources(columns: readonly ColumnDefinition[], shared: Readonly<Record<string, SqlValue>>, rows: ColumnRows): Iterable<Statement> {
    const q = (name: string) => this.quoteIdentifier(name);
    const isShared = (column: ColumnDefinition) => Object.hasOwn(shared, column.name);
    const perRow = columns.filter((column) => !isShared(column));
    const selected = columns.map((column) =>
      isShared(column) ? `CAST(? AS ${ARRAY_TYPES[column.type].slice(0, -2)}) AS ${q(column.name)}` : `u.${q(column.name)} AS ${q(column.name)}`,
    );
    const sql =
      `SELECT ${selected.join(', ')} FROM unnest(${perRow.map((column) => `CAST(? AS ${ARRAY_TYPES[column.type]})`).join(', ')}) ` +
      `AS u(${perRow.map((column) => q(column.name)).join(', ')}) WHERE true`;
    const sharedParameters = columns.filter(isShared).map((column) => shared[column.name]!);
    for (let start = 0; start < rows.count;) {
      const texts: string[][] = perRow.map(() => []);
      let size = 0;
      let row = start;
      for (; row < rows.count && row - start < this.maxRowsPerArraySource && size < this.maxArrayTextPerStatement; row++) {
        for (let index = 0; index < perRow.length; index++) {
          const text = fastArrayElement(rows.value(row, perRow[index]!.name), index);
          texts[index]!.push(text);
          size += text.length + 1;
        }
      }
      yield { sql, parameters: [...sharedParameters, ...texts.map((column) => `{${column.join(',')}}`)], kind: 'select' };
      start = row;
    }
  }

  // A text value over about 2 KB is compressed (pglz) before it is stored out of line, and kept raw only
  // after the attempt: 62 chunks of a 1M-row run's assignments (28 MB of base64) took 0.59 s to INSERT
  // that way, 0.09 s as EXTERNAL (out of line, uncompressed), the same 30 MB on disk either way.
  override compileStoreUncompressed(table: string, column: string): Statement[] {
    return [
      { sql: `ALTER TABLE ${this.quoteIdentifier(table)} ALTER COLUMN ${this.quoteIdentifier(column)} SET STORAGE EXTERNAL`, parameters: [], kind: 'ddl' },
    ];
  }

  // Advisory locks are scoped to the database; a session-level one waits, and ends with its connection.
  override schemaLockStatements(): SchemaLockStatements {
    return {
      acquire: { sql: 'SELECT 1 AS acquired FROM (SELECT pg_advisory_lock(CAST(? AS bigint))) AS held', parameters: [SCHEMA_LOCK_KEY], kind: 'select' },
      release: { sql: 'SELECT pg_advisory_unlock(CAST(? AS bigint)) AS released', parameters: [SCHEMA_LOCK_KEY], kind: 'select' },
    };
  }

  currentUtcTimestampSql(): string {
    return "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')";
  }

  columnTypeSql(column: ColumnDefinition): string {
    switch (column.type) {
      case 'string':
        return `VARCHAR(${column.length ?? 255})`;
      case 'text':
        return 'TEXT';
      case 'integer':
        return 'INTEGER';
      case 'bigint':
        return 'BIGINT';
      case 'double':
        return 'DOUBLE PRECISION';
      case 'timestamp':
        return 'TIMESTAMP(3)';
      case 'boolean':
        return 'BOOLEAN';
    }
  }

  // psqlODBC sends text parameters typed as varchar; PostgreSQL will not assign varchar to a timestamp or
  // boolean column implicitly, so those placeholders carry a cast.
  protected override placeholder(column: ColumnDefinition): string {
    if (column.type === 'timestamp') return 'CAST(? AS TIMESTAMP)';
    if (column.type === 'boolean') return 'CAST(? AS BOOLEAN)';
    return '?';
  }

  listTablesStatement(): Statement {
    return {
      sql: 'SELECT table_name AS table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name',
      parameters: [],
      kind: 'catalog',
    };
  }

  listColumnsStatement(tables: readonly string[]): Statement {
    return {
      sql:
        'SELECT table_name AS table_name, column_name AS column_name, data_type AS data_type, is_nullable AS is_nullable, ' +
        'ordinal_position AS position FROM information_schema.columns ' +
        `WHERE table_schema = current_schema() AND table_name IN (${this.inList(tables)}) ORDER BY table_name, ordinal_position`,
      parameters: [...tables],
      kind: 'catalog',
    };
  }

  listIndexesStatement(tables: readonly string[]): Statement {
    return {
      sql: `SELECT indexname AS index_name FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN (${this.inList(tables)}) ORDER BY indexname`,
      parameters: [...tables],
      kind: 'catalog',
    };
  }

  primaryKeyStatement(table: string): Statement {
    return {
      sql:
        'SELECT k.column_name AS column_name FROM information_schema.table_constraints c ' +
        'JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name ' +
        'AND k.table_schema = c.table_schema AND k.table_name = c.table_name ' +
        "WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() AND c.table_name = ? " +
        'ORDER BY k.ordinal_position',
      parameters: [table],
      kind: 'catalog',
    };
  }

  valuesUpsertSql(spec: UpsertSpec, rowCount: number): string {
    return this.onConflictUpsertSql(spec, rowCount);
  }

  // One array literal per column, unnested back into rows (in order): a statement costs its rows, not
  // psqlODBC's parameters.
  override setBasedUpsert(spec: UpsertSpec): SetBasedUpsert {
    const arrays = spec.columns.map((column) => `CAST(? AS ${ARRAY_TYPES[column.type]})`).join(', ');
    return {
      sql: `INSERT INTO ${this.quoteIdentifier(spec.table)} (${this.columnList(spec.columns)}) SELECT * FROM unnest(${arrays}) ${this.onConflictClause(spec)}`,
      encode: arrayElement,
      sizeOf: (text) => text.length,
      maxRows: this.maxRowsPerArrayStatement,
      maxSize: this.maxArrayTextPerStatement,
      parameters: (columns) => columns.map((texts) => `{${texts.join(',')}}`),
    };
  }

  protected override classifyNative(facts: DriverErrorFacts): DatabaseFailure | undefined {
    // 57P01–57P05 (admin_shutdown from pg_terminate_backend or a server stop, crash_shutdown,
    // cannot_connect_now, database_dropped, idle_session_timeout): the server has ended the session.
    // psqlODBC reports the next statement on such a connection as 57P01, and only the one after as 08S01.
    if (/^57P0[1-5]$/.test(facts.sqlState ?? '')) return 'connection';
    if (/server closed the connection|could not connect|connection refused|no connection to the server|lost synchronization/i.test(facts.message)) {
      return 'connection';
    }
    // psqlODBC puts each statement behind a SAVEPOINT: a session ended while idle in a transaction first
    // fails there, as HY000 with no other record.
    if (/internal SAVEPOINT failed/i.test(facts.message)) return 'connection';
    return undefined;
  }

  // psqlODBC (UseDeclareFetch=0) holds a whole result in memory first: 1M rows × 10 features took 650 MB
  // above baseline against 225 MB through a declared cursor (bench/read.ts).
  override serverCursorStatements(statement: Statement, fetchSize: number): { declare: Statement; fetch: Statement; close: Statement } {
    return {
      declare: { ...statement, sql: `DECLARE aimodel_read NO SCROLL CURSOR FOR ${statement.sql}` },
      fetch: { sql: `FETCH FORWARD ${Math.max(1, Math.floor(fetchSize))} FROM aimodel_read`, parameters: [], kind: 'select' },
      close: { sql: 'CLOSE aimodel_read', parameters: [], kind: 'other' },
    };
  }
}

/**
 * One element of a PostgreSQL array literal: NULL bare, numbers bare and exact, every text double-quoted
 * with `"` and `\` escaped, so commas, braces, '' and the text "NULL" stay what they are.
 */
function arrayElement(value: SqlValue | undefined, index: number): string {
  const text = valueText(value, index);
  if (text === null) return 'NULL';
  if (typeof value === 'number' || typeof value === 'bigint') return text;
  return `"${NEEDS_ESCAPE.test(text) ? text.replace(/["\\]/g, '\\$&') : text}"`;
}

const NEEDS_ESCAPE = /["\\]/;

/** arrayElement, with the common cases (a finite number, a text) first. */
function fastArrayElement(value: SqlValue | undefined, index: number): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return `"${NEEDS_ESCAPE.test(value) ? value.replace(/["\\]/g, '\\$&') : value}"`;
  return arrayElement(value, index);
}

/**
 * Each row `key,value,…`: a key of an integer type (numeric too) as its text, else null (the reader
 * goes on without the form); a value as its type's own text, as the driver would read it (a double's
 * the shortest that reads back as itself, a REAL's its own), null for NULL, NaN and ±Infinity as
 * those words (readPackedPage reads them). The aliases hold a space,
 * so no column's name can mean them in ORDER BY; string_agg keeps key order.
 */
function packedPageSql(key: string, numbers: readonly string[], from: string, limit: number): { sql: string; fromCopies: number; form: PackedForm } {
  const integerKey = `pg_typeof(${key}) IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'numeric'::regtype)`;
  const keyText = `CASE WHEN ${integerKey} THEN coalesce(${key}::text, 'null') ELSE 'null' END`;
  // concat_ws leaves NULLs out: where none is NULL (the common row) it takes the values as they are.
  const whole = `concat_ws(',', ${keyText}, ${numbers.join(', ')})`;
  const withNulls = `concat_ws(',', ${keyText}, ${numbers.map((column) => `coalesce(${column}::text, 'null')`).join(', ')})`;
  const row = `CASE WHEN ${numbers.map((column) => `${column} IS NOT NULL`).join(' AND ')} THEN ${whole} ELSE ${withNulls} END`;
  const page = `'[' || string_agg("packed row", ',' ORDER BY "packed key") || ']'`;
  return {
    sql: `SELECT ${page} AS packed_page FROM (SELECT ${key} AS "packed key", ${row} AS "packed row" FROM ${from} ORDER BY ${key} LIMIT ${limit}) AS packed_rows`,
    fromCopies: 1,
    form: 'flat',
  };
}
