import type { ColumnDefinition, DatabaseFailure, SqlValue, Statement, UpsertSpec } from '../types';
import { SqlDialect, type ColumnRows, type DriverErrorFacts } from './dialect';

/** SQLite through the SQLite3 ODBC driver (libsqlite3odbc). Needs SQLite ≥ 3.24 for ON CONFLICT. */
export class SqliteDialect extends SqlDialect {
  readonly variant = 'sqlite' as const;
  // SQLite itself has no limit to speak of; 128 keeps names portable to the other dialects.
  override readonly maxIdentifierLength: number = 128;
  // The SQLite3 ODBC driver steps the whole result into memory at execute (StepAPI=1 reads `SELECT 1` as
  // '1'): paging by key reads 1M rows × 10 features as fast, in 226 MB instead of 712 MB (bench/read.ts).
  override readonly reliableCursorFetch: boolean = false;

  serverVersionStatement(): Statement {
    return { sql: 'SELECT sqlite_version() AS version', parameters: [], kind: 'select' };
  }

  // SQLite's clock is UTC; %f keeps the milliseconds.
  currentUtcTimestampSql(): string {
    return "strftime('%Y-%m-%d %H:%M:%f', 'now')";
  }

  // Declared types matter only for the ODBC driver's type reporting (SQLite stores by affinity):
  // DOUBLE reads back as SQL_DOUBLE and TIMESTAMP as SQL_TYPE_TIMESTAMP text.
  columnTypeSql(column: ColumnDefinition): string {
    switch (column.type) {
      case 'string':
        return `VARCHAR(${column.length ?? 255})`;
      case 'text':
        return 'TEXT';
      case 'integer':
      case 'boolean':
        return 'INTEGER';
      case 'bigint':
        return 'BIGINT';
      case 'double':
        return 'DOUBLE';
      case 'timestamp':
        return 'TIMESTAMP';
    }
  }

  listTablesStatement(): Statement {
    return {
      sql: "SELECT name AS table_name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
      parameters: [],
      kind: 'catalog',
    };
  }

  listColumnsStatement(tables: readonly string[]): Statement {
    return {
      sql:
        'SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, ' +
        "CASE WHEN p.\"notnull\" = 1 THEN 'NO' ELSE 'YES' END AS is_nullable, p.cid + 1 AS position " +
        `FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type IN ('table', 'view') AND m.name IN (${this.inList(tables)}) ` +
        'ORDER BY m.name, p.cid',
      parameters: [...tables],
      kind: 'catalog',
    };
  }

  primaryKeyStatement(table: string): Statement {
    return { sql: 'SELECT name AS column_name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk', parameters: [table], kind: 'catalog' };
  }

  // SQLite's own type-affinity rules (datatype3.html §3.1): INT → integer; REAL, FLOA, DOUB → real;
  // NUMERIC and DECIMAL → numeric. Text, blob and untyped columns are not numbers.
  override isNumericType(typeName: string): boolean {
    const upper = typeName.toUpperCase();
    if (/CHAR|CLOB|TEXT|BLOB/.test(upper) || upper.trim() === '') return false;
    return /INT|REAL|FLOA|DOUB|NUMERIC|DECIMAL/.test(upper);
  }

  // No FOR UPDATE: a write takes SQLite's one write lock at once, and its row count says whether the
  // row is there (a read first would only take a shared lock, and upgrading it can fail with BUSY).
  override lockRowStatement(table: string, keyColumn: string, key: SqlValue): Statement {
    const column = this.quoteIdentifier(keyColumn);
    return { sql: `UPDATE ${this.quoteIdentifier(table)} SET ${column} = ${column} WHERE ${column} = ?`, parameters: [key], kind: 'update' };
  }

  override castToDouble(expression: string): string {
    return `CAST(${expression} AS REAL)`;
  }

  // Column affinity keeps text that does not look like a number ('abc', '', '0x10', 'inf') as text, and
  // the ODBC driver reads it as NULL or through strtod (16, Infinity): a value counts only as a number.
  override readonly numericColumnsHoldText: boolean = true;

