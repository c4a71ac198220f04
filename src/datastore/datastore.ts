import odbc from 'odbc';
import { secretValues } from '../config/connection-string';
import { AppError } from '../errors/app-error';
import { refineForServer, type SqlDialect } from './dialects';
import { MAX_ODBC_PARAMETERS } from './dialects/dialect';
import { translateDriverError } from './errors';
import { ConnectionPool, type PoolState } from './pool';
import type { Row, SqlValue, Statement, StatementKind } from './types';
import { integerValue, rowNormalizer, toParameter, type ResultColumn } from './values';
import { withTimeout } from '../shared/with-timeout';

export interface DatastoreOptions {
  readonly connectionString: string;
  readonly dialect: SqlDialect;
  readonly poolMax: number;
  readonly acquireTimeoutMs: number;
  /** Per statement; 0 disables. Passed to the driver (SQL_ATTR_QUERY_TIMEOUT) and enforced here too. */
  readonly queryTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly observer?: StatementObserver;
  readonly onBackgroundError?: (error: unknown, context: string) => void;
}

export interface StatementEvent {
  readonly dialect: string;
  readonly kind: StatementKind;
  readonly seconds: number;
  readonly outcome: 'ok' | 'error';
}

export type StatementObserver = (event: StatementEvent) => void;

/** What a repository runs statements on: the datastore itself, or one transaction of it. */
export interface Executor {
  readonly dialect: SqlDialect;
  query(statement: Statement): Promise<Row[]>;
  /** Runs a statement for its effect; returns the driver's affected-row count (-1 where unknown). */
  execute(statement: Statement): Promise<number>;
}

/** Reads a large result in batches (a driver cursor, or pages where the cursor is unreliable). */
export interface Streamer {
  /**
   * Reads `SELECT columns FROM table [WHERE …] ORDER BY keyColumns` in batches of about `fetchSize`
   * rows, handing each to `onBatch` before reading on. Returns the number of rows read.
   */
  streamOrdered(read: OrderedRead, fetchSize: number, onBatch: (batch: RowBatch) => void | Promise<void>, range?: KeyRange): Promise<number>;
  /**
   * Splits an ordered read into at most `parts` consecutive key ranges of about the same number of
   * rows, at least `minRowsPerPart` each, to be read side by side on their own connections; their
   * rows in range order are the whole read's. One unbounded range where splitting does not pay, or
   * where a key part is NULL (a range compares keys, and NULL compares with nothing).
   */
  splitOrdered(read: OrderedRead, parts: number, minRowsPerPart: number): Promise<KeyRange[]>;
}

/**
 * A slice of an ordered read: the rows whose key is after `after` (excluded) and up to `through`
 * (included), in key order; an end left out is open. `{}` is the whole read.
 */
export interface KeyRange {
  readonly after?: readonly SqlValue[];
  readonly through?: readonly SqlValue[];
}

/** A table read in key order: what streamOrdered needs to page by key where it cannot use a cursor. */
export interface OrderedRead {
  readonly table: string;
  /** Selected in this order; every key column must be among them. */
  readonly columns: readonly string[];
  /**
   * The order. Together they must identify a row (duplicates are read once each all the same, see
   * streamByKeyset); a NULL key part is read correctly only where the database sorts NULL first.
   */
  readonly keyColumns: readonly string[];
  /** A condition over quoted columns with `?` parameters, e.g. `"run_id" = ?`. */
  readonly where?: { readonly sql: string; readonly parameters: readonly SqlValue[] };
  /** Columns read as numbers only: a value that is not one (text in a SQLite REAL column) reads as NULL (SqlDialect.nonNumericSql). */
  readonly numbers?: readonly string[];
}

// ODBC's SQL_BIT (sql.h): values.ts reads it as a boolean, so a number from such a column is converted
// like any other value instead of being passed through as it is.
const SQL_BIT = -7;

/**
 * One batch of a read, as the driver returned it: each row an array of the selected columns in SELECT
 * order. Values become app values (values.ts) only as they are read, and copyNumbers passes numbers
 * through as they are, so reading a million rows of features creates no row objects.
 */
