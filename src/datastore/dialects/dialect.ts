import { AppError } from '../../errors/app-error';
import type {
  CatalogColumn,
  ColumnDefinition,
  DatabaseFailure,
  IndexDefinition,
  Row,
  SqlValue,
  Statement,
  TableDefinition,
  UpsertSpec,
  UpsertTarget,
} from '../types';

/**
 * The `odbc` package keeps a statement's parameter count in a SQLSMALLINT: past 32,767 the count wraps
 * and the process aborts with std::bad_alloc (seen with MariaDB at 33,000 parameters; 32,760 passed).
 * The datastore refuses such a statement before it reaches the driver.
 */
export const MAX_ODBC_PARAMETERS = 32_766;

/** The SQL flavours the compiler knows; `mysql` and `mariadb` share DB_DIALECT=mysql. */
export type DialectVariant = 'sqlite' | 'postgresql' | 'mysql' | 'mariadb' | 'oracle' | 'tibero';

export interface Page {
  readonly limit: number;
  readonly offset: number;
}

export interface DriverErrorFacts {
  readonly sqlState?: string;
  readonly nativeCode?: number;
  readonly message: string;
}

const NUMERIC_TYPES = new Set([
  'SMALLINT', 'INTEGER', 'INT', 'BIGINT', 'TINYINT', 'MEDIUMINT', 'INT2', 'INT4', 'INT8',
  'DECIMAL', 'NUMERIC', 'NUMBER', 'REAL', 'FLOAT', 'FLOAT4', 'FLOAT8', 'DOUBLE', 'DOUBLE PRECISION',
  'BINARY_DOUBLE', 'BINARY_FLOAT',
]);

// A plain identifier: a letter or underscore, then letters, digits, `_` or `$`. Anything else
// (spaces, quotes, dots, dashes) is refused rather than escaped: names reach SQL only this way.
const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * One SQL compiler per database. The base class holds the ANSI-ish common ground; a dialect file is
 * only as long as its differences. Nothing here touches a connection: every method returns SQL text
 * with `?` placeholders and its parameters, or facts about the dialect.
 */
export abstract class SqlDialect {
  abstract readonly variant: DialectVariant;

  /**
   * Most `?` parameters one statement may carry. Default: 32,766, which is SQLite ≥ 3.32's
   * SQLITE_MAX_VARIABLE_NUMBER and, for every dialect, the ceiling of the `odbc` package, which counts
   * parameters in a signed 16-bit SQLSMALLINT (see MAX_ODBC_PARAMETERS). A dialect may only go lower.
   */
  readonly maxBindParameters: number = MAX_ODBC_PARAMETERS;
  /** Most rows one UPSERT statement may carry, whatever the bind budget. Default: 1,000. */
  readonly maxRowsPerStatement: number = 1_000;
  /**
   * Most bytes of text and binary values one multi-row VALUES UPSERT carries, counting 3 bytes a
   * character (UTF-8's most for a UTF-16 unit). Default: 8 MiB, half of MySQL's and MariaDB's default
   * max_allowed_packet (16 MiB), which bounds a whole statement with its values; 1,000 rows of
   * 20,000-character texts would otherwise make one statement the server refuses.
   */
  readonly maxValueBytesPerStatement: number = 8 * 1024 * 1024;
  /** Most values one `IN (…)` list may carry. Default: 1,000. */
  readonly maxInListSize: number = 1_000;
  /** Longest identifier the database accepts. Default: 63 (PostgreSQL's NAMEDATALEN − 1). */
  readonly maxIdentifierLength: number = 63;
  /**
   * Whether the driver's block cursor returns every row. Where it does not, the datastore streams by
   * paging the ordered statement instead (more round trips, same rows). Default: true.
   */
  readonly reliableCursorFetch: boolean = true;
  /** True where unquoted names fold to upper case and the catalog reports them so (Oracle family). */
  readonly foldsToUpperCase: boolean = false;

