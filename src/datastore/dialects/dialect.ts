import { AppError } from '../../errors/app-error';
import type {
  CatalogColumn,
  ColumnDefinition,
  DatabaseFailure,
  IndexDefinition,
  KeyText,
  NonNumberMask,
  OrderedRead,
  PackedPageProbe,
  PackedPageStatement,
  Row,
  SqlCondition,
  SqlValue,
  Statement,
  TableDefinition,
  UpsertSpec,
  UpsertTarget,
} from '../types';
import type { SetBasedUpsert, UpsertDialect } from '../upsert/upsert-dialect';
import { textOrNull } from '../text-value';
import { upsertStatements } from '../upsert/upsert-statements';
import { decimalValue, doubleParts, INTEGER_TEXT, toParameter, type DriverValue } from '../values';
import { SCALED_HIGH, SMALL_LOW, type PackedForm } from '../packed-page';
import { leadingCharacters } from '../../shared/character-count';

/** Rows held as columns: `value(row, column)` for row 0 … count − 1. */
export interface ColumnRows {
  readonly count: number;
  value(row: number, column: string): SqlValue;
}

/**
 * The `odbc` package counts a statement's parameters in a SQLSMALLINT: past 32,767 it wraps and the
 * process aborts (std::bad_alloc at 33,000 on MariaDB), so the datastore refuses more before the driver.
 */
export const MAX_ODBC_PARAMETERS = 32_766;

/** The server version when the database does not say (no rows, or a version query it refuses). */
export const UNKNOWN_SERVER_VERSION = 'unknown';

/**
 * A form's packed page (SqlDialect.compilePackedPage): given quoted key and value names, the FROM with
 * its WHERE, the page's rows and the most rows one text holds (the page's rows where the form has one
 * text), the statement's SQL, how many times the FROM is in it (its parameters bound that often) and
 * the form its text is written in (packed-page.ts).
 */
export type PackedPageSql = (
  key: string,
  values: readonly string[],
  from: string,
  rows: number,
  textRows: number,
) => { sql: string; fromCopies: number; form: PackedForm };

/** The most texts one packed page comes as (SqlDialect.packedPageSplits). */
export const MAX_PACKED_TEXTS = 16;

/** The SQL flavours the compiler knows; `mysql` and `mariadb` share DB_DIALECT=mysql. */
export type DialectVariant = 'sqlite' | 'postgresql' | 'mysql' | 'mariadb' | 'oracle' | 'tibero';

export interface Page {
  readonly limit: number;
  readonly offset: number;
}

/** A statement as the driver is handed it: its SQL and each value as the `odbc` package binds it. */
export interface DriverStatement {
  readonly sql: string;
  readonly parameters: readonly DriverValue[];
}

/** PostgreSQL's advisory-lock key for the schema lock: any constant the app alone uses. */
export const SCHEMA_LOCK_KEY = 7_165_202_612;

/** How long MySQL's GET_LOCK waits for the schema lock: longer than any migration and demo load. */
export const SCHEMA_LOCK_WAIT_SECONDS = 600;

export interface SchemaLockStatements {
  readonly acquire: Statement;
  readonly release: Statement;
}

export interface DriverErrorFacts {
  readonly sqlState?: string;
  readonly nativeCode?: number;
  readonly message: string;
}

const NUMERIC_TYPES = new Set([
  'SMALLINT',
  'INTEGER',
  'INT',
  'BIGINT',
  'TINYINT',
  'MEDIUMINT',
  'INT2',
  'INT4',
  'INT8',
  'DECIMAL',
  'NUMERIC',
  'NUMBER',
  'REAL',
  'FLOAT',
  'FLOAT4',
  'FLOAT8',
  'DOUBLE',
  'DOUBLE PRECISION',
  'BINARY_DOUBLE',
  'BINARY_FLOAT',
]);

// Names reach SQL only this way: anything else (spaces, quotes, dots, dashes) is refused, not escaped.
const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

// Bits of one non-number mask: kept below 2^31, whatever integer type the driver reads it as.
const MASK_BITS = 30;

/**
 * The doubles packedPageProbe checks: the hardest for 17 digits (a decimal mantissa near 1 with a binary
 * one near 2, e.g. just under 1024), the ends of the normal and subnormal ranges, both sides of the
 * printf bound, and a sweep over every binary exponent with varied mantissas.
 */