export class RowBatch {
  private readonly converters: ((value: unknown) => unknown)[];

  constructor(
    readonly columns: readonly ResultColumn[],
    private readonly rows: readonly (readonly unknown[])[],
    private readonly dialect: SqlDialect,
  ) {
    this.converters = columns.map((column) => {
      // One cell through values.ts: a one-column normalizer reading index 0 of a reused holder.
      const normalize = rowNormalizer([{ name: '0', dataType: column.dataType }], dialect);
      const holder: unknown[] = [undefined];
      const passNumbers = column.dataType !== SQL_BIT;
      return (value: unknown) => {
        if (value === null || value === undefined) return null;
        if (typeof value === 'number' && passNumbers) return value;
        if (typeof value === 'bigint') return integerValue(value.toString());
        holder[0] = value;
        return normalize(holder as unknown as Record<string, unknown>)['0'];
      };
    });
  }

  get length(): number {
    return this.rows.length;
  }

  /** The app value (values.ts) of one cell. */
  value(row: number, column: number): unknown {
    return this.converters[column]!(this.rows[row]![column]);
  }

  /**
   * Copies one column of every row into `target[offset + row × stride]` as doubles: a number as it is,
   * NULL as NaN, anything else (a BigInt, DECIMAL text) as Number() of its app value.
   */
  copyNumbers(column: number, target: Float64Array, offset: number, stride: number): void {
    const convert = this.converters[column]!;
    const passNumbers = this.columns[column]!.dataType !== SQL_BIT;
    const rows = this.rows;
    for (let row = 0, at = offset; row < rows.length; row++, at += stride) {
      const value = rows[row]![column];
      if (typeof value === 'number' && passNumbers) target[at] = value;
      else if (value === null || value === undefined) target[at] = Number.NaN;
      else target[at] = Number(convert(value));
    }
  }

  /** Every row as an object keyed by column name, as query() returns rows. */
  toRows(): Row[] {
    const normalize = rowNormalizer(this.columns, this.dialect);
    const names = this.columns.map((column) => column.name);
    return this.rows.map((values) => {
      const raw: Record<string, unknown> = {};
      for (let index = 0; index < names.length; index++) raw[names[index]!] = values[index];
      return normalize(raw);
    });
  }

  /**
   * The batch without its trailing non-number masks (see Datastore.orderedSelect): a value whose bit is
   * set in its mask becomes NULL, and the mask columns are no longer among the columns.
   */
  withNonNumbersAsNull(masks: readonly NonNumberMask[]): RowBatch {
    const rows = this.rows as unknown[][];
    for (const row of rows) {
      for (const mask of masks) {
        const bits = Number(row[mask.column] ?? 0);
        if (bits === 0) continue;
        mask.columns.forEach((column, bit) => {
          if (bits & (1 << bit)) row[column] = null;
        });
      }
    }
    return new RowBatch(this.columns.slice(0, this.columns.length - masks.length), rows, this.dialect);
  }

  /** The driver's values of some columns of one row, as they came: fit to bind back (keyset paging). */
  rawValues(row: number, columns: readonly number[]): SqlValue[] {
    return columns.map((column) => toBindable(this.rows[row]![column]));
  }
}

function toBindable(value: unknown): SqlValue {
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return value as SqlValue;
}

/** What services need to group repository calls into one transaction. */
export interface TransactionRunner {
  readonly dialect: SqlDialect;
  transaction<T>(work: (transaction: Executor) => Promise<T>): Promise<T>;
}

export interface DatastoreState {
  readonly dialect: string;
  readonly pool: PoolState;
}

// Long columns (TEXT, CLOB) are read with SQLGetData into a buffer that starts this big and grows.
// Without it `odbc` starts from the column's declared size (64 KiB for SQLite TEXT) for every row:
// 5,000 rows of short TEXT took 2 s instead of 7 ms.
const LONG_DATA_INITIAL_BUFFER_BYTES = 4_096;