  // ---- identifiers -------------------------------------------------------------------------

  /** Validates a name and returns it quoted. Throws INVALID_IDENTIFIER for anything not plain. */
  quoteIdentifier(name: string): string {
    this.assertIdentifier(name);
    return `"${this.identifierToDatabase(name)}"`;
  }

  assertIdentifier(name: string): void {
    if (typeof name !== 'string' || !PLAIN_IDENTIFIER.test(name) || name.length > this.maxIdentifierLength) {
      throw new AppError(
        'INVALID_IDENTIFIER',
        `"${String(name).slice(0, 80)}" is not a valid identifier for ${this.variant}: use letters, digits, _ or $, ` +
          `starting with a letter or _, at most ${this.maxIdentifierLength} characters`,
        { identifier: String(name).slice(0, 80) },
      );
    }
  }

  /** The name as the catalog stores it. */
  identifierToDatabase(name: string): string {
    return name;
  }

  /** A name read back from the database (result columns, catalog) in the case the app uses. */
  identifierFromDatabase(name: string): string {
    return name;
  }

  // ---- statements -------------------------------------------------------------------------

  /** `SELECT <expressions>` with no table; the Oracle family needs `FROM DUAL`. */
  selectWithoutTable(expressions: string): string {
    return `SELECT ${expressions}`;
  }

  /** A query that proves the connection works. */
  pingStatement(): Statement {
    return { sql: this.selectWithoutTable('1 AS ok'), parameters: [], kind: 'select' };
  }

  abstract serverVersionStatement(): Statement;

  /** SQL for "now" in UTC as the app's timestamp columns store it (the session's time zone is not ours). */
  abstract currentUtcTimestampSql(): string;

  /** Reads the server version out of serverVersionStatement's rows. */
  readServerVersion(rows: readonly Row[]): string {
    return String(rows[0]?.version ?? 'unknown');
  }

  /** Appends paging to a query that already has its ORDER BY. */
  paginate(statement: Statement, page: Page): Statement {
    return {
      ...statement,
      sql: `${statement.sql} LIMIT ? OFFSET ?`,
      parameters: [...statement.parameters, page.limit, page.offset],
    };
  }

  /** An expression as a double, so averages of squares neither truncate nor overflow integer types. */
  castToDouble(expression: string): string {
    return `CAST(${expression} AS DOUBLE PRECISION)`;
  }

  /**
   * Whether a column declared numeric can hold values that are not numbers (SQLite keeps text there).
   * Where it can, numericValueSql tells them apart and a read counts them. Default false.
   */
  readonly numericColumnsHoldText: boolean = false;

  /** A numeric column's value where it is a number, NULL where it is anything else. Default: the column itself. */
  numericValueSql(column: string): string {
    return column;
  }

  /** A condition true where a numeric column holds something that is neither NULL nor a number. Default: never. */
  nonNumericSql(_column: string): string {
    return '1 = 0';
  }

  /** An expression as text, e.g. to measure a key that is neither text nor a number nor a timestamp. */
  castToText(expression: string): string {
    return `CAST(${expression} AS VARCHAR(4000))`;
  }

  /** The characters of a text expression as the database counts them against VARCHAR(n). */
  characterLengthSql(expression: string): string {
    return `CHAR_LENGTH(${expression})`;
  }

  /** The one-character text of a code point (below 128 here). */
  characterSql(codePoint: number): string {
    return `CHR(${codePoint})`;
  }

  /**
   * True where a timestamp has a part finer than a millisecond, which the server's Date drops. Default
   * (PostgreSQL, Oracle, Tibero): the seconds, fraction included, of the value as a plain TIMESTAMP
   * (a DATE or a time zone offset changes no fraction).
   */
  subMillisecondSql(column: string): string {
    return `MOD(EXTRACT(SECOND FROM CAST(${column} AS TIMESTAMP)) * 1000, 1) <> 0`;
  }