const PROBE_DOUBLES: readonly number[] = (() => {
  const values = [0.1, 0.2 + 0.1, 1 / 3, 2 / 3, 1023.9999999999999, 1024 - 2 ** -42, 9.999999999999998e98, 1.0000000000000001e99];
  // The bounds of the scaled form's integer ranges (packed-page.ts), each side, and a zero.
  const bounds = [1, 1 - 2 ** -53, SCALED_HIGH, SCALED_HIGH * (1 + 2 ** -52), SMALL_LOW, SMALL_LOW * (1 - 2 ** -53)];
  values.push(...bounds, ...bounds.map((bound) => -bound), 0);
  values.push(5e-324, 2.225073858507201e-308, 2.2250738585072014e-308, 1.7976931348623157e308, 2 ** 53 + 2, 123456789.12345678);
  let seed = 0x2545f491;
  for (let exponent = -1074; exponent <= 1023; exponent += 7) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const value = (1 + seed / 2 ** 32) * 2 ** exponent;
    if (Number.isFinite(value) && value > 0) values.push(seed % 2 === 0 ? value : -value);
  }
  return values;
})();

/**
 * One SQL compiler per database: the base class holds the common ground, a dialect file only its
 * differences. Nothing here touches a connection: methods return SQL with `?` placeholders and its
 * parameters, or facts about the dialect.
 */
export abstract class SqlDialect implements UpsertDialect {
  abstract readonly variant: DialectVariant;

  // ---- capabilities ------------------------------------------------------------------------

  /** Most `?` parameters one statement may carry. Default MAX_ODBC_PARAMETERS (also SQLite ≥ 3.32's limit); a dialect may only go lower. */
  readonly maxBindParameters: number = MAX_ODBC_PARAMETERS;
  /** Most rows one multi-row VALUES UPSERT carries, whatever the bind budget. Default 1,000. */
  readonly maxRowsPerStatement: number = 1_000;
  /**
   * Most bytes of text and binary values one multi-row VALUES UPSERT carries. Default 8 MiB, half of
   * MySQL's and MariaDB's default max_allowed_packet, which bounds a whole statement.
   */
  readonly maxValueBytesPerStatement: number = 8 * 1024 * 1024;
  /** Most values one `IN (…)` list may carry. Default 1,000. */
  readonly maxInListSize: number = 1_000;
  /** Longest identifier the database accepts. Default 63 (PostgreSQL's NAMEDATALEN − 1). */
  readonly maxIdentifierLength: number = 63;
  /** Whether the driver's block cursor returns every row; where not, reads page by key. Default true. */
  readonly reliableCursorFetch: boolean = true;
  /** Whether a column declared numeric can hold values that are not numbers (SQLite). Default false. */
  readonly numericColumnsHoldText: boolean = false;
  /** Whether a newKeysOnly UPSERT is a plain INSERT rather than a MERGE. Default true. */
  readonly newKeysAsPlainInsert: boolean = true;
  /** Whether the database stores an empty text as NULL (Oracle, Tibero), so '' written reads back null. Default false. */
  readonly emptyStringIsNull: boolean = false;
  /**
   * Whether a timestamp key read back is bound again as the Date it reads as (to the millisecond) rather
   * than as the driver's text. Default false: keyset paging needs the exact value.
   */
  readonly timestampKeysAsDates: boolean = false;
  /**
   * Whether CREATE TABLE and ALTER TABLE run inside a transaction (SQLite, PostgreSQL): the DDL script
   * is then one BEGIN … COMMIT, all or nothing. Elsewhere each DDL statement commits on its own and the
   * script's COMMIT ends the migration rows. Default false.
   */
  readonly transactionalDdl: boolean = false;
  /**
   * The most characters one packed page's text holds (compilePackedPage), packedRowCharacters a row.
   * Default 8 Mi: 16 MiB as the driver's UTF-16, far below V8's and the databases' string limits.
   */
  readonly packedPageMaxCharacters: number = 8 * 1024 * 1024;
  /**
   * Whether a packed page may come as several texts, each at most packedPageMaxCharacters, one row of
   * the result each (SQLite's): its rows are then the read's batch, up to MAX_PACKED_TEXTS texts.
   */
  readonly packedPageSplits: boolean = false;

  // ---- identifiers -------------------------------------------------------------------------

  /** The character quoteIdentifier puts around a name. Default `"`; assertIdentifier allows neither it nor a grave accent in one. */
  protected readonly identifierQuote: string = '"';

  /** Validates a name and returns it quoted. Throws INVALID_IDENTIFIER for anything not plain. */
  quoteIdentifier(name: string): string {
    this.assertIdentifier(name);
    return `${this.identifierQuote}${this.identifierToDatabase(name)}${this.identifierQuote}`;
  }

  /** Whether the database keeps tables of this name for itself, so the app may not create one. Default: none. */
  isReservedTableName(_name: string): boolean {
    return false;
  }