// How long past its own timeout the driver gets to give a statement up before we stop waiting.
const TIMEOUT_GRACE_MS = 2_000;

/**
 * The only code that touches `odbc`. Statements run on pooled connections; values are bound as `?`
 * parameters and rows come back normalized (values.ts). A connection is dropped, not reused, when the
 * driver reports it broken or a statement overruns its timeout.
 */
export class Datastore implements Executor, TransactionRunner, Streamer {
  private readonly pool: ConnectionPool<odbc.Connection>;
  private readonly secrets: readonly string[];
  private currentDialect: SqlDialect;

  /** Connections the pool opens at most (DB_POOL_MAX). */
  get poolMax(): number {
    return this.options.poolMax;
  }

  private constructor(private readonly options: DatastoreOptions) {
    this.currentDialect = options.dialect;
    this.secrets = secretValues(options.connectionString);
    this.pool = new ConnectionPool<odbc.Connection>({
      max: options.poolMax,
      acquireTimeoutMs: options.acquireTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      create: () => this.connect(),
      destroy: (connection) => connection.close(),
      validate: async (connection) => {
        await connection.query(this.dialect.pingStatement().sql);
        return true;
      },
      onBackgroundError: options.onBackgroundError,
    });
  }

  /** Creates the datastore; connects lazily, so a database that is down does not stop the server starting. */
  static create(options: DatastoreOptions): Datastore {
    return new Datastore(options);
  }

  get dialect(): SqlDialect {
    return this.currentDialect;
  }

  /**
   * Asks the server what it is and refines the dialect (MySQL or MariaDB behind DB_DIALECT=mysql).
   * Returns the version text.
   */
  async detectServer(): Promise<string> {
    const statement = this.dialect.serverVersionStatement();
    const version = this.dialect.readServerVersion(await this.query(statement));
    this.currentDialect = refineForServer(this.currentDialect, version);
    return version;
  }

  async ping(): Promise<void> {
    await this.query(this.dialect.pingStatement());
  }

  state(): DatastoreState {
    return { dialect: this.dialect.variant, pool: this.pool.state() };
  }

  query(statement: Statement): Promise<Row[]> {
    return this.withConnection((connection) => this.run(connection, statement).then((result) => result.rows));
  }

  execute(statement: Statement): Promise<number> {
    return this.withConnection((connection) => this.run(connection, statement).then((result) => result.count));
  }

  /**
   * Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it
   * throws. A connection whose rollback fails is closed rather than reused.
   */
  async transaction<T>(work: (transaction: Executor) => Promise<T>): Promise<T> {
    return this.withConnection((connection) =>
      this.inTransaction(connection, () =>
        work({
          dialect: this.dialect,
          query: (statement) => this.run(connection, statement).then((result) => result.rows),
          execute: (statement) => this.run(connection, statement).then((result) => result.count),
        }),
      ),
    );
  }

  private async inTransaction<T>(connection: odbc.Connection, work: () => Promise<T>): Promise<T> {
    await this.control(() => connection.beginTransaction());
    let result: T;
    try {
      result = await work();
    } catch (error) {
      // A connection abandoned mid-statement is still busy in the driver: it is closed instead, which
      // rolls the transaction back. Otherwise roll back here; if that fails, the connection goes too.
      if (!this.abandoned.has(connection)) {
        try {
          await connection.rollback();
        } catch {
          throw new BrokenConnection(error);
        }
      }
      throw error;
    }
    await this.control(() => connection.commit());
    return result;
  }

  /**
   * Reads a result through a driver cursor, `fetchSize` rows at a time, handing each batch to
   * `onBatch` before fetching the next, so a large table never sits in memory as one result. Where the
   * dialect's cursor is unreliable it pages with LIMIT/OFFSET instead: the statement must then be totally
   * ordered, and each page costs the rows before it. Returns the number of rows read.
   */
  stream(statement: Statement, fetchSize: number, onBatch: (rows: Row[]) => void | Promise<void>): Promise<number> {
    const asRows = (batch: RowBatch) => onBatch(batch.toRows());
    if (!this.dialect.reliableCursorFetch) return this.streamByPages(statement, fetchSize, asRows, 0);
    return this.streamCursor(statement, fetchSize, asRows);
  }