  /**
   * Locks one row until the transaction ends, so writers that lock it first take turns. Its result
   * has the row, or none once the row is gone. Default `SELECT … FOR UPDATE` (PostgreSQL, MySQL/MariaDB,
   * Oracle, Tibero): a waiter reads the row as the holder committed it, deleted included.
   */
  lockRowStatement(table: string, keyColumn: string, key: SqlValue): Statement {
    const column = this.quoteIdentifier(keyColumn);
    return { sql: `SELECT ${column} FROM ${this.quoteIdentifier(table)} WHERE ${column} = ? FOR UPDATE`, parameters: [key], kind: 'select' };
  }

  countRowsStatement(table: string): Statement {
    return { sql: `SELECT COUNT(*) AS row_count FROM ${this.quoteIdentifier(table)}`, parameters: [], kind: 'select' };
  }

  /** `?, ?, ?` for an IN list, refusing lists the dialect cannot take in one statement. */
  inList(values: readonly SqlValue[]): string {
    if (values.length === 0 || values.length > this.maxInListSize) {
      throw new AppError(
        'DIALECT_UNSUPPORTED',
        `${this.variant} takes from 1 to ${this.maxInListSize} values in one IN list, got ${values.length}; chunk the list`,
      );
    }
    return values.map(() => '?').join(', ');
  }

  // ---- DDL ---------------------------------------------------------------------------------

  abstract columnTypeSql(column: ColumnDefinition): string;

  compileCreateTable(table: TableDefinition): Statement {
    const columns = table.columns.map(
      (column) =>
        `${this.quoteIdentifier(column.name)} ${this.columnTypeSql(column)}${column.nullable === false ? ' NOT NULL' : ''}`,
    );
    const keyList = (names: readonly string[]) => names.map((name) => this.quoteIdentifier(name)).join(', ');
    const constraints = [
      `PRIMARY KEY (${keyList(table.primaryKey)})`,
      ...(table.unique ?? []).map((names) => `UNIQUE (${keyList(names)})`),
    ];
    return {
      sql: `CREATE TABLE ${this.quoteIdentifier(table.name)} (\n  ${[...columns, ...constraints].join(',\n  ')}\n)`,
      parameters: [],
      kind: 'ddl',
    };
  }

  /** Adds a nullable column to an existing table: `ALTER TABLE t ADD COLUMN c type`. */
  compileAddColumn(table: string, column: ColumnDefinition): Statement {
    return { sql: `ALTER TABLE ${this.quoteIdentifier(table)} ADD ${this.addColumnSql(column)}`, parameters: [], kind: 'ddl' };
  }

  /** compileAddColumn's column clause; the Oracle family writes `ADD (c type)`. */
  protected addColumnSql(column: ColumnDefinition): string {
    return `COLUMN ${this.quoteIdentifier(column.name)} ${this.columnTypeSql(column)}`;
  }

  compileCreateIndex(index: IndexDefinition): Statement {
    const columns = index.columns.map((name) => this.quoteIdentifier(name)).join(', ');
    return {
      sql: `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${this.quoteIdentifier(index.name)} ON ${this.quoteIdentifier(index.table)} (${columns})`,
      parameters: [],
      kind: 'ddl',
    };
  }

  // ---- catalog -----------------------------------------------------------------------------

  /** Lists the tables of the current schema; rows have one column, `table_name`. */
  abstract listTablesStatement(): Statement;

  /**
   * Columns of the given tables (at most maxInListSize) in the current schema; rows have `table_name`,
   * `column_name`, `data_type`, `is_nullable` (YES/NO or 1/0) and `position`. Read them with readCatalogColumn.
   */
  abstract listColumnsStatement(tables: readonly string[]): Statement;

  /** Primary key columns of one table in key order; rows have `column_name`. */
  abstract primaryKeyStatement(table: string): Statement;

