import type {
  ColumnDefinition,
  DatabaseFailure,
  OrderedRead,
  PackedPageProbe,
  PackedPageStatement,
  SqlCondition,
  SqlValue,
  Statement,
  UpsertSpec,
} from '../types';
import { doubleParts, integerValue } from '../values';
import { SCALED_GROUP_VALUES, SCALED_HIGH, SCALED_POWER, SMALL_LOW, SMALL_POWER, scaledGroupCount, type PackedForm } from '../packed-page';
import { SqlDialect, type ColumnRows, type DriverErrorFacts } from './dialect';

/** SQLite through the SQLite3 ODBC driver (libsqlite3odbc). Needs SQLite ≥ 3.24 for ON CONFLICT. */
export class SqliteDialect extends SqlDialect {
  readonly variant = 'sqlite' as const;
  override readonly transactionalDdl: boolean = true;
  /** Whether the library has JSON and the math functions (serverVersionStatement says), for columnArraysSources' JSON form. */
  readonly readsJsonWithMath: boolean;
  /** Most rows one JSON source of columnArraysSources carries (a few MB of JSON). Default: 50,000. */
  readonly maxRowsPerJsonStatement: number = 50_000;
  // SQLite itself has no limit to speak of; 128 keeps names portable to the other dialects.
  override readonly maxIdentifierLength: number = 128;
  // The SQLite3 ODBC driver steps the whole result into memory at execute (StepAPI=1 reads `SELECT 1` as
  // '1'): paging by key reads 1M rows × 10 features as fast, in 226 MB instead of 712 MB (bench/read.ts).
  override readonly reliableCursorFetch: boolean = false;

  // Grave accents, not double quotes: SQLite reads a double-quoted name that matches no column as a
  // string literal (sqlite.org/quirks.html#dblquote), so a feature column renamed since registration
  // would be read as the text 'name' in every row instead of failing. A backquoted name is always a name.
  protected override readonly identifierQuote: string = '`';
  // Texts of at most 96 Ki characters (333 rows of 10 numbers at their longest): a text that size is an ordinary
  // V8 string, freed young. One text of 2,000 rows (440 KB, in V8's large-object space until a full
  // collection) left a 10M run's peak RSS at 1,427–1,453 MiB (1.5 GB is 1,430); one statement a
  // 96 Ki text read 193,000 rows/s. A page of a run's 2,000 rows as several such texts (packedPageSplits)
  // reads 272,000 rows/s at 1,406–1,421 MiB (bench/RESULTS.md).
  override readonly packedPageMaxCharacters: number = 96 * 1024;
  /**
   * A row of the scaled form at its longest: a key of 22 characters (`"-9223372036854775808"`), values
   * of 26 (`[-4611686018427387392,-62]`, `"-2.2250738585072014e-308"`), each with its comma, the row's
   * brackets and those of each group of a wide row (packed-page.ts).
   */
  override packedRowCharacters(valueColumns: number): number {
    return 25 + 27 * valueColumns + 2 * scaledGroupCount(valueColumns);
  }
  override readonly packedPageSplits: boolean = true;

  // The SQLite3 ODBC driver types an INTEGER column as a 32-bit SQL_INTEGER, so 5000000000 reads as
  // 705032704, unless BigInt=1 (then SQL_BIGINT): added where the string does not set BigInt itself.
  override driverConnectionString(configured: string): string {
    return /(^|;)\s*BigInt\s*=/i.test(configured) ? configured : `${configured.replace(/;\s*$/, '')};BigInt=1`;
  }

  // "SQLite ignores case for table names" in its own names, quoted or not: `ai_cluster_outcome` and `AI_CLUSTER_OUTCOME` are one table.
  override readonly tableNamesIgnoreCase: boolean = true;

  // "Table names that begin with sqlite_ are reserved for internal use" (sqlite.org/lang_createtable.html):
  // CREATE TABLE refuses them, and sqlite_master is not in the catalog's list of tables.
  override isReservedTableName(name: string): boolean {
    return /^sqlite_/i.test(name);
  }