  /**
   * Reads a table in key order (see Streamer): through a driver cursor where the dialect's is reliable,
   * else by key (streamByKeyset), which costs the same for every page, unlike OFFSET.
   */
  streamOrdered(read: OrderedRead, fetchSize: number, onBatch: (batch: RowBatch) => void | Promise<void>, range: KeyRange = {}): Promise<number> {
    const invalid = this.invalidOrderedRead(read, range);
    if (invalid) return Promise.reject(invalid);
    const masks = this.nonNumberMasks(read);
    const deliver = masks.length === 0 ? onBatch : (batch: RowBatch) => onBatch(batch.withNonNumbersAsNull(masks));
    if (this.dialect.reliableCursorFetch) return this.streamCursor(this.orderedSelect(read, this.rangeCondition(read.keyColumns, range)), fetchSize, deliver);
    return this.streamByKeyset(read, fetchSize, deliver, range);
  }

  /**
   * See Streamer.splitOrdered. One statement counts the rows and those with a NULL key part; then, for
   * each boundary, the key of the row at that position (ORDER BY keys LIMIT 1 OFFSET n, a walk over the
   * key index). A range ends at a key value, so rows whose keys tie land in the same range.
   */
  async splitOrdered(read: OrderedRead, parts: number, minRowsPerPart: number): Promise<KeyRange[]> {
    const invalid = this.invalidOrderedRead(read, {});
    if (invalid) throw invalid;
    const whole: KeyRange[] = [{}];
    if (!Number.isInteger(parts) || parts < 2) return whole;
    const q = (name: string) => this.dialect.quoteIdentifier(name);
    const nullKey = read.keyColumns.map((name) => `${q(name)} IS NULL`).join(' OR ');
    const [counts] = await this.query({
      sql: `SELECT COUNT(*) AS total_rows, SUM(CASE WHEN ${nullKey} THEN 1 ELSE 0 END) AS null_keys FROM ${q(read.table)}${read.where ? ` WHERE ${read.where.sql}` : ''}`,
      parameters: read.where?.parameters ?? [],
      kind: 'select',
    });
    const total = Number(counts?.total_rows ?? 0);
    if (Number(counts?.null_keys ?? 0) > 0) return whole;
    const count = Math.min(parts, Math.floor(total / Math.max(1, minRowsPerPart)));
    if (count < 2) return whole;
    const keysOnly: OrderedRead = { ...read, columns: read.keyColumns };
    const keyIndexes = read.keyColumns.map((_, index) => index);
    const bounds: SqlValue[][] = [];
    for (let part = 1; part < count; part++) {
      const probe = await this.queryBatch(this.dialect.paginate(this.orderedSelect(keysOnly), { limit: 1, offset: Math.floor((total * part) / count) - 1 }));
      if (probe.length === 0) break; // rows deleted since the count: fewer ranges
      const key = probe.rawValues(0, keyIndexes);
      if (key.some((value) => value === null)) return whole;
      // Keys that tie across the boundary: the next range would be empty.
      if (bounds.length > 0 && this.sameKey(bounds.at(-1)!, key)) continue;
      bounds.push(key);
    }
    return [...bounds, undefined].map((through, index) => ({
      ...(index > 0 ? { after: bounds[index - 1]! } : {}),
      ...(through ? { through } : {}),
    }));
  }

  private sameKey(a: readonly SqlValue[], b: readonly SqlValue[]): boolean {
    return a.every((value, index) => {
      const other = b[index];
      if (Buffer.isBuffer(value) && Buffer.isBuffer(other)) return value.equals(other);
      if (value instanceof Date && other instanceof Date) return value.getTime() === other.getTime();
      return value === other;
    });
  }