  /**
   * Whether a catalog type name (as readCatalogColumn reports it) holds numbers k-means can use.
   * Length and precision suffixes and UNSIGNED are ignored: `DECIMAL(10,2)`, `int unsigned`.
   */
  isNumericType(typeName: string): boolean {
    const base = typeName.toUpperCase().replace(/\(.*\)/, '').replace(/\bUNSIGNED\b|\bZEROFILL\b/g, '').trim();
    return NUMERIC_TYPES.has(base);
  }

  /** Whether a catalog type name holds date-times the server reads as Dates (to the millisecond). */
  isTimestampType(typeName: string): boolean {
    return /TIMESTAMP|DATETIME/i.test(typeName);
  }

  readCatalogColumn(row: Row): CatalogColumn {
    const nullable = row.is_nullable;
    return {
      table: this.identifierFromDatabase(String(row.table_name)),
      name: this.identifierFromDatabase(String(row.column_name)),
      type: String(row.data_type).toUpperCase(),
      nullable: nullable === true || nullable === 1 || nullable === '1' || String(nullable).toUpperCase() === 'YES' || String(nullable).toUpperCase() === 'Y',
      position: Number(row.position),
    };
  }

  // ---- UPSERT ------------------------------------------------------------------------------

  /**
   * Compiles an UPSERT description into statements that together write every row, each under the
   * dialect's bind and row limits. The caller runs them in one transaction: all rows or none.
   * The form is the dialect's set-based one where it has one (setBasedUpsert), else multi-row VALUES.
   */
  compileUpsert(spec: UpsertSpec): Statement[] {
    return [...this.upsertStatements(spec)];
  }

  /**
   * compileUpsert's statements one at a time: the batch is checked whole before the first (every
   * UPSERT_INVALID is thrown here), and each statement is built when asked for, so a caller can build
   * the next while the database runs the one before. A value with no SQL form (NaN, an invalid date)
   * may still throw while a later statement is built, as binding it would when it is run.
   */
  upsertStatements(spec: UpsertSpec): Iterable<Statement> {
    this.validateUpsert(spec);
    return this.setBasedUpsert(spec) ?? this.valuesUpsert(spec, this.valuesRowsPerStatement(spec));
  }

  /**
   * The multi-row VALUES form, every value a bound parameter, `rowsPerStatement` rows a statement (at
   * most what the row and bind limits allow, which is also the default). compileUpsert's form where the
   * dialect has no set-based one; public so the publish benchmark can measure it beside the faster forms.
   */
  compileValuesUpsert(spec: UpsertSpec, rowsPerStatement = this.valuesRowsPerStatement(spec)): Statement[] {
    this.validateUpsert(spec);
    return [...this.valuesUpsert(spec, Math.max(1, Math.min(rowsPerStatement, this.valuesRowsPerStatement(spec))))];
  }

  /**
   * A dialect's set-based UPSERT of a validated batch: the whole batch in a few statements of a few
   * parameters each, rows travelling as one text value per column or per chunk. Default: none
   * (undefined), so compileUpsert uses multi-row VALUES.
   */
  protected setBasedUpsert(_spec: UpsertSpec): Iterable<Statement> | undefined {
    return undefined;
  }

  /** Rows per multi-row VALUES statement: min(maxRowsPerStatement, maxBindParameters / columns), at least 1. */
  protected valuesRowsPerStatement(spec: UpsertSpec): number {
    const once = this.boundOnce(spec);
    const perRow = Math.max(1, spec.columns.length - once.length);
    return Math.max(1, Math.min(this.maxRowsPerStatement, Math.floor((this.maxBindParameters - once.length) / perRow)));
  }

  /**
   * Whether the multi-row VALUES form binds UpsertSpec.sharedValues once a statement (upsertSql then
   * selects them beside the VALUES rows). Default false: each row binds them.
   */
  protected readonly bindsSharedValuesOnce: boolean = false;