  override numericValueSql(column: string): string {
    return `CASE WHEN typeof(${column}) IN ('integer', 'real') THEN ${column} END`;
  }

  override nonNumericSql(column: string): string {
    return `typeof(${column}) IN ('text', 'blob')`;
  }

  // LENGTH counts characters of text (and of a number's text); there is no CHAR_LENGTH.
  override characterLengthSql(expression: string): string {
    return `LENGTH(${expression})`;
  }

  override characterSql(codePoint: number): string {
    return `char(${codePoint})`;
  }

  // Timestamps are text here ('YYYY-MM-DD HH:MM:SS.ffffff'): a non-zero digit after the third of the fraction.
  override subMillisecondSql(column: string): string {
    return `(typeof(${column}) = 'text' AND instr(${column}, '.') > 0 AND ltrim(substr(${column}, instr(${column}, '.') + 4), '0') GLOB '[1-9]*')`;
  }

  // Only in a plain INSERT: with ON CONFLICT, INSERT … SELECT needs a WHERE to parse, which made 1M rows
  // slower (5.6 s) than binding per row (4.0 s); bound once without it, 3.5 s.
  override columnsBoundOnce(spec: UpsertSpec): readonly ColumnDefinition[] {
    const shared = spec.sharedValues;
    return spec.newKeysOnly && shared ? spec.columns.filter((column) => Object.hasOwn(shared, column.name)) : [];
  }

  // Values shared by every row are selected beside the VALUES rows: `SELECT ?, column1, column2 FROM (VALUES (?, ?), …)`.
  valuesUpsertSql(spec: UpsertSpec, rowCount: number): string {
    const once = this.columnsBoundOnce(spec);
    if (once.length === 0) return this.onConflictUpsertSql(spec, rowCount);
    const perRow = spec.columns.filter((column) => !once.includes(column));
    let position = 0;
    const selected = spec.columns.map((column) => (once.includes(column) ? '?' : `column${++position}`));
    const row = `(${perRow.map(() => '?').join(', ')})`;
    const values = Array.from({ length: rowCount }, () => row).join(', ');
    return `INSERT INTO ${this.quoteIdentifier(spec.table)} (${this.columnList(spec.columns)}) SELECT ${selected.join(', ')} FROM (VALUES ${values})`;
  }

  // The per-row columns as multi-row VALUES, the shared values bound once beside them (the WHERE lets
  // ON CONFLICT parse after a SELECT): three binds a row of a run's outcomes instead of six.
  override *columnArraysSources(columns: readonly ColumnDefinition[], shared: Readonly<Record<string, SqlValue>>, rows: ColumnRows): Iterable<Statement> {
    const isShared = (column: ColumnDefinition) => Object.hasOwn(shared, column.name);
    const perRow = columns.filter((column) => !isShared(column));
    const sharedParameters = columns.filter(isShared).map((column) => shared[column.name]!);
    let position = 0;
    const selected = columns.map((column) => `${isShared(column) ? '?' : `column${++position}`} AS ${this.quoteIdentifier(column.name)}`);
    const size = Math.max(1, Math.min(this.maxRowsPerStatement, Math.floor((this.maxBindParameters - sharedParameters.length) / perRow.length)));
    const tuple = `(${perRow.map(() => '?').join(', ')})`;
    for (let start = 0; start < rows.count; start += size) {
      const end = Math.min(rows.count, start + size);
      const parameters: SqlValue[] = [...sharedParameters];
      for (let row = start; row < end; row++) for (const column of perRow) parameters.push(rows.value(row, column.name));
      yield {
        sql: `SELECT ${selected.join(', ')} FROM (VALUES ${Array.from({ length: end - start }, () => tuple).join(', ')}) WHERE true`,
        parameters,
        kind: 'select',
      };
    }
  }

  // The SQLite ODBC driver reports most failures as HY000; the message carries SQLite's own words.
  protected override classifyNative(facts: DriverErrorFacts): DatabaseFailure | undefined {
    if (/constraint failed/i.test(facts.message)) return 'constraint';
    if (/database is locked|busy/i.test(facts.message)) return 'timeout';
    if (/unable to open database/i.test(facts.message)) return 'connection';
    return undefined;
  }
}