  private invalidOrderedRead(read: OrderedRead, range: KeyRange): Error | undefined {
    const missing = read.keyColumns.filter((name) => !read.columns.includes(name));
    if (read.keyColumns.length === 0 || missing.length > 0) {
      return new Error(`An ordered read selects its key columns, and has at least one: keys [${read.keyColumns.join(', ')}], columns [${read.columns.join(', ')}]`);
    }
    for (const end of [range.after, range.through]) {
      if (end && end.length !== read.keyColumns.length) return new Error(`A key range gives ${end.length} values for ${read.keyColumns.length} key columns`);
    }
    return undefined;
  }

  /** A range as a condition over the key columns (undefined for the whole read). */
  private rangeCondition(keys: readonly string[], range: KeyRange): { sql: string; parameters: SqlValue[] } | undefined {
    return both(range.after && this.keyCondition(keys, range.after, '>', '>'), range.through && this.keyCondition(keys, range.through, '<', '<='));
  }

  // The per-statement timeout applies to each fetch; the observer sees the whole read as one statement.
  private streamCursor(statement: Statement, fetchSize: number, onBatch: (batch: RowBatch) => void | Promise<void>): Promise<number> {
    const serverCursor = this.dialect.serverCursorStatements(statement, fetchSize);
    if (serverCursor) return this.streamServerCursor(serverCursor, onBatch);
    return this.withConnection(async (connection) => {
      const started = process.hrtime.bigint();
      let outcome: 'ok' | 'error' = 'error';
      let total = 0;
      let cursor: odbc.Cursor | undefined;
      try {
        const parameters = statement.parameters.map(toParameter) as (string | number)[];
        cursor = await this.guardTimeout(
          connection,
          connection.query(statement.sql, parameters, { cursor: true, fetchSize, initialBufferSize: LONG_DATA_INITIAL_BUFFER_BYTES }),
          this.options.queryTimeoutMs,
        );
        for (;;) {
          const batch = await this.guardTimeout(connection, cursor.fetch<unknown[]>(), this.options.queryTimeoutMs);
          // Read until an empty batch: MariaDB Connector/ODBC reports `noData` after the first full batch.
          if (batch.length === 0) break;
          total += batch.length;
          await onBatch(new RowBatch(batch.columns ?? [], batch, this.dialect));
        }
        outcome = 'ok';
        return total;
      } catch (error) {
        if (error instanceof BrokenConnection || error instanceof AppError || !(error as { odbcErrors?: unknown }).odbcErrors) throw error;
        const { error: translated, failure } = translateDriverError(error, this.dialect, this.secrets);
        throw failure === 'connection' ? new BrokenConnection(translated) : translated;
      } finally {
        if (cursor && !this.abandoned.has(connection)) await cursor.close().catch(() => undefined);
        this.options.observer?.({
          dialect: this.dialect.variant,
          kind: statement.kind,
          seconds: Number(process.hrtime.bigint() - started) / 1e9,
          outcome,
        });
      }
    });
  }

  /**
   * The dialect's cursor declared in SQL: each FETCH is an ordinary statement whose rows the driver
   * holds (fetchSize of them), so memory stays bounded where the driver's own cursor would buffer the
   * whole result first. The transaction also gives the read one snapshot.
   */
  private streamServerCursor(
    cursor: { declare: Statement; fetch: Statement; close: Statement },
    onBatch: (batch: RowBatch) => void | Promise<void>,
  ): Promise<number> {
    return this.withConnection((connection) =>
      this.inTransaction(connection, async () => {
        await this.runBatch(connection, cursor.declare);
        let total = 0;
        for (;;) {
          const { batch } = await this.runBatch(connection, cursor.fetch);
          if (batch.length === 0) break;
          total += batch.length;
          await onBatch(batch);
        }
        await this.runBatch(connection, cursor.close);
        return total;
      }),
    );
  }