  /** `serverVersion` as serverVersionStatement read it; absent: the JSON form of columnArraysSources is not used. */
  constructor(serverVersion?: string) {
    super();
    this.readsJsonWithMath = serverVersion?.endsWith(JSON_AND_MATH) ?? false;
  }

  // The version, and whether this build of the library has json_extract and power (JSON is built in
  // from 3.38, the math functions are a compile-time option): columnArraysSources' JSON form needs both.
  serverVersionStatement(): Statement {
    return {
      sql: `SELECT sqlite_version() || CASE WHEN (SELECT COUNT(*) FROM pragma_function_list WHERE name IN ('json_extract', 'power')) >= 2 THEN '${JSON_AND_MATH}' ELSE '' END AS version`,
      parameters: [],
      kind: 'select',
    };
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

  listIndexesStatement(tables: readonly string[]): Statement {
    return {
      sql: `SELECT name AS index_name FROM sqlite_master WHERE type = 'index' AND tbl_name IN (${this.inList(tables)}) ORDER BY name`,
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

  /**
   * Each key beside itself as its storage class's letter and exact text (exactKey reads it back). The
   * driver types a column by its declared type (an undeclared one by its first row's value) and reads a
   * value of another storage class by that type: 'k1' in an INTEGER column as NULL, 2.5 as 2, an integer
   * past 2^53 in a NUMERIC column rounded, a REAL through 15 digits; the key would name another row, or
   * none. A REAL's text is exact as the packed form's (17 digits below 1e99, a mantissa and a power of two
   * above where the library has the math functions); a BLOB's is its bytes in hex.
   */
  override exactKeyTextSql(column: string): string {
    return `CASE typeof(${column}) WHEN 'integer' THEN 'i' || ${column} WHEN 'real' THEN 'r' || ${this.exactRealText(column)} WHEN 'text' THEN 't' || ${column} WHEN 'blob' THEN 'b' || hex(${column}) END`;
  }

  /**
   * A number as exact text, whatever the column's declared type (the driver would read 2.5 in an INTEGER
   * column as 2, a REAL through 15 digits); NULL for text, a blob or NULL, which the non-number masks count.
   */
  override exactNumberSql(column: string): string {
    return `CASE WHEN typeof(${column}) IN ('integer', 'real') THEN ${this.exactRealText(column)} END`;
  }

  // SQLite has no VAR_POP: the mean of the squares, less the square of the mean, which the centring keeps small.
  override populationVarianceSql(deviation: string): string {
    return `AVG(${deviation} * ${deviation}) - AVG(${deviation}) * AVG(${deviation})`;
  }

  // The driver reads a REAL through SQLite's 15-digit text (123456789.12345679 came back as
  // 123456789.123457): the exact text instead, as a run reads its features.
  override exactDoubleSelectSql(column: string): string {
    return `${this.exactNumberSql(column)} AS ${column}`;
  }

  /**
   * A column holds any storage class whatever its declared type, and the driver reads each value by
   * that type: 2.5 in an INTEGER column as 2, 'k1' as NULL, a REAL through 15 digits, an integer past
   * 2^53 in a NUMERIC column rounded. Where the declared type is numeric, or there is none, each value
   * as its class's letter and exact text (a text of at most PREVIEW_TEXT_BYTES of UTF-8: the driver cuts
   * an expression's text at 1,020 bytes; a longer one reads as the driver reads it).
   */
  override previewExactSql(column: string, typeName: string): string | undefined {
    if (!this.isNumericType(typeName) && typeName.trim() !== '') return undefined;
    return (
      `CASE typeof(${column}) WHEN 'integer' THEN 'i' || ${column} WHEN 'real' THEN 'r' || ${this.exactRealText(column)} ` +
      `WHEN 'text' THEN CASE WHEN length(CAST(${column} AS BLOB)) <= ${PREVIEW_TEXT_BYTES} THEN 't' || ${column} END END`
    );
  }

  override previewValue(exact: unknown): unknown {
    const text = String(exact);
    const body = text.slice(1);
    if (text.startsWith('t')) return body;
    return text.startsWith('r') ? this.exactNumber(body) : integerValue(body);
  }

  override exactNumber(text: string): number {
    if (!text.startsWith('m')) return Number(text);
    const [mantissa, exponent] = text.slice(1).split(',');
    return Number(mantissa) * 2 ** Number(exponent);
  }

  // A number's exact text: 17 digits below 1e99 (which SQLite 3.40 writes exactly), ±Infinity, and where
  // the library has the math functions '-0' for a negative zero and past 1e99 'm<mantissa>,<power of two>'.
  private exactRealText(column: string): string {
    const beyond = this.readsJsonWithMath ? `'m' || ${mantissaSql(column)} || ',' || ${mantissaExponentSql(column)}` : `printf('%!.17g', ${column})`;
    // printf writes a negative zero (kept where the column has no affinity) as 0.0.
    const zero = this.readsJsonWithMath ? `WHEN ${column} = 0 THEN ${signedZeroSql(column, "'0'")} ` : '';
    return (
      `CASE ${zero}WHEN ${column} BETWEEN -${PRINTF_EXACT_BELOW} AND ${PRINTF_EXACT_BELOW} THEN printf('%!.17g', ${column}) ` +
      `WHEN ${column} = 9e999 THEN 'Infinity' WHEN ${column} = -9e999 THEN '-Infinity' ELSE ${beyond} END`
    );
  }

  /**
   * compileOrderedSelect's statement, its key texts typed as long text: the driver reads an expression as
   * at most 255 characters (1,020 bytes), and a text key may have 512 (a blob's hex more). A first
   * SELECT of no rows, whose key text columns are sqlite_master's `sql` (declared TEXT), types the
   * compound's columns, as the packed form's texts are typed; its other columns are the table's own, so
   * they keep their declared types, and an exact number (a short text) is NULL there.
   */
  override compileOrderedSelect(read: OrderedRead, conditions: readonly SqlCondition[] = []): Statement {
    const statement = super.compileOrderedSelect(read, conditions);
    const texts = this.keyTexts(read);
    if (texts.length === 0) return statement;
    const q = (name: string) => this.quoteIdentifier(name);
    const exact = new Set(this.exactNumberColumns(read));
    const typed = [
      ...read.columns.map((name, index) => (exact.has(index) ? `NULL AS ${q(name)}` : `${q(read.table)}.${q(name)}`)),
      ...this.nonNumberMasks(read).map((_, index) => `0 AS non_number_mask_${index}`),
    ];
    return { ...statement, sql: `${this.keyTextsTyped(read.table, typed, texts.length)}${statement.sql}` };
  }

  /**
   * The row at `offset` found by the keys alone (the index), and only its key texts made: in the ordered
   * select, a compound, the texts of every row skipped were made too (a run's 1M-row read took 0.1 s
   * longer with a probe at 500,000).
   */
  override compileKeyProbe(keysOnly: OrderedRead, conditions: readonly SqlCondition[], offset: number): Statement {
    const texts = this.keyTexts(keysOnly);
    if (texts.length === 0) return super.compileKeyProbe(keysOnly, conditions, offset);
    const q = (name: string) => this.quoteIdentifier(name);
    const keys = keysOnly.keyColumns.map(q).join(', ');
    const { where, parameters } = this.readWhere(keysOnly, conditions);
    const typed = keysOnly.keyColumns.map((name) => `${q(keysOnly.table)}.${q(name)}`);
    return {
      sql:
        this.keyTextsTyped(keysOnly.table, typed, texts.length) +
        `SELECT ${keys}, ${texts.map((text) => text.sql).join(', ')} FROM (SELECT ${keys} FROM ${q(keysOnly.table)}${where} ORDER BY ${keys} LIMIT 1 OFFSET ?)`,
      parameters: [...parameters, offset],
      kind: 'select',
    };
  }

  /**
   * `SELECT … WHERE 0 UNION ALL `, to go before a read's own SELECT: no rows, and its columns type the
   * compound's: `typed` as given (the table's own columns keep their declared types), then `keyTexts`
   * key texts as sqlite_master's `sql`, declared TEXT, which the driver reads whole (an expression it
   * cuts at 255 characters).
   */
  private keyTextsTyped(table: string, typed: readonly string[], keyTexts: number): string {
    const texts = Array.from({ length: keyTexts }, (_, index) => `sqlite_master.sql AS key_text_${index}`);
    return `SELECT ${[...typed, ...texts].join(', ')} FROM ${this.quoteIdentifier(table)}, sqlite_master WHERE 0 UNION ALL `;
  }

  /** A key from exactKeyTextSql's text: an integer (a BigInt past 2^53, bound as one), a double, a text, a Buffer; NULL without one. */
  override exactKey(_value: unknown, text: unknown): unknown {
    if (typeof text !== 'string' || text === '') return null;
    const body = text.slice(1);
    switch (text[0]) {
      case 'i': {
        const integer = Number(body);
        return Number.isSafeInteger(integer) ? integer : BigInt(body);
      }
      case 'r':
        return this.exactNumber(body);
      case 't':
        return body;
      case 'b':
        return Buffer.from(body, 'hex');
      default:
        throw new Error(`A key's text starts with its storage class's letter, got ${JSON.stringify(text[0])}`);
    }
  }

  // exactKey's values as they are: a text key stays text in a column declared numeric (values.ts would
  // read 'k1' there as NaN, '  7' as 7). Timestamp and BIT columns keep their reading.
  override exactKeyType(dataType: number): number {
    return NUMERIC_TYPES.has(dataType) ? SQL_VARCHAR : dataType;
  }

  /**
   * A page of a read whose one key holds integers and whose other columns are numbers, as JSON text in
   * the `scaled` form (packed-page.ts; packedPageSql writes it): the driver would read each double
   * through SQLite's 15-digit text, here it is exact (packedPageProbe checks this library writes it so),
   * and faster than the driver's read (bench/RESULTS.md).
   */
  override compilePackedPage(read: OrderedRead, conditions: readonly SqlCondition[], limit: number): PackedPageStatement | undefined {
    // As many columns as are tested: wider reads are the driver's.
    return this.readsJsonWithMath && read.columns.length <= PACKED_MAX_COLUMNS ? this.packedPage(read, conditions, limit, packedPageSql) : undefined;
  }

  // The probe's doubles are made in SQL from exact parts, as columnArraysSources' JSON form writes them.
  override packedPageProbe(): PackedPageProbe | undefined {
    return this.readsJsonWithMath ? this.packedProbe('? * power(2, ?)', packedPageSql) : undefined;
  }

  // Whatever the declared type, a value is text or not by its storage class; a blob is read whole (hex), so
  // its zero bytes are no NUL. Its bytes are searched: instr() and length() on text stop at the first NUL.
  override textHoldsNulSql(column: string): string {
    return `(typeof(${column}) = 'text' AND instr(CAST(${column} AS BLOB), X'00') > 0)`;
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

  /**
   * The per-row columns of each batch as two parameters, the shared values bound once beside them (the
   * WHERE lets ON CONFLICT parse after a SELECT): the texts as one JSON array read by json_each (a row's
   * text, or the array of its texts where it has several), text with lone surrogates as U+FFFD (what
   * binding it stores); the numbers as one blob of fixed-width decimal fields (numberFields) that
   * substr() cuts at the row's offset (json_each's key) and CAST reads, a double as an integer mantissa
   * and a power of two (`m * power(2, e)`, exact by construction: SQLite 3.40's text to double
   * conversion is not correctly rounded), NULL as a field of spaces. 1M outcomes: three bound parameters
   * a row took 3.9 s, most of it the driver's per parameter; a row as a JSON array of four, json_extract
   * for each, 1.6 s, of which the extraction 0.9 s; substr of the blob 0.37 s. Without JSON and math
   * functions (serverVersion says), or for a batch holding a value this form does not carry (a number
   * that is not finite, an integer past 2^53, NULL in a NOT NULL column, another type), multi-row VALUES
   * with every per-row value bound.
   */
  override *columnArraysSources(columns: readonly ColumnDefinition[], shared: Readonly<Record<string, SqlValue>>, rows: ColumnRows): Iterable<Statement> {
    const isShared = (column: ColumnDefinition) => Object.hasOwn(shared, column.name);
    const perRow = columns.filter((column) => !isShared(column));
    const sharedParameters = columns.filter(isShared).map((column) => shared[column.name]!);
    const fields = this.readsJsonWithMath && perRow.every((column) => JSON_FORMS.has(column.type)) ? numberFields(perRow) : undefined;
    const bound = this.valuesSource(columns, isShared, perRow.length);
    const boundSize = Math.max(1, Math.min(this.maxRowsPerStatement, Math.floor((this.maxBindParameters - sharedParameters.length) / perRow.length)));
    const size = fields ? this.maxRowsPerJsonStatement : boundSize;
    for (let start = 0; start < rows.count; start += size) {
      const end = Math.min(rows.count, start + size);
      const carried = fields ? carriedRows(perRow, fields, rows, start, end) : undefined;
      if (carried !== undefined) {
        yield this.carriedSource(columns, shared, fields!, carried);
        continue;
      }
      // Bound, within the bind budget: a batch that falls back takes several statements.
      for (let from = start; from < end; from += boundSize) {
        const to = Math.min(end, from + boundSize);
        const parameters: SqlValue[] = [...sharedParameters];
        for (let row = from; row < to; row++) for (const column of perRow) parameters.push(rows.value(row, column.name));
        yield { sql: bound(to - from), parameters, kind: 'select' };
      }
    }
  }

  /** `SELECT column1, … FROM (VALUES (?, …), …) WHERE true` for `rowCount` rows, a shared column as `?`. */
  private valuesSource(columns: readonly ColumnDefinition[], isShared: (column: ColumnDefinition) => boolean, perRow: number): (rowCount: number) => string {
    let position = 0;
    const selected = columns.map((column) => `${isShared(column) ? '?' : `column${++position}`} AS ${this.quoteIdentifier(column.name)}`);
    const tuple = `(${Array.from({ length: perRow }, () => '?').join(', ')})`;
    return (rowCount) => `SELECT ${selected.join(', ')} FROM (VALUES ${Array.from({ length: rowCount }, () => tuple).join(', ')}) WHERE true`;
  }

  /**
   * `SELECT ?, value, CAST(substr(?, key * width + 1, 17) AS INTEGER), … FROM json_each(?) WHERE true`:
   * the blob is bound once for each substr that cuts it (the driver knows no numbered parameters).
   */
  private carriedSource(
    columns: readonly ColumnDefinition[],
    shared: Readonly<Record<string, SqlValue>>,
    fields: NumberFields,
    carried: CarriedRows,
  ): Statement {
    const parameters: SqlValue[] = [];
    const texts = columns.filter((column) => !Object.hasOwn(shared, column.name) && !fields.offsets.has(column.name));
    const field = (offset: number, width: number, nullable: boolean) => {
      parameters.push(carried.numbers);
      const cut = `substr(?, key * ${fields.width} + ${offset + 1}, ${width})`;
      return `CAST(${nullable ? `NULLIF(${cut}, X'${'20'.repeat(width)}')` : cut} AS INTEGER)`;
    };
    const selected = columns.map((column) => {
      if (Object.hasOwn(shared, column.name)) {
        parameters.push(shared[column.name]!);
        return `? AS ${this.quoteIdentifier(column.name)}`;
      }
      const offset = fields.offsets.get(column.name);
      const nullable = column.nullable !== false;
      const expression =
        offset === undefined
          ? texts.length === 1
            ? 'value'
            : `json_extract(value, '$[${texts.indexOf(column)}]')`
          : column.type === 'double'
            ? `${field(offset, MANTISSA_FIELD, nullable)} * power(2, ${field(offset + MANTISSA_FIELD, EXPONENT_FIELD, false)})`
            : field(offset, INTEGER_FIELD, nullable);
      return `${expression} AS ${this.quoteIdentifier(column.name)}`;
    });
    parameters.push(carried.texts);
    return { sql: `SELECT ${selected.join(', ')} FROM json_each(?) WHERE true`, parameters, kind: 'select' };
  }

  // The SQLite ODBC driver reports most failures as HY000; the message carries SQLite's own words.
  protected override classifyNative(facts: DriverErrorFacts): DatabaseFailure | undefined {
    if (/constraint failed/i.test(facts.message)) return 'constraint';
    if (/database is locked|busy/i.test(facts.message)) return 'timeout';
    if (/unable to open database/i.test(facts.message)) return 'connection';
    return undefined;
  }
}

/**
 * A zero as '-0' where it is negative, else as `positive` (SQL): SQLite keeps -0.0 in a column without
 * affinity, and every text of it (printf, CAST, quote) is 0.0; atan2(-0.0, -1) is −π (a math function).
 */
function signedZeroSql(column: string, positive: string): string {
  return `CASE WHEN atan2(${column}, -1) < 0 THEN '-0' ELSE ${positive} END`;
}

/** The power of two e of a finite non-zero double x = m × 2^e with m an integer of 54 bits (math functions). */
function mantissaExponentSql(column: string): string {
  return `(CAST(floor(log2(abs(${column}))) AS INTEGER) - 53)`;
}

/** The integer m of x = m × 2^e, e being mantissaExponentSql's (exact: a power of two apart). */
function mantissaSql(column: string): string {
  return `CAST(${column} / power(2, ${mantissaExponentSql(column)}) AS INTEGER)`;
}

/** What serverVersionStatement appends to the version when the library has JSON and the math functions. */
const JSON_AND_MATH = ' (json, math)';

/**
 * Below this magnitude SQLite 3.40's printf scales a double by exact powers of ten (10, 1e8, 1e10 in
 * long double); from 1e100 it multiplies by the double nearest 1e100, off by up to 1e-16, and 17 digits
 * no longer read back (5,389 of 3M random doubles). 1e99 leaves a decade of margin.
 */
const PRINTF_EXACT_BELOW = '1e99';
// The longest text (UTF-8 bytes) previewExactSql carries whole: the driver cuts an expression's text at 1,020 bytes, its letter included.
const PREVIEW_TEXT_BYTES = 1_000;
// The most columns (a key and its values) a packed read has: 201 are tested (sqlite-packed-read.test.ts).
const PACKED_MAX_COLUMNS = 201;

/**
 * Each row `[key, value, …]` in the `scaled` form (packed-page.ts): a key within ±(2^53 − 1) as its
 * digits, past that as a string of them, no integer as null (the reader goes on without the form); a
 * value of magnitude 1 to 1024 as CAST(value × 2^52 AS INTEGER), one of 2^-10 to 1 as
 * [CAST(value × 2^62 AS INTEGER), -62] (both integers within int64 and exact: a double's lowest bit
 * there is at least 2^-52 and 2^-62 of a power of two), a zero as 0 or '-0', any other below 1e99 as
 * the text of its 17 digits, [m, e] with m × 2^e the double from there, [±1, 1024] for ±Infinity, null for NULL, false
 * for what is no number (text, a blob: the unary + strips the column's affinity, so nothing converts
 * either side and neither is between two numbers). json_array writes an integer's digits in about
 * half the time printf writes a double's 17 (bench/RESULTS.md). The page's text is typed TEXT, so the
 * driver reads it whole, by a UNION ALL under a never-true select of sqlite_master's TEXT column; the
 * row's alias holds a space, so no column's name can mean it in ORDER BY. A page of more rows than one
 * text holds comes as several, the columns of one row: text n holds the page's rows from the key of
 * its (n × textRows)-th row up to the next text's (LIMIT 1 OFFSET, a walk along the key's index), so
 * the rows of a key are in one text and each row is written once.
 */
function packedPageSql(
  key: string,
  numbers: readonly string[],
  from: string,
  limit: number,
  textRows: number,
): { sql: string; fromCopies: number; form: PackedForm } {
  // Exact decimal literals (1024, 0.0009765625): powers of two of few digits.
  const between = (column: string, low: number, high: number) => `(+${column} BETWEEN ${low} AND ${high} OR +${column} BETWEEN -${high} AND -${low})`;
  // A power of two as an integer literal: JavaScript writes 2^62 as 4611686018427388000.
  const times = (column: string, power: number) => `CAST(${column} * ${2n ** BigInt(power)} AS INTEGER)`;
  const valueJson = (column: string) =>
    `CASE WHEN ${between(column, 1, SCALED_HIGH)} THEN ${times(column, SCALED_POWER)} ` +
    `WHEN ${between(column, SMALL_LOW, 1)} THEN json_array(${times(column, SMALL_POWER)}, -${SMALL_POWER}) ` +
    `WHEN +${column} = 0 THEN ${signedZeroSql(column, '0')} ` +
    `WHEN ${column} IS NULL THEN NULL WHEN typeof(${column}) NOT IN ('integer', 'real') THEN json('false') ` +
    `WHEN ${column} BETWEEN -${PRINTF_EXACT_BELOW} AND ${PRINTF_EXACT_BELOW} THEN printf('%!.17g', ${column}) ` +
    `WHEN ${column} = 9e999 THEN json_array(1, 1024) WHEN ${column} = -9e999 THEN json_array(-1, 1024) ` +
    `ELSE json_array(${mantissaSql(column)}, ${mantissaExponentSql(column)}) END`;
  // An integer key past ±(2^53 − 1) as the string of its digits, as the driver's BIGINT text reads.
  const keyJson =
    `CASE WHEN typeof(${key}) = 'integer' AND ${key} BETWEEN ${-Number.MAX_SAFE_INTEGER} AND ${Number.MAX_SAFE_INTEGER} THEN ${key} ` +
    `WHEN typeof(${key}) = 'integer' THEN CAST(${key} AS TEXT) END`;
  const values = numbers.map(valueJson);
  const groupCount = scaledGroupCount(values.length);
  const groups =
    groupCount === 0
      ? values
      : Array.from(
          { length: groupCount },
          (_, index) => `json_array(${values.slice(index * SCALED_GROUP_VALUES, (index + 1) * SCALED_GROUP_VALUES).join(', ')})`,
        );
  const row = `json_array(${[keyJson, ...groups].join(', ')})`;
  const texts = Math.ceil(limit / textRows);
  const page = (columns: string) => `FROM (SELECT ${columns} FROM ${from} ORDER BY ${key} LIMIT ${limit})`;
  if (texts === 1) {
    return {
      sql: `SELECT sql AS packed_page FROM sqlite_master WHERE 0 UNION ALL SELECT '[' || group_concat(\`packed row\`, ',') || ']' ${page(`${row} AS \`packed row\``)}`,
      fromCopies: 1,
      form: 'scaled',
    };
  }
  // The key of the page's n-th row: where text n starts (NULL past the page's end, where no text starts).
  const start = (index: number) => `(SELECT ${key} FROM ${from} ORDER BY ${key} LIMIT 1 OFFSET ${index * textRows})`;
  const text = `CASE ${Array.from({ length: texts - 1 }, (_, index) => `WHEN ${key} < ${start(index + 1)} THEN ${index}`).join(' ')} ELSE ${texts - 1} END`;
  const aggregates = Array.from({ length: texts }, (_, index) => `'[' || group_concat(\`packed row\`, ',') FILTER (WHERE \`packed text\` = ${index}) || ']'`);
  const typed = Array.from({ length: texts }, (_, index) => `sql AS packed_text_${index}`);
  return {
    sql:
      `SELECT ${typed.join(', ')} FROM sqlite_master WHERE 0 UNION ALL ` +
      `SELECT ${aggregates.join(', ')} ${page(`${text} AS \`packed text\`, ${row} AS \`packed row\``)}`,
    fromCopies: texts,
    form: 'scaled',
  };
}

// ODBC's numeric SQL types (sql.h): SQL_NUMERIC, SQL_DECIMAL, SQL_INTEGER, SQL_SMALLINT, SQL_FLOAT,
// SQL_REAL, SQL_DOUBLE, SQL_BIGINT, SQL_TINYINT; and SQL_VARCHAR, which values.ts passes through.
const NUMERIC_TYPES: ReadonlySet<number> = new Set([2, 3, 4, 5, 6, 7, 8, -5, -6]);
const SQL_VARCHAR = 12;

/** The per-row column types columnArraysSources carries in its JSON and blob form. */
const JSON_FORMS: ReadonlySet<ColumnDefinition['type']> = new Set(['string', 'text', 'integer', 'bigint', 'double']);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

// Fixed widths of the number blob's fields: an integer within ±(2^53 − 1) and a double's mantissa take
// 17 characters (a sign and 16 digits), a double's power of two 5 (−1074 to 971).
const INTEGER_FIELD = 17;
const MANTISSA_FIELD = 17;
const EXPONENT_FIELD = 5;

/** Where each number column's field starts in a row of the blob, and how wide a row is. */
interface NumberFields {
  readonly offsets: ReadonlyMap<string, number>;
  readonly width: number;
}

/** A batch as columnArraysSources binds it: the JSON array of its texts and the blob of its numbers. */
interface CarriedRows {
  readonly texts: string;
  readonly numbers: Buffer;
}

function numberFields(perRow: readonly ColumnDefinition[]): NumberFields {
  const offsets = new Map<string, number>();
  let width = 0;
  for (const column of perRow) {
    if (column.type !== 'double' && column.type !== 'integer' && column.type !== 'bigint') continue;
    offsets.set(column.name, width);
    width += column.type === 'double' ? MANTISSA_FIELD + EXPONENT_FIELD : INTEGER_FIELD;
  }
  return { offsets, width };
}

/**
 * Rows `start` to `end` of the per-row columns as columnArraysSources carries them; undefined when a
 * value has no form here (the caller binds that batch instead).
 */
function carriedRows(perRow: readonly ColumnDefinition[], fields: NumberFields, rows: ColumnRows, start: number, end: number): CarriedRows | undefined {
  const textColumns = perRow.filter((column) => !fields.offsets.has(column.name));
  const texts: unknown[] = [];
  const numbers: string[] = [];
  const rowTexts: unknown[] = [];
  for (let row = start; row < end; row++) {
    rowTexts.length = 0;
    for (const column of perRow) {
      const value = rows.value(row, column.name);
      if (value === null && column.nullable === false) return undefined;
      if (!fields.offsets.has(column.name)) {
        if (value !== null && typeof value !== 'string') return undefined;
        rowTexts.push(value !== null && ANY_SURROGATE.test(value) ? value.replace(LONE_SURROGATE, '\uFFFD') : value);
      } else if (column.type === 'double') {
        if (value === null) numbers.push(' '.repeat(MANTISSA_FIELD + EXPONENT_FIELD));
        else if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
        else {
          const [m, e] = doubleParts(value);
          numbers.push(String(m).padStart(MANTISSA_FIELD), String(e).padStart(EXPONENT_FIELD));
        }
      } else if (value === null) numbers.push(' '.repeat(INTEGER_FIELD));
      else if (typeof value !== 'number' || !Number.isSafeInteger(value)) return undefined;
      else numbers.push(String(value).padStart(INTEGER_FIELD));
    }
    texts.push(textColumns.length === 1 ? rowTexts[0] : textColumns.length === 0 ? 0 : [...rowTexts]);
  }
  return { texts: JSON.stringify(texts), numbers: Buffer.from(numbers.join(''), 'latin1') };
}