  /** The columns the VALUES form binds once a statement, in column order (none unless bindsSharedValuesOnce). */
  protected boundOnce(spec: UpsertSpec): ColumnDefinition[] {
    const shared = spec.sharedValues;
    if (!this.bindsSharedValuesOnce || !shared) return [];
    return spec.columns.filter((column) => Object.hasOwn(shared, column.name));
  }

  private *valuesUpsert(spec: UpsertSpec, rowsPerStatement: number): Generator<Statement> {
    const once = this.boundOnce(spec);
    const first = once.map((column) => spec.sharedValues![column.name] ?? null);
    const perRow = spec.columns.filter((column) => !once.includes(column));
    const value = rowValue(spec);
    let parameters: SqlValue[] = [...first];
    let rows = 0;
    let bytes = 0;
    for (const row of spec.rows) {
      let rowBytes = 0;
      for (const column of perRow) {
        const cell = value(row, column.name);
        if (typeof cell === 'string') rowBytes += 3 * cell.length;
        else if (Buffer.isBuffer(cell)) rowBytes += cell.length;
      }
      if (rows > 0 && (rows >= rowsPerStatement || bytes + rowBytes > this.maxValueBytesPerStatement)) {
        yield { sql: this.upsertSql(spec, rows), parameters, kind: 'upsert' };
        parameters = [...first];
        rows = 0;
        bytes = 0;
      }
      for (const column of perRow) parameters.push(value(row, column.name) ?? null);
      rows += 1;
      bytes += rowBytes;
    }
    if (rows > 0) yield { sql: this.upsertSql(spec, rows), parameters, kind: 'upsert' };
  }

  /**
   * A validated batch encoded chunk by chunk, for the set-based forms: each value through `encode`
   * (a value identical to the previous row's reuses its text: a run id, a timestamp every row shares),
   * a chunk closing at `maxRows` rows or before the row that would take it past `maxSize` (the sum of
   * `sizeOf` over its texts, one more for each separator); a row over the budget goes alone. Yields
   * each chunk's texts column by column, encoding a chunk only when it is asked for.
   */
  protected *encodedChunks(
    spec: UpsertSpec,
    encode: (value: SqlValue | undefined, index: number) => string,
    maxRows: number,
    maxSize: number,
    sizeOf: (text: string) => number,
  ): Generator<string[][]> {
    const width = spec.columns.length;
    const previousValues: (SqlValue | undefined)[] = [];
    const previousTexts: string[] = [];
    let chunk: string[][] = spec.columns.map(() => []);
    let rows = 0;
    let size = 0;
    const texts = new Array<string>(width);
    const read = rowValue(spec);
    for (let rowIndex = 0; rowIndex < spec.rows.length; rowIndex++) {
      const row = spec.rows[rowIndex]!;
      let rowSize = 0;
      for (let columnIndex = 0; columnIndex < width; columnIndex++) {
        const value = read(row, spec.columns[columnIndex]!.name);
        if (rowIndex === 0 || !Object.is(value, previousValues[columnIndex])) {
          previousValues[columnIndex] = value;
          previousTexts[columnIndex] = encode(value, rowIndex * width + columnIndex);
        }
        texts[columnIndex] = previousTexts[columnIndex]!;
        rowSize += sizeOf(texts[columnIndex]!) + 1;
      }
      if (rows > 0 && (rows >= maxRows || size + rowSize > maxSize)) {
        yield chunk;
        chunk = spec.columns.map(() => []);
        rows = 0;
        size = 0;
      }
      for (let columnIndex = 0; columnIndex < width; columnIndex++) chunk[columnIndex]!.push(texts[columnIndex]!);
      rows += 1;
      size += rowSize;
    }
    if (rows > 0) yield chunk;
  }