  /**
   * Pages through an ordered read by key, never by OFFSET. Each page is two statements: the key of the
   * `pageSize`-th row after the last page (ORDER BY keys LIMIT 1 OFFSET pageSize − 1, a walk over the key
   * index), then every row after the last page's key up to and including that key. The database compares
   * the keys in both, with its own collation and types, so rows whose keys tie (case-insensitive text,
   * duplicates) all land in one page, however many they are. A row with a NULL key part satisfies neither
   * comparison: a page coming back shorter than the probe promised, or a NULL probe key, means such rows
   * are there, and the rest is read by OFFSET, which is right wherever NULL sorts (first, on the dialects
   * that page today: MySQL, MariaDB, SQLite).
   */
  private async streamByKeyset(read: OrderedRead, pageSize: number, onBatch: (batch: RowBatch) => void | Promise<void>, range: KeyRange): Promise<number> {
    const keyIndexes = read.keyColumns.map((name) => read.columns.indexOf(name));
    const keysOnly: OrderedRead = { ...read, columns: read.keyColumns };
    // A range's upper end goes into the probe and the last read only: a page already ends at a key
    // before it. Each statement then bounds the key once from each side (SQLite's planner takes the
    // first of two lower bounds and walks from there, measured 30× slower).
    const upperEnd = range.through && this.keyCondition(read.keyColumns, range.through, '<', '<=');
    const ranged = range.after !== undefined || range.through !== undefined;
    let after = range.after ? [...range.after] : undefined;
    let total = 0;
    for (;;) {
      const from = after && this.keyCondition(read.keyColumns, after, '>', '>');
      const probe = await this.queryBatch(this.dialect.paginate(this.orderedSelect(keysOnly, both(from, upperEnd)), { limit: 1, offset: pageSize - 1 }));
      if (probe.length === 0) {
        // Fewer than pageSize rows remain: read them all.
        const rest = await this.queryBatch(this.orderedSelect(read, both(from, upperEnd)));
        if (rest.length > 0) await onBatch(rest);
        return total + rest.length;
      }
      const upTo = probe.rawValues(0, read.keyColumns.map((_, index) => index));
      // The whole read: a NULL key part here, or a page shorter than the probe promised, means rows with
      // a NULL key part, and OFFSET from here is right (NULL sorts first where this runs). A range's
      // bounds leave such rows out of every statement (splitOrdered makes no ranges where there are
      // any), so there a short page only means rows deleted meanwhile: it is read as it is.
      if (!ranged && upTo.some((value) => value === null)) return this.streamByPages(this.orderedSelect(read), pageSize, onBatch, total);
      const page = await this.queryBatch(this.orderedSelect(read, both(from, this.keyCondition(read.keyColumns, upTo, '<', '<='))));
      if (!ranged && page.length < pageSize) return this.streamByPages(this.orderedSelect(read), pageSize, onBatch, total);
      if (page.length === 0) {
        after = upTo;
        continue;
      }
      total += page.length;
      // Taken before onBatch, which may blank values that are not numbers.
      after = page.rawValues(page.length - 1, keyIndexes);
      await onBatch(page);
    }
  }

  // LIMIT/OFFSET from `offset` on: each page costs the rows before it, so only for what has no keys.
  private async streamByPages(statement: Statement, pageSize: number, onBatch: (batch: RowBatch) => void | Promise<void>, offset: number): Promise<number> {
    let total = offset;
    for (;;) {
      const page = await this.queryBatch(this.dialect.paginate(statement, { limit: pageSize, offset: total }));
      if (page.length === 0) break;
      total += page.length;
      await onBatch(page);
      if (page.length < pageSize) break;
    }
    return total;
  }

  private orderedSelect(read: OrderedRead, keyCondition?: { sql: string; parameters: SqlValue[] }): Statement {
    const q = (name: string) => this.dialect.quoteIdentifier(name);
    const conditions = [read.where, keyCondition].filter((condition) => condition !== undefined);
    const where = conditions.length > 0 ? ` WHERE ${conditions.map((condition) => `(${condition.sql})`).join(' AND ')}` : '';
    const selected = [...read.columns.map(q), ...this.nonNumberMasks(read).map((mask) => mask.sql)];
    return {
      sql: `SELECT ${selected.join(', ')} FROM ${q(read.table)}${where} ORDER BY ${read.keyColumns.map(q).join(', ')}`,
      parameters: conditions.flatMap((condition) => condition.parameters),
      kind: 'select',
    };
  }