  assertIdentifier(name: string): void {
    if (typeof name !== 'string' || !PLAIN_IDENTIFIER.test(name) || name.length > this.maxIdentifierLength) {
      throw new AppError(
        'INVALID_IDENTIFIER',
        `"${leadingCharacters(String(name), 80)}" is not a valid identifier for ${this.variant}: use letters, digits, _ or $, ` +
          `starting with a letter or _, at most ${this.maxIdentifierLength} characters`,
        { identifier: leadingCharacters(String(name), 80) },
      );
    }
  }

  /**
   * Whether the database takes two table names that differ only in case for one name, even quoted (SQLite).
   * Default false: PostgreSQL and the Oracle family keep quoted names as written, and MySQL/MariaDB on
   * Linux (lower_case_table_names=0) too.
   */
  readonly tableNamesIgnoreCase: boolean = false;

  /** The name as the catalog stores it. */
  identifierToDatabase(name: string): string {
    return name;
  }

  /** A name read back from the database (result columns, catalog) in the case the app uses. */
  identifierFromDatabase(name: string): string {
    return name;
  }

  // ---- binding ----------------------------------------------------------------------------

  /** What the datastore hands the driver for a statement. Default: its SQL, each value as values.ts binds it. */
  driverStatement(statement: Statement): DriverStatement {
    return { sql: statement.sql, parameters: statement.parameters.map(toParameter) };
  }

  /**
   * A timestamp parameter (values.ts binds a Date as UTC text) where SQL compares or assigns it.
   * Default `?`: the column's type converts it.
   */
  timestampParameterSql(): string {
    return '?';
  }

  /** Statements run once on every new connection, before its first use. Default none. */
  sessionStatements(): Statement[] {
    return [];
  }

  /**
   * The database-wide lock servers take, on a connection of its own, around migrations and the demo
   * load, so that several starting at once prepare the database one after another: `acquire` waits for
   * it and answers one row whose `acquired` column is 1 once held; `release` gives it back (closing the
   * connection does too). Default none: SQLite serves one host, and the Oracle family's DBMS_LOCK needs
   * a grant the application user may lack, so there migrations rely on being idempotent.
   */
  schemaLockStatements(): SchemaLockStatements | undefined {
    return undefined;
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
    return textOrNull(rows[0]?.version) ?? UNKNOWN_SERVER_VERSION;
  }

  /** Appends paging to a query that already has its ORDER BY. */
  paginate(statement: Statement, page: Page): Statement {
    return {
      ...statement,
      sql: `${statement.sql} LIMIT ? OFFSET ?`,
      parameters: [...statement.parameters, page.limit, page.offset],
    };
  }

  /**
   * The keys of the row `offset` rows into `keysOnly` (a read of its key columns) in key order under
   * `conditions`: the probe that keyset paging and key ranges read. Default: its ordered select, one row
   * from `offset`.
   */
  compileKeyProbe(keysOnly: OrderedRead, conditions: readonly SqlCondition[], offset: number): Statement {
    return this.paginate(this.compileOrderedSelect(keysOnly, conditions), { limit: 1, offset });
  }

  /** Any `count` rows of a query, in no particular order (a capped count). Default: its first page. */
  firstRows(statement: Statement, count: number): Statement {
    return this.paginate(statement, { limit: count, offset: 0 });
  }

  /** An expression as a double, so averages of squares neither truncate nor overflow integer types. */
  castToDouble(expression: string): string {
    return `CAST(${expression} AS DOUBLE PRECISION)`;
  }

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

  /**
   * True where a key column's value is text holding U+0000, which the ODBC drivers read as the end of
   * the text (`x\0a` reads as `x`); undefined where the database cannot tell it here, or the column
   * (`typeName`, its catalog type) holds no text. Default undefined: PostgreSQL's text cannot hold one,
   * and the Oracle family's CHR(0) is not checked against a server here.
   */
  textHoldsNulSql(_column: string, _typeName: string): string | undefined {
    return undefined;
  }

  /** The one-character text of a code point (below 128 here). */
  characterSql(codePoint: number): string {
    return `CHR(${codePoint})`;
  }

  /** True where a timestamp has a part finer than a millisecond, which the server's Date drops. */
  subMillisecondSql(column: string): string {
    // The seconds, fraction included, of the value as a plain TIMESTAMP: a DATE or an offset changes no fraction.
    return `MOD(EXTRACT(SECOND FROM CAST(${column} AS TIMESTAMP)) * 1000, 1) <> 0`;
  }