  /**
   * A plain INSERT of one row. Unlike an UPSERT it never touches an existing row: a row that collides
   * with ANY unique key is refused (DB_CONSTRAINT_VIOLATION). Use it to create a row whose uniqueness
   * the database must decide (e.g. a dataset name, a run's idempotency key): MySQL's ON DUPLICATE KEY
   * would otherwise fire on that other unique key and overwrite the row that holds it.
   */
  compileInsert(table: string, columns: readonly ColumnDefinition[], row: Readonly<Record<string, SqlValue>>): Statement {
    return {
      sql: `INSERT INTO ${this.quoteIdentifier(table)} (${this.columnList(columns)}) VALUES (${columns.map((column) => this.placeholder(column)).join(', ')})`,
      parameters: columns.map((column) => row[column.name] ?? null),
      kind: 'insert',
    };
  }

  /** The SQL of one UPSERT statement for `rowCount` rows, parameters row by row in column order. */
  protected abstract upsertSql(spec: UpsertSpec, rowCount: number): string;

  protected valuesRows(spec: UpsertSpec, rowCount: number): string {
    const row = `(${spec.columns.map((column) => this.placeholder(column)).join(', ')})`;
    return Array.from({ length: rowCount }, () => row).join(', ');
  }

  /**
   * `INSERT … ON CONFLICT (keys) DO UPDATE SET c = EXCLUDED.c`, shared by PostgreSQL and SQLite (3.24+).
   * With nothing but key columns there is nothing to update: `DO NOTHING`.
   */
  protected onConflictUpsertSql(spec: UpsertSpec, rowCount: number): string {
    return `INSERT INTO ${this.quoteIdentifier(spec.table)} (${this.columnList(spec.columns)}) VALUES ${this.valuesRows(spec, rowCount)} ${this.onConflictClause(spec)}`;
  }