  /**
   * Where numeric columns can hold text (SQLite), one bit mask per 30 number columns, selected after
   * the columns: the columns themselves are read as they are, since SQLite's driver types an expression
   * by its first row's value (a CASE over a BIGINT column read 6.5e18 as a 32-bit integer).
   */
  private nonNumberMasks(read: OrderedRead): NonNumberMask[] {
    if (!this.dialect.numericColumnsHoldText || !read.numbers) return [];
    const numbers = read.columns.flatMap((name, column) => (read.numbers!.includes(name) ? [{ name, column }] : []));
    const masks: NonNumberMask[] = [];
    for (let start = 0; start < numbers.length; start += MASK_BITS) {
      const group = numbers.slice(start, start + MASK_BITS);
      const terms = group.map(({ name }, bit) => `CASE WHEN ${this.dialect.nonNumericSql(this.dialect.quoteIdentifier(name))} THEN ${2 ** bit} ELSE 0 END`);
      masks.push({ column: read.columns.length + masks.length, columns: group.map(({ column }) => column), sql: `${terms.join(' + ')} AS non_number_mask_${masks.length}` });
    }
    return masks;
  }

  /**
   * `(k1, k2, …) > (v1, v2, …)` spelled out for every database: `k1 > ? OR (k1 = ? AND k2 > ?) OR …`,
   * with `last` as the operator on the last key (`<=` for "up to and including").
   */
  private keyCondition(keys: readonly string[], values: readonly SqlValue[], strict: '<' | '>', last: '<' | '<=' | '>'): { sql: string; parameters: SqlValue[] } {
    const q = (name: string) => this.dialect.quoteIdentifier(name);
    const terms: string[] = [];
    const parameters: SqlValue[] = [];
    keys.forEach((key, index) => {
      const parts = keys.slice(0, index).map((name) => `${q(name)} = ?`);
      parts.push(`${q(key)} ${index === keys.length - 1 ? last : strict} ?`);
      terms.push(parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`);
      parameters.push(...values.slice(0, index + 1));
    });
    return { sql: terms.join(' OR '), parameters };
  }

  /** Runs statements in order in one transaction; returns the summed affected-row counts. */
  executeAll(statements: readonly Statement[]): Promise<number> {
    return this.transaction(async (transaction) => {
      let total = 0;
      for (const statement of statements) total += Math.max(0, await transaction.execute(statement));
      return total;
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async connect(): Promise<odbc.Connection> {
    const loginTimeout = Math.max(1, Math.ceil(this.options.acquireTimeoutMs / 1000));
    try {
      // fetchArray: rows come back as arrays, not objects whose property names the driver makes anew for
      // every row; RowBatch names them only where a caller wants objects (measured: bench/read.ts).
      const parameters = { connectionString: this.options.connectionString, loginTimeout, connectionTimeout: loginTimeout, fetchArray: true };
      return await odbc.connect(parameters as odbc.ConnectionParameters);
    } catch (error) {
      const { error: translated } = translateDriverError(error, this.dialect, this.secrets);
      throw new AppError('DB_UNAVAILABLE', `Cannot connect to the ${this.dialect.variant} database: ${translated.message}`, translated.details, {
        cause: translated,
      });
    }
  }

  private async withConnection<T>(work: (connection: odbc.Connection) => Promise<T>): Promise<T> {
    const connection = await this.pool.acquire();
    let broken = false;
    try {
      return await work(connection);
    } catch (error) {
      broken = error instanceof BrokenConnection || (error instanceof AppError && error.code === 'DB_UNAVAILABLE');
      throw error instanceof BrokenConnection ? error.reason : error;
    } finally {
      if (!(broken && this.abandoned.has(connection))) this.pool.release(connection, broken);
    }
  }

  // Connections whose statement overran the timeout: they go back to the pool (as broken) only once
  // the driver has actually returned, so the pool never holds more live connections than its max.
  private readonly abandoned = new Set<odbc.Connection>();

  private async run(connection: odbc.Connection, statement: Statement): Promise<{ rows: Row[]; count: number }> {
    const { batch, count } = await this.runBatch(connection, statement);
    return { rows: batch.toRows(), count };
  }

  private queryBatch(statement: Statement): Promise<RowBatch> {
    return this.withConnection((connection) => this.runBatch(connection, statement).then((result) => result.batch));
  }

  // No prepared handle is reused: on one, a parameter once bound to NULL stays NULL (IBM/node-odbc#334).
  private async runBatch(connection: odbc.Connection, statement: Statement): Promise<{ batch: RowBatch; count: number }> {
    if (statement.parameters.length > MAX_ODBC_PARAMETERS) {
      throw new AppError(
        'DIALECT_UNSUPPORTED',
        `A statement may bind at most ${MAX_ODBC_PARAMETERS} parameters through ODBC, got ${statement.parameters.length}`,
      );
    }
    const started = process.hrtime.bigint();
    const parameters = statement.parameters.map(toParameter) as (string | number)[];
    const timeoutMs = this.options.queryTimeoutMs;
    const options = { initialBufferSize: LONG_DATA_INITIAL_BUFFER_BYTES, ...(timeoutMs > 0 ? { timeout: Math.max(1, Math.ceil(timeoutMs / 1000)) } : {}) };
    const driverCall = connection.query<unknown[], odbc.QueryOptions>(statement.sql, parameters, options) as Promise<odbc.Result<unknown[]>>;
    let outcome: 'ok' | 'error' = 'error';
    try {
      const result = await this.guardTimeout(connection, driverCall, timeoutMs);
      outcome = 'ok';
      return { batch: new RowBatch(result.columns ?? [], result, this.dialect), count: typeof result.count === 'number' ? result.count : -1 };
    } catch (error) {
      if (error instanceof BrokenConnection) throw error;
      const { error: translated, failure } = translateDriverError(error, this.dialect, this.secrets);
      throw failure === 'connection' ? new BrokenConnection(translated) : translated;
    } finally {
      this.options.observer?.({
        dialect: this.dialect.variant,
        kind: statement.kind,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        outcome,
      });
    }
  }

  private guardTimeout<T>(connection: odbc.Connection, call: Promise<T>, timeoutMs: number): Promise<T> {
    if (timeoutMs <= 0) return call;
    return withTimeout(call, timeoutMs + TIMEOUT_GRACE_MS, () => {
      this.abandoned.add(connection);
      const release = () => this.releaseAbandoned(connection);
      call.then(release, release);
      return new BrokenConnection(new AppError('DB_QUERY_TIMEOUT', `The statement did not finish within ${timeoutMs} ms and was abandoned`));
    });
  }

  private releaseAbandoned(connection: odbc.Connection): void {
    this.abandoned.delete(connection);
    this.pool.release(connection, true);
  }

  private async control(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      throw new BrokenConnection(translateDriverError(error, this.dialect, this.secrets).error);
    }
  }
}

// Bits of one non-number mask: kept below 2^31, whatever integer type the driver reads it as.
const MASK_BITS = 30;

/** A mask column of a read: bit b set means the value in `columns[b]` is not a number. */
interface NonNumberMask {
  readonly column: number;
  readonly columns: readonly number[];
  readonly sql: string;
}

/** Internal marker: the statement failed and the connection must not be reused. */
class BrokenConnection extends Error {
  readonly reason: unknown;

  constructor(reason: unknown) {
    const root = reason instanceof BrokenConnection ? reason.reason : reason;
    super(root instanceof Error ? root.message : String(root));
    this.reason = root;
  }
}

/** Two optional conditions joined by AND. */
function both(
  first: { sql: string; parameters: SqlValue[] } | undefined,
  second: { sql: string; parameters: SqlValue[] } | undefined,
): { sql: string; parameters: SqlValue[] } | undefined {
  if (!first || !second) return first ?? second;
  return { sql: `(${first.sql}) AND (${second.sql})`, parameters: [...first.parameters, ...second.parameters] };
}
