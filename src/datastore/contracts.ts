import type { SqlDialect } from './dialects/dialect';
import type { RowBatch } from './row-batch';
import type { KeyRange, OrderedRead, Row, Statement, StatementKind } from './types';

/** What a repository runs statements on: the datastore itself, or one transaction of it. */
export interface Executor {
  readonly dialect: SqlDialect;
  query(statement: Statement): Promise<Row[]>;
  /** Runs a statement for its effect; returns the driver's affected-row count (-1 where unknown). */
  execute(statement: Statement): Promise<number>;
}

/** What services need to group repository calls into one transaction. */
export interface TransactionRunner {
  readonly dialect: SqlDialect;
  transaction<T>(work: (transaction: Executor) => Promise<T>): Promise<T>;
}

/** Reads a large result in batches (a driver cursor, or pages by key where the cursor is unreliable). */
export interface Streamer {
  /**
   * Reads `SELECT columns FROM table [WHERE …] ORDER BY keyColumns` in batches of about `fetchSize`
   * rows, handing each to `onBatch` before reading on. Returns the number of rows read.
   */
  streamOrdered(read: OrderedRead, fetchSize: number, onBatch: (batch: RowBatch) => void | Promise<void>, range?: KeyRange): Promise<number>;
  /**
   * Splits an ordered read into at most `parts` consecutive key ranges of about the same number of
   * rows, at least `minRowsPerPart` each, to be read side by side; their rows in range order are the
   * whole read's. One unbounded range where splitting does not pay, or where a key part is NULL (a
   * range compares keys, and NULL compares with nothing).
   */
  splitOrdered(read: OrderedRead, parts: number, minRowsPerPart: number): Promise<KeyRange[]>;
}

export interface StatementEvent {
  readonly dialect: string;
  readonly kind: StatementKind;
  readonly seconds: number;
  readonly outcome: 'ok' | 'error';
}

/** Told about every statement the datastore runs (a cursor read counts as one). */
export type StatementObserver = (event: StatementEvent) => void;