  /**
   * Locks one row until the transaction ends, so writers that lock it first take turns; its result has
   * the row, or none once it is gone. Default `SELECT … FOR UPDATE`: a waiter reads the row as committed.
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

  // ---- ordered reads -----------------------------------------------------------------------

  /**
   * `SELECT columns [, masks] [, key texts] FROM table WHERE read.where AND conditions… ORDER BY keys`; a
   * number column as its exact text where the dialect has one (exactNumberSql), under its own name.
   */
  compileOrderedSelect(read: OrderedRead, conditions: readonly SqlCondition[] = []): Statement {
    const q = (name: string) => this.quoteIdentifier(name);
    const { where, parameters } = this.readWhere(read, conditions);
    const exact = new Set(this.exactNumberColumns(read));
    const columns = read.columns.map((name, index) => (exact.has(index) ? `${this.exactNumberSql(q(name))!} AS ${q(name)}` : q(name)));
    const selected = [...columns, ...this.nonNumberMasks(read).map((mask) => mask.sql), ...this.keyTexts(read).map((text) => text.sql)];
    return {
      sql: `SELECT ${selected.join(', ')} FROM ${q(read.table)}${where} ORDER BY ${read.keyColumns.map(q).join(', ')}`,
      parameters,
      kind: 'select',
    };
  }

  /** ` WHERE read.where AND conditions…` (empty without either), and its parameters. */
  protected readWhere(read: OrderedRead, conditions: readonly SqlCondition[]): { where: string; parameters: SqlValue[] } {
    const all = read.where ? [read.where, ...conditions] : conditions;
    const where = all.length > 0 ? ` WHERE ${all.map((condition) => `(${condition.sql})`).join(' AND ')}` : '';
    return { where, parameters: all.flatMap((condition) => condition.parameters) };
  }

  /** The connection string as the driver is given it: the dialect may add what its reads need. Default: as configured. */
  driverConnectionString(configured: string): string {
    return configured;
  }

  /** Every one of `conditions`, as one. */
  allOf(conditions: readonly SqlCondition[]): SqlCondition {
    return { sql: conditions.map((condition) => `(${condition.sql})`).join(' AND '), parameters: conditions.flatMap((condition) => condition.parameters) };
  }

  /** Rows with a NULL in some of `keys` (`nulls` true), or in none of them. */
  nullKeyCondition(keys: readonly string[], nulls: boolean): SqlCondition {
    const anyNull = keys.map((name) => `${this.quoteIdentifier(name)} IS NULL`).join(' OR ');
    return { sql: nulls ? anyNull : `NOT (${anyNull})`, parameters: [] };
  }

  /**
   * Where numeric columns can hold text, one bit mask per 30 of the read's number columns, selected after
   * its columns. The columns themselves are read as they are: SQLite's driver types an expression by its
   * first row's value (a CASE over a BIGINT column read 6.5e18 as a 32-bit integer).
   */
  nonNumberMasks(read: OrderedRead): NonNumberMask[] {
    if (!this.numericColumnsHoldText || !read.numbers) return [];
    const numbers = read.columns.flatMap((name, column) => (read.numbers!.includes(name) ? [{ name, column }] : []));
    const masks: NonNumberMask[] = [];
    for (let start = 0; start < numbers.length; start += MASK_BITS) {
      const group = numbers.slice(start, start + MASK_BITS);
      const terms = group.map(({ name }, bit) => `CASE WHEN ${this.nonNumericSql(this.quoteIdentifier(name))} THEN ${2 ** bit} ELSE 0 END`);
      masks.push({
        column: read.columns.length + masks.length,
        columns: group.map(({ column }) => column),
        sql: `${terms.join(' + ')} AS non_number_mask_${masks.length}`,
      });
    }
    return masks;
  }

  /**
   * A key column's exact text, selected beside it where the driver reads exact numbers as doubles, so
   * that an integer key beyond 2^53 does not come back rounded; undefined where it reads them exactly.
   * Default undefined.
   */
  exactKeyTextSql(_column: string): string | undefined {
    return undefined;
  }

  /**
   * A number column of an ordered read (a run's features) as the driver reads it whole, whatever the
   * column's type. Default: cast to a double, which the `odbc` package reads in binary. A DECIMAL,
   * NUMERIC or REAL column it reads as text, into ColumnSize + 2 characters: too few for a negative
   * value that fills the precision (DECIMAL(10,2)'s -99999999.99 needs 12 and a NUL: PostgreSQL's came
   * back as -99999999.9), and a REAL's exponent was cut off (PostgreSQL's -1.7046803e-31 read as
   * -1.7046803). Undefined leaves the column as it is.
   */
  exactNumberSql(column: string): string | undefined {
    return this.castToDouble(column);
  }

  /**
   * The population variance of `deviation`, a double expression already centred on its mean, as an
   * aggregate. Default VAR_POP (PostgreSQL, MySQL/MariaDB, the Oracle family): PostgreSQL refuses a
   * product that underflows to 0 ("value out of range: underflow"), so deviations below about 1e-162
   * squared by hand failed the statement there.
   */
  populationVarianceSql(deviation: string): string {
    return `VAR_POP(${deviation})`;
  }

