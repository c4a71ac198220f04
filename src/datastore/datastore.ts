import odbc from 'odbc';
import { secretValues } from '../config/connection-string';
import { AppError } from '../errors/app-error';
import { withTimeout } from '../shared/with-timeout';
import type { Executor, StatementObserver, Streamer, TransactionRunner } from './contracts';
import { refineForServer, type SqlDialect } from './dialects';
import { MAX_ODBC_PARAMETERS, SCHEMA_LOCK_WAIT_SECONDS, UNKNOWN_SERVER_VERSION } from './dialects/dialect';
import { translateDriverError } from './errors';
import { KeysetReader } from './keyset-reader';
import { ConnectionPool, type PoolState } from './pool';
import { RowBatch } from './row-batch';
import type { KeyRange, OrderedRead, Row, Statement } from './types';
import type { ResultColumn } from './values';

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
  /**
   * Told when a write may begin to show and when it has ended (the GraphQL response cache's clock,
   * src/plugins/response-cache/): `started` before a statement that may write runs (in a transaction,
   * before its first one), `ended` once it has returned (in a transaction, once the commit or rollback
   * has). A commit can show to other connections before the driver returns (SQLite checkpoints the
   * WAL inside it), so readers must not trust what they read between the two. Each `started` gets one
   * `ended`; a statement given up on at its timeout keeps its write open until the driver returns.
   */
  readonly writes?: WriteObserver;
}

export interface WriteObserver {
  started(): void;
  ended(): void;
}

export interface DatastoreState {
  readonly dialect: string;
  readonly pool: PoolState;
}