  /** `ON CONFLICT (keys) DO UPDATE SET c = excluded.c`, or `DO NOTHING` when every column is a key. */
  protected onConflictClause(spec: UpsertSpec): string {
    if (spec.newKeysOnly) return '';
    const updates = this.updatableColumns(spec).map((column) => {
      const name = this.quoteIdentifier(column.name);
      return `${name} = excluded.${name}`;
    });
    return (
      `ON CONFLICT (${spec.keyColumns.map((name) => this.quoteIdentifier(name)).join(', ')}) ` +
      (updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING')
    );
  }

  /**
   * An UPSERT of the rows a SELECT yields inside the database, so nothing travels through the driver
   * (a run's outcomes from its stored assignments). `source` must yield `target.columns` in order and
   * by name, and must have a WHERE clause (SQLite's parser needs one before ON CONFLICT). The statements
   * run in order in the caller's transaction, which makes them all or nothing: the UPSERT, preceded
   * where the dialect needs it by a lock (upsertFromSelectPreamble). Each key must come once from the source.
   */
  compileUpsertFromSelect(target: UpsertTarget, source: Statement): Statement[] {
    if (target.columns.length === 0 || target.keyColumns.length === 0) throw new Error('an UPSERT needs columns and key columns');
    if (!/\bWHERE\b/i.test(source.sql)) throw new Error('the source of an UPSERT from a SELECT needs a WHERE clause');
    const spec: UpsertSpec = { ...target, rows: [] };
    return [...this.upsertFromSelectPreamble(spec), { sql: this.upsertFromSelectSql(spec, source.sql), parameters: source.parameters, kind: 'upsert' }];
  }

  /**
   * Statements that bring the planner's statistics of `table` up to date after a bulk insert, so that
   * a statement over the new rows is planned for their real number; run on their own, outside any
   * transaction. Default: none. The MySQL family and SQLite need none: their UPSERT from a SELECT
   * joins nothing, each row is an insert checked against the primary key (and MySQL's ANALYZE TABLE
   * would commit the caller's transaction). Oracle and Tibero: none here, as DBMS_STATS commits and
   * cannot be tried without a server; a table without statistics is sampled when it is planned.
   */
  refreshStatisticsStatements(_table: string): Statement[] {
    return [];
  }

  /** Statements compileUpsertFromSelect runs before its UPSERT. Default: none. */
  protected upsertFromSelectPreamble(_spec: UpsertSpec): Statement[] {
    return [];
  }

  /** A bound parameter of `column`'s type as SQL text, typed where the dialect must type it (as in an UPSERT). */
  parameterSql(column: ColumnDefinition): string {
    return this.placeholder(column);
  }

  /** compileUpsertFromSelect's SQL: `INSERT INTO t (…) <select> ON CONFLICT …` (PostgreSQL, SQLite). */
  protected upsertFromSelectSql(spec: UpsertSpec, select: string): string {
    return `INSERT INTO ${this.quoteIdentifier(spec.table)} (${this.columnList(spec.columns)}) ${select} ${this.onConflictClause(spec)}`;
  }

  /** The placeholder for one value of a column; dialects that must type their parameters override it. */
  protected placeholder(_column: ColumnDefinition): string {
    return '?';
  }

  protected updatableColumns(spec: UpsertSpec): ColumnDefinition[] {
    return spec.columns.filter((column) => !spec.keyColumns.includes(column.name));
  }

  protected columnList(columns: readonly { name: string }[]): string {
    return columns.map((column) => this.quoteIdentifier(column.name)).join(', ');
  }

  private validateUpsert(spec: UpsertSpec): void {
    this.assertIdentifier(spec.table);
    const names = spec.columns.map((column) => column.name);
    names.forEach((name) => this.assertIdentifier(name));
    const problems: string[] = [];
    if (spec.columns.length === 0) problems.push('no columns given');
    if (spec.keyColumns.length === 0) problems.push('no key columns given');
    if (new Set(names).size !== names.length) problems.push('a column is listed twice');
    for (const key of spec.keyColumns) if (!names.includes(key)) problems.push(`key column "${key}" is not among the columns`);
    for (const name of Object.keys(spec.sharedValues ?? {})) if (!names.includes(name)) problems.push(`shared value "${name}" is not among the columns`);
    if (problems.length > 0) {
      throw new AppError('UPSERT_INVALID', `Invalid UPSERT into ${spec.table}: ${problems.join('; ')}`, { table: spec.table, problems });
    }
    const perRow = names.filter((name) => !Object.hasOwn(spec.sharedValues ?? {}, name));
    spec.rows.forEach((row, index) => {
      for (const name of perRow) {
        if (!(name in row)) {
          throw new AppError('UPSERT_INVALID', `Invalid UPSERT into ${spec.table}: row ${index} has no value for "${name}"`, {
            table: spec.table,
            row: index,
          });
        }
      }
    });
    // A plain INSERT (newKeysOnly) is refused by the database itself for a key the batch repeats (a
    // primary key violation): the check below would only repeat that, at a second of hashing for a
    // million keys out of order. A MERGE (Oracle, Tibero) would update the first row with the second.
    if (!(spec.newKeysOnly && this.newKeysAsPlainInsert)) this.assertUniqueKeys(spec);
  }

  /** Whether a newKeysOnly batch is a plain INSERT here (not a MERGE), so the database refuses a repeated key. */
  protected readonly newKeysAsPlainInsert: boolean = true;

  /**
   * Two rows with one key in one batch would make ON CONFLICT and MERGE fail (PostgreSQL: "cannot affect
   * row a second time"; Oracle: ORA-30926) or keep an arbitrary one (MySQL): refused up front instead.
   * Keys in strictly increasing order cannot repeat, and a run's outcomes come in key order: that is
   * checked first, one comparison a row. Otherwise a tree of maps, one level per key column, holds every
   * key (a million keys take about a second of hashing).
   */
  private assertUniqueKeys(spec: UpsertSpec): void {
    const rows = spec.rows;
    const value = rowValue(spec);
    // A shared key part is the same in every row: the other parts decide.
    const keyColumns = spec.keyColumns.filter((name) => !Object.hasOwn(spec.sharedValues ?? {}, name));
    if (keyColumns.length === 0) {
      if (rows.length > 1) throw new AppError('UPSERT_INVALID', `Invalid UPSERT into ${spec.table}: row 1 repeats the key of row 0 (every key column is shared)`, { table: spec.table, row: 1 });
      return;
    }
    let ordered = true;
    for (let index = 1; index < rows.length && ordered; index++) ordered = keyFollows(rows[index - 1]!, rows[index]!, keyColumns);
    if (ordered) return;
    const seen = new Map<unknown, unknown>();
    const last = keyColumns.length - 1;
    rows.forEach((row, index) => {
      let level = seen;
      for (let position = 0; position < last; position++) {
        const part = keyPart(row[keyColumns[position]!]);
        let next = level.get(part) as Map<unknown, unknown> | undefined;
        if (next === undefined) level.set(part, (next = new Map()));
        level = next;
      }
      // One hash lookup, not two: a key already present leaves the size unchanged.
      const size = level.size;
      level.set(keyPart(row[keyColumns[last]!]), true);
      if (level.size === size) {
        const shown = JSON.stringify(spec.keyColumns.map((name) => keyValue(value(row, name))));
        throw new AppError(
          'UPSERT_INVALID',
          `Invalid UPSERT into ${spec.table}: row ${index} repeats key ${shown} of an earlier row in the same batch`,
          { table: spec.table, row: index },
        );
      }
    });
  }

  // ---- errors ------------------------------------------------------------------------------

  /** Classifies a driver error; dialects add their native codes to the SQLSTATE classes here. */
  classifyError(facts: DriverErrorFacts): DatabaseFailure {
    const state = (facts.sqlState ?? '').toUpperCase();
    if (state.startsWith('08')) return 'connection';
    if (state === 'HYT00' || state === 'HYT01') return 'timeout';
    if (state === '40001' || state === '40P01') return 'deadlock';
    if (state.startsWith('23')) return 'constraint';
    return 'other';
  }

  /**
   * A large ordered read as a cursor declared in SQL, run in one transaction: `declare` once, `fetch`
   * (`fetchSize` rows) until it returns none, then `close`. For drivers whose own cursor holds the whole
   * result in memory before the first row (psqlODBC unless UseDeclareFetch=1). Default: undefined, the
   * driver's cursor is used.
   */
  serverCursorStatements(_statement: Statement, _fetchSize: number): { declare: Statement; fetch: Statement; close: Statement } | undefined {
    return undefined;
  }
}

// Whether `row`'s key is greater than `previous`'s, comparing key parts in order; only strings with
// strings and numbers with numbers count (anything else, or NaN, is "not known to follow").
/** Reads a row's value of a column, or the spec's shared value for it. */
function rowValue(spec: UpsertSpec): (row: Readonly<Record<string, SqlValue>>, name: string) => SqlValue | undefined {
  const shared = spec.sharedValues;
  if (!shared || Object.keys(shared).length === 0) return (row, name) => row[name];
  return (row, name) => (Object.hasOwn(shared, name) ? shared[name] : row[name]);
}

function keyFollows(previous: Readonly<Record<string, SqlValue>>, row: Readonly<Record<string, SqlValue>>, keyColumns: readonly string[]): boolean {
  for (const name of keyColumns) {
    const before = previous[name];
    const after = row[name];
    if (typeof before !== typeof after || (typeof before !== 'string' && typeof before !== 'number')) return false;
    if (after! > before!) return true;
    if (!(after === before)) return false;
  }
  return false;
}

// One key part as a Map key: strings and numbers as they are (so '1' and 1 stay apart, as they did),
// anything else as the text it is shown as.
function keyPart(value: SqlValue | undefined): unknown {
  if (typeof value === 'string' || typeof value === 'number') return value;
  return keyValue(value);
}

function keyValue(value: SqlValue | undefined): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  return value ?? null;
}