  /** The number exactNumberSql's text stands for, where it is text. Default: Number(text). */
  exactNumber(text: string): number {
    return Number(text);
  }

  /**
   * How a DOUBLE column of the server's own tables (an outcome's or an assignment row's distance) is
   * selected so that its value reaches the app whole, under its own name (`column` is quoted). Default:
   * the column itself, which the `odbc` package reads in binary. Read the value with exactDouble.
   */
  exactDoubleSelectSql(column: string): string {
    return column;
  }

  /** A value selected by exactDoubleSelectSql as the double it is (exactNumber where it came as text). */
  exactDouble(value: unknown): number {
    return typeof value === 'string' ? this.exactNumber(value) : Number(value);
  }

  /**
   * Dataset.preview: an expression selected beside a column of the dataset's table (`column` quoted,
   * `typeName` its catalog type) whose value, where it is not NULL, is the column's value whole
   * (previewValue reads it); undefined where the driver reads the column right. Default: a
   * floating-point column as exactNumberSql (the driver cut a REAL's exponent: PostgreSQL's
   * -1.7046803e-31 read as -1.7046803), a DECIMAL, NUMERIC or NUMBER one as its text (a negative
   * value that fills its precision lost its last digit: -99999999.99 read as -99999999.9).
   */
  previewExactSql(column: string, typeName: string): string | undefined {
    if (!this.isNumericType(typeName) || INTEGER_TYPE.test(typeName)) return undefined;
    return this.isFloatingType(typeName) ? this.exactNumberSql(column) : this.castToText(column);
  }

  /** The value previewExactSql's expression stands for: a double as exactDouble reads one, or a decimal as values.ts reads a DECIMAL (an integer's digits kept past 2^53). */
  previewValue(exact: unknown, typeName: string): unknown {
    return this.isFloatingType(typeName) ? this.exactDouble(exact) : decimalValue(exact);
  }

  /** The read's number columns (not its keys) that compileOrderedSelect selects as exactNumberSql's text, by index. */
  exactNumberColumns(read: OrderedRead): number[] {
    if (!read.numbers || this.exactNumberSql('x') === undefined) return [];
    return read.columns.flatMap((name, index) => (read.numbers!.includes(name) && !read.keyColumns.includes(name) ? [index] : []));
  }

  /**
   * A key as a read hands it over, from the driver's `value` and the text exactKeyTextSql selected beside
   * it: by default a key the driver read as a double past 2^53, whose text is an integer, becomes that
   * text (values.ts reads it as BIGINT text); otherwise the driver's value stays. Whatever it returns is
   * also what the read binds to page on from that key.
   */
  exactKey(value: unknown, text: unknown): unknown {
    return typeof value === 'number' && !Number.isSafeInteger(value) && typeof text === 'string' && INTEGER_TEXT.test(text) ? text : value;
  }

  /** The ODBC type a key column read through exactKey is read by (values.ts), from the driver's: by default the same. */
  exactKeyType(dataType: number): number {
    return dataType;
  }

  /** Where the dialect has exactKeyTextSql, each key column's text, selected after the read's columns and masks. */
  keyTexts(read: OrderedRead): KeyText[] {
    const first = read.columns.length + this.nonNumberMasks(read).length;
    return read.keyColumns.flatMap((name, index) => {
      const sql = this.exactKeyTextSql(this.quoteIdentifier(name));
      return sql === undefined ? [] : [{ column: read.columns.indexOf(name), text: first + index, sql: `${sql} AS key_text_${index}` }];
    });
  }

  /**
   * Where the dialect reads some ordered reads faster and as exactly as one text a page (SQLite's; see
   * packed-page.ts), the statement for the next rows of `read` under `conditions`, at most `limit`
   * and at most what one text holds (its `rows`); undefined where it has no such form or the read does
   * not fit it (the default).
   */
  compilePackedPage(_read: OrderedRead, _conditions: readonly SqlCondition[], _limit: number): PackedPageStatement | undefined {
    return undefined;
  }