// Where long columns (TEXT, CLOB) start their SQLGetData buffer; from the declared size (64 KiB for
// SQLite TEXT), 5,000 rows of short TEXT took 2 s instead of 7 ms.
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
  private readonly reader = new KeysetReader({
    dialect: () => this.dialect,
    queryBatch: (statement) => this.queryBatch(statement),
    streamCursor: (statement, fetchSize, onBatch) => this.streamCursor(statement, fetchSize, onBatch),
  });

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
   * Asks the server what it is and refines the dialect (MySQL or MariaDB behind DB_DIALECT=mysql, Tibero's
   * paging). Returns the version text. A version query the database refuses with an error of its own
   * (DB_ERROR), as Tibero and Oracle refuse V$VERSION to a user without the dictionary privilege, leaves
   * the version unknown (`onRefused` hears why); a lost connection, a full pool or a timeout still fails.
   */
  async detectServer(onRefused?: (refusal: AppError) => void): Promise<string> {
    let version: string;
    try {
      version = this.dialect.readServerVersion(await this.query(this.dialect.serverVersionStatement()));
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'DB_ERROR') throw error;
      onRefused?.(error);
      version = UNKNOWN_SERVER_VERSION;
    }
    this.currentDialect = refineForServer(this.currentDialect, version);
    return version;
  }

  /**
   * Runs `work` while holding the dialect's schema lock (schemaLockStatements), taken on a connection of
   * its own outside the pool (so DB_POOL_MAX=1 cannot deadlock it): servers starting at once prepare the
   * database one after another. Without a lock in the dialect, `work` just runs.
   */
  async withSchemaLock<T>(work: () => Promise<T>): Promise<T> {
    const lock = this.dialect.schemaLockStatements();
    if (!lock) return work();
    const connection = await this.connect();
    try {
      const [row] = (await this.runBatch(connection, lock.acquire, SCHEMA_LOCK_WAIT_SECONDS * 1000)).batch.toRows();
      if (Number(row?.acquired) !== 1) {
        throw new AppError('DB_QUERY_TIMEOUT', `Another server held the schema lock for more than ${SCHEMA_LOCK_WAIT_SECONDS} s`);
      }
      try {
        return await work();
      } finally {
        await this.runBatch(connection, lock.release, this.options.queryTimeoutMs).catch(() => undefined);
      }
    } finally {
      await connection.close().catch(() => undefined);
    }
  }

  async ping(): Promise<void> {
    await this.query(this.dialect.pingStatement());
  }

  state(): DatastoreState {
    return { dialect: this.dialect.variant, pool: this.pool.state() };
  }

  query(statement: Statement): Promise<Row[]> {
    return this.asWrite(statement, () => this.withConnection((connection) => this.run(connection, statement).then((result) => result.rows)));
  }

  execute(statement: Statement): Promise<number> {
    return this.asWrite(statement, () => this.withConnection((connection) => this.run(connection, statement).then((result) => result.count)));
  }

  /**
   * Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it
   * throws. A connection whose rollback fails is closed rather than reused.
   */
  async transaction<T>(work: (transaction: Executor) => Promise<T>): Promise<T> {
    const writes = this.options.writes;
    let wrote = false;
    const noteWrite = (statement: Statement) => {
      if (wrote || !writes || !mayWrite(statement)) return;
      wrote = true;
      writes.started();
    };
    try {
      return await this.withConnection((connection) =>
        this.inTransaction(connection, () =>
          work({
            dialect: this.dialect,
            query: (statement) => (noteWrite(statement), this.run(connection, statement).then((result) => result.rows)),
            execute: (statement) => (noteWrite(statement), this.run(connection, statement).then((result) => result.count)),
          }),
        ),
      );
    } finally {
      if (wrote) writes?.ended();
    }
  }

  /** `call()`, between the write observer's `started` and `ended` when `statement` may write. */
  private async asWrite<T>(statement: Statement, call: () => Promise<T>): Promise<T> {
    const writes = this.options.writes;
    if (!writes || !mayWrite(statement)) return call();
    writes.started();
    try {
      return await call();
    } finally {
      writes.ended();
    }
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

  streamOrdered(read: OrderedRead, fetchSize: number, onBatch: (batch: RowBatch) => void | Promise<void>, range?: KeyRange): Promise<number> {
    return this.reader.streamOrdered(read, fetchSize, onBatch, range);
  }

  splitOrdered(read: OrderedRead, parts: number, minRowsPerPart: number): Promise<KeyRange[]> {
    return this.reader.splitOrdered(read, parts, minRowsPerPart);
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
        const { sql, parameters } = this.toDriver(statement);
        cursor = await this.guardTimeout(
          connection,
          connection.query(sql, parameters, { cursor: true, fetchSize, initialBufferSize: LONG_DATA_INITIAL_BUFFER_BYTES }),
          this.options.queryTimeoutMs,
          false,
        );
        for (;;) {
          const batch = await this.guardTimeout(connection, cursor.fetch<unknown[]>(), this.options.queryTimeoutMs, false);
          // Read until an empty batch: MariaDB Connector/ODBC reports `noData` after the first full batch.
          if (batch.length === 0) break;
          total += batch.length;
          await onBatch(new RowBatch(resultColumns(batch.columns, statement), batch, this.dialect));
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

  // Each FETCH of a cursor declared in SQL is an ordinary statement of fetchSize rows, so memory stays
  // bounded where the driver's own cursor would buffer the whole result; the transaction gives one snapshot.
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

  // A connection whose session statements fail is closed and reported as the connect failing.
  private async connect(): Promise<odbc.Connection> {
    const loginTimeout = Math.max(1, Math.ceil(this.options.acquireTimeoutMs / 1000));
    let connection: odbc.Connection | undefined;
    try {
      // fetchArray: rows as arrays, not objects named anew for every row (bench/read.ts).
      const parameters = {
        connectionString: this.dialect.driverConnectionString(this.options.connectionString),
        loginTimeout,
        connectionTimeout: loginTimeout,
        fetchArray: true,
      };
      connection = await odbc.connect(parameters as odbc.ConnectionParameters);
      // Without the statement timeout: a connection not yet the pool's cannot be abandoned to it.
      for (const statement of this.dialect.sessionStatements()) await this.runBatch(connection, statement, 0);
      return connection;
    } catch (error) {
      await connection?.close().catch(() => undefined);
      const { error: translated } = translateDriverError(error instanceof BrokenConnection ? error.reason : error, this.dialect, this.secrets);
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
  private async runBatch(
    connection: odbc.Connection,
    statement: Statement,
    timeoutMs = this.options.queryTimeoutMs,
  ): Promise<{ batch: RowBatch; count: number }> {
    const started = process.hrtime.bigint();
    const { sql, parameters } = this.toDriver(statement);
    const options = {
      initialBufferSize: statement.longDataBytes ?? LONG_DATA_INITIAL_BUFFER_BYTES,
      ...(timeoutMs > 0 ? { timeout: Math.max(1, Math.ceil(timeoutMs / 1000)) } : {}),
    };
    const driverCall = connection.query<unknown[], odbc.QueryOptions>(sql, parameters, options);
    let outcome: 'ok' | 'error' = 'error';
    try {
      const result = await this.guardTimeout(connection, driverCall, timeoutMs, mayWrite(statement));
      outcome = 'ok';
      return {
        batch: new RowBatch(resultColumns(result.columns, statement), result, this.dialect),
        count: typeof result.count === 'number' ? result.count : -1,
      };
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

  // The dialect decides how each value is bound; the `odbc` typings leave out the BigInt and Buffer it takes.
  private toDriver(statement: Statement): { sql: string; parameters: (string | number)[] } {
    const { sql, parameters } = this.dialect.driverStatement(statement);
    if (parameters.length > MAX_ODBC_PARAMETERS) {
      throw new AppError('DIALECT_UNSUPPORTED', `A statement may bind at most ${MAX_ODBC_PARAMETERS} parameters through ODBC, got ${parameters.length}`);
    }
    return { sql, parameters: parameters as (string | number)[] };
  }

  /** `call`, given up on after `timeoutMs` (and a grace); `writes`: the statement may write (the write observer). */
  private guardTimeout<T>(connection: odbc.Connection, call: Promise<T>, timeoutMs: number, writes: boolean): Promise<T> {
    if (timeoutMs <= 0) return call;
    return withTimeout(call, timeoutMs + TIMEOUT_GRACE_MS, () => {
      this.abandoned.add(connection);
      // A write given up on may still commit in the driver: it stays open until the driver returns.
      const observer = writes ? this.options.writes : undefined;
      observer?.started();
      const release = () => {
        this.releaseAbandoned(connection);
        observer?.ended();
      };
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

/**
 * Whether a statement counts as a write for the write observer: every kind but a read (SELECT, a catalog
 * query). Some are not (a cursor's CLOSE, ANALYZE); telling of them too costs a kept answer, not a wrong one.
 */
function mayWrite(statement: Statement): boolean {
  return statement.kind !== 'select' && statement.kind !== 'catalog';
}

/** A result's columns without those the dialect appended for itself (a ROWNUM page's row number). */

function resultColumns(columns: readonly ResultColumn[] | undefined, statement: Statement): readonly ResultColumn[] {
  const all = columns ?? [];
  return all.slice(0, all.length - (statement.trailingColumnsToDrop ?? 0));
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