  /**
   * What compilePackedPage's forms share: where `read` has one key column, first, and numbers beside it,
   * `pageSql(key, values, from, rows, textRows)` (quoted names, the FROM with its WHERE) for at most
   * `limit` rows and at most packedPageMaxCharacters a text (packedRowCharacters a row; one text a page,
   * or up to MAX_PACKED_TEXTS where packedPageSplits), the WHERE's parameters bound once for each copy
   * of the FROM, asking the driver for a first long-data buffer that holds a text (two bytes a
   * character): each text is read in one call.
   */
  protected packedPage(read: OrderedRead, conditions: readonly SqlCondition[], limit: number, pageSql: PackedPageSql): PackedPageStatement | undefined {
    const key = read.keyColumns[0];
    const values = read.columns.slice(1);
    if (key === undefined || read.keyColumns.length !== 1 || read.columns[0] !== key || values.length === 0) return undefined;
    if (!values.every((name) => name !== key && read.numbers?.includes(name))) return undefined;
    const { where, parameters } = this.readWhere(read, conditions);
    const textHolds = Math.max(1, Math.floor((this.packedPageMaxCharacters - 2) / this.packedRowCharacters(values.length)));
    const rows = Math.max(1, Math.min(Math.floor(limit), textHolds * (this.packedPageSplits ? MAX_PACKED_TEXTS : 1)));
    const textRows = Math.min(rows, textHolds);
    const q = (name: string) => this.quoteIdentifier(name);
    const { sql, fromCopies, form } = pageSql(q(key), values.map(q), `${q(read.table)}${where}`, rows, textRows);
    return {
      sql,
      form,
      parameters: Array.from({ length: fromCopies }, () => parameters).flat(),
      kind: 'select',
      rows,
      longDataBytes: (textRows * this.packedRowCharacters(values.length) + 2) * 2,
    };
  }

  /**
   * packedPageProbe's statement for a form: PROBE_DOUBLES as a VALUES table whose doubles
   * `exactDoubleSql` makes from two bound parts, m and e (doubleParts: a driver binds a whole number as
   * an integer), read by `pageSql` as a packed page is.
   */
  protected packedProbe(exactDoubleSql: string, pageSql: PackedPageSql): PackedPageProbe {
    const rows = PROBE_DOUBLES.map((_, index) => `(${index + 1}, ${exactDoubleSql})`).join(', ');
    const page = pageSql('k', ['x'], 'packed_probe', PROBE_DOUBLES.length, PROBE_DOUBLES.length);
    const sql = `WITH packed_probe(k, x) AS (VALUES ${rows}) ${page.sql}`;
    return { statement: { sql, parameters: PROBE_DOUBLES.flatMap((value) => doubleParts(value)), kind: 'select' }, values: PROBE_DOUBLES, form: page.form };
  }

  /**
   * The most characters a row of `valueColumns` values takes in a packed page's text, its comma after
   * it included (compilePackedPage). Default 25 a column, the key's too: `-1.2345678901234567e-100,`.
   */
  packedRowCharacters(valueColumns: number): number {
    return 25 * (valueColumns + 1);
  }

  /**
   * Where compilePackedPage has a form, a packed page over known doubles (one row each, keyed 1, 2, …)
   * and the doubles: the reader checks the library writes each exactly before it reads one table so.
   * Default undefined.
   */
  packedPageProbe(): PackedPageProbe | undefined {
    return undefined;
  }

  /**
   * `(k1, k2, …) > (v1, v2, …)` spelled out for every database, `k1 > ? OR (k1 = ? AND k2 > ?) OR …`,
   * with `last` as the operator on the last key (`<=` for "up to and including").
   */
  compileKeyCondition(keys: readonly string[], values: readonly SqlValue[], strict: '<' | '>', last: '<' | '<=' | '>'): SqlCondition {
    const q = (name: string) => this.quoteIdentifier(name);
    const terms: string[] = [];
    const parameters: SqlValue[] = [];
    const placeholder = values.map((value) => (value instanceof Date ? this.timestampParameterSql() : '?'));
    keys.forEach((key, index) => {
      const parts = keys.slice(0, index).map((name, part) => `${q(name)} = ${placeholder[part]}`);
      parts.push(`${q(key)} ${index === keys.length - 1 ? last : strict} ${placeholder[index]}`);
      terms.push(parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`);
      parameters.push(...values.slice(0, index + 1));
    });
    return { sql: terms.join(' OR '), parameters };
  }

  /** The rows of a read (`total_rows`) and those with a NULL key part (`null_keys`), in one row. */
  compileKeyCounts(read: OrderedRead): Statement {
    const q = (name: string) => this.quoteIdentifier(name);
    const nullKey = read.keyColumns.map((name) => `${q(name)} IS NULL`).join(' OR ');
    return {
      sql: `SELECT COUNT(*) AS total_rows, SUM(CASE WHEN ${nullKey} THEN 1 ELSE 0 END) AS null_keys FROM ${q(read.table)}${read.where ? ` WHERE ${read.where.sql}` : ''}`,
      parameters: read.where?.parameters ?? [],
      kind: 'select',
    };
  }

  /**
   * A large read as a cursor declared in SQL, run in one transaction: `declare`, `fetch` until it returns
   * no rows, `close`. Default undefined: the driver's own cursor is used.
   */
  serverCursorStatements(_statement: Statement, _fetchSize: number): { declare: Statement; fetch: Statement; close: Statement } | undefined {
    return undefined;
  }

  // ---- DDL ---------------------------------------------------------------------------------

  abstract columnTypeSql(column: ColumnDefinition): string;

  compileCreateTable(table: TableDefinition): Statement {
    const columns = table.columns.map(
      (column) => `${this.quoteIdentifier(column.name)} ${this.columnTypeSql(column)}${column.nullable === false ? ' NOT NULL' : ''}`,
    );
    const keyList = (names: readonly string[]) => names.map((name) => this.quoteIdentifier(name)).join(', ');
    const constraints = [`PRIMARY KEY (${keyList(table.primaryKey)})`, ...(table.unique ?? []).map((names) => `UNIQUE (${keyList(names)})`)];
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

  /**
   * Statements that make the database store a column's values as they are, without trying to compress
   * them: for values that do not compress (packed binary as base64), where trying costs time on every
   * write. Safe to run again. Default: none (the database does not compress such a column by default).
   */
  compileStoreUncompressed(_table: string, _column: string): Statement[] {
    return [];
  }

  /** `CREATE INDEX name ON table (columns)`: the same on every dialect here. */
  compileCreateIndex(index: IndexDefinition): Statement {
    const columns = index.columns.map((name) => this.quoteIdentifier(name)).join(', ');
    return { sql: `CREATE INDEX ${this.quoteIdentifier(index.name)} ON ${this.quoteIdentifier(index.table)} (${columns})`, parameters: [], kind: 'ddl' };
  }

  /** compileAddColumn's column clause; the Oracle family writes `ADD (c type)`. */
  protected addColumnSql(column: ColumnDefinition): string {
    return `COLUMN ${this.quoteIdentifier(column.name)} ${this.columnTypeSql(column)}`;
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

  /** Names of the indexes on the given tables (at most maxInListSize) in the current schema; rows have `index_name`. */
  abstract listIndexesStatement(tables: readonly string[]): Statement;

  /**
   * Whether a catalog type name (as readCatalogColumn reports it) holds numbers k-means can use.
   * Length and precision suffixes and UNSIGNED are ignored: `DECIMAL(10,2)`, `int unsigned`.
   */
  isNumericType(typeName: string): boolean {
    const base = typeName
      .toUpperCase()
      .replace(/\(.*\)/, '')
      .replace(/\bUNSIGNED\b|\bZEROFILL\b/g, '')
      .trim();
    return NUMERIC_TYPES.has(base);
  }

  /** Whether a catalog type name is a floating-point one (REAL, FLOAT, DOUBLE PRECISION, BINARY_DOUBLE …). */
  isFloatingType(typeName: string): boolean {
    return /REAL|FLOAT|DOUBLE/i.test(typeName);
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

  /** An UPSERT as the statements that write it, to run in order in one transaction (upsert/upsert-statements.ts). */
  compileUpsert(spec: UpsertSpec): Statement[] {
    return [...this.upsertStatements(spec)];
  }

  /** compileUpsert's statements one at a time, each built when asked for. */
  upsertStatements(spec: UpsertSpec): Iterable<Statement> {
    return upsertStatements(this, spec);
  }

  abstract valuesUpsertSql(spec: UpsertSpec, rowCount: number): string;

  /** Default: none, so compileUpsert writes multi-row VALUES. */
  setBasedUpsert(_spec: UpsertSpec): SetBasedUpsert | undefined {
    return undefined;
  }

  /**
   * Sources for compileUpsertFromSelect of rows the app holds as columns: SELECTs yielding `columns` in
   * order, each value of `shared` bound once and every other column as one array of `rows.count` values,
   * batched as the dialect must, each built when asked for. Default undefined: the dialect has no such form (upsertStatements then).
   */
  columnArraysSources(_columns: readonly ColumnDefinition[], _shared: Readonly<Record<string, SqlValue>>, _rows: ColumnRows): Iterable<Statement> | undefined {
    return undefined;
  }

  /** Default: none, each row binds every value. */
  columnsBoundOnce(_spec: UpsertSpec): readonly ColumnDefinition[] {
    return [];
  }

  /**
   * A plain INSERT of one row, refused (DB_CONSTRAINT_VIOLATION) if it collides with ANY unique key: for
   * a row whose uniqueness the database must decide, where MySQL's ON DUPLICATE KEY would fire on the
   * other unique key and overwrite the row that holds it.
   */
  compileInsert(table: string, columns: readonly ColumnDefinition[], row: Readonly<Record<string, SqlValue>>): Statement {
    return {
      sql: `INSERT INTO ${this.quoteIdentifier(table)} (${this.columnList(columns)}) VALUES (${columns.map((column) => this.placeholder(column)).join(', ')})`,
      parameters: columns.map((column) => row[column.name] ?? null),
      kind: 'insert',
    };
  }

  /**
   * An UPSERT of the rows a SELECT yields inside the database, so nothing travels through the driver.
   * `source` yields `target.columns` in order and by name, each key once, and has a WHERE clause (SQLite's
   * parser needs one before ON CONFLICT). Run in order in the caller's transaction. `sourceBound`: the
   * source is one of columnArraysSources' (its rows are bound, not read from a table).
   */
  compileUpsertFromSelect(target: UpsertTarget, source: Statement, sourceBound = false): Statement[] {
    return [...this.compileUpsertFromSelectPreamble(target, sourceBound), this.compileUpsertFromSelectAlone(target, source)];
  }

  /**
   * What compileUpsertFromSelect runs before its UPSERT (PostgreSQL 15+: the table lock), for a caller
   * that UPSERTs several sources in one transaction: run once, before the first source, and each source
   * with compileUpsertFromSelectAlone. `sourceBound`: a columnArraysSources source. Default: none.
   */
  compileUpsertFromSelectPreamble(_target: UpsertTarget, _sourceBound = false): Statement[] {
    return [];
  }

  /** compileUpsertFromSelect's UPSERT alone, after its preamble (compileUpsertFromSelectPreamble) ran in the same transaction. */
  compileUpsertFromSelectAlone(target: UpsertTarget, source: Statement): Statement {
    if (target.columns.length === 0 || target.keyColumns.length === 0) throw new Error('an UPSERT needs columns and key columns');
    if (!/\bWHERE\b/i.test(source.sql)) throw new Error('the source of an UPSERT from a SELECT needs a WHERE clause');
    return { sql: this.upsertFromSelectSql({ ...target, rows: [] }, source.sql), parameters: source.parameters, kind: 'upsert' };
  }

  /**
   * Statements that bring the planner's statistics of `table` up to date after a bulk insert, run on
   * their own, outside any transaction. Default none: the MySQL family's and SQLite's UPSERT from a
   * SELECT joins nothing (and ANALYZE TABLE would commit); Oracle's DBMS_STATS commits too.
   */
  refreshStatisticsStatements(_table: string): Statement[] {
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

  protected valuesRows(spec: UpsertSpec, rowCount: number): string {
    const row = `(${spec.columns.map((column) => this.placeholder(column)).join(', ')})`;
    return Array.from({ length: rowCount }, () => row).join(', ');
  }

  /** `INSERT … VALUES … ON CONFLICT …`, shared by PostgreSQL and SQLite (3.24+). */
  protected onConflictUpsertSql(spec: UpsertSpec, rowCount: number): string {
    return `INSERT INTO ${this.quoteIdentifier(spec.table)} (${this.columnList(spec.columns)}) VALUES ${this.valuesRows(spec, rowCount)} ${this.onConflictClause(spec)}`;
  }

  /** `ON CONFLICT (keys) DO UPDATE SET c = excluded.c`; `DO NOTHING` when every column is a key; nothing for newKeysOnly. */
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

  // ---- errors ------------------------------------------------------------------------------

  /**
   * Classifies a driver error: by the SQLSTATE where its class means one thing on every database, else
   * by the dialect's own native codes and messages (classifyNative), else `other`.
   */
  classifyError(facts: DriverErrorFacts): DatabaseFailure {
    return failureOfSqlState(facts.sqlState) ?? this.classifyNative(facts) ?? 'other';
  }

  /**
   * What the database's own codes and messages say where the SQLSTATE is not decisive (often HY000).
   * Native numbers belong to a driver: read them only as the dialect's driver numbers them. Default: nothing.
   */
  protected classifyNative(_facts: DriverErrorFacts): DatabaseFailure | undefined {
    return undefined;
  }
}

/**
 * The SQLSTATEs that mean one thing everywhere: 08 connection exceptions, 23 integrity constraint
 * violations, 40001 serialization failure and 40P01 deadlock, HYT00/HYT01 ODBC timeouts, 57014 a
 * cancelled statement (what a statement timeout raises on PostgreSQL and H2).
 */
function failureOfSqlState(sqlState: string | undefined): DatabaseFailure | undefined {
  const state = (sqlState ?? '').toUpperCase();
  if (state.startsWith('08')) return 'connection';
  if (state.startsWith('23')) return 'constraint';
  if (state === '40001' || state === '40P01') return 'deadlock';
  if (state === 'HYT00' || state === 'HYT01' || state === '57014') return 'timeout';
  return undefined;
}

// Catalog type names of integer columns, for previewExactSql.
const INTEGER_TYPE = /INT|SERIAL/i;
