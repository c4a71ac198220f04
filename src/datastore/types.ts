import type { PackedForm } from './packed-page';
/** Values the datastore binds as `?` parameters. Dates travel as UTC text, booleans as 1/0 (see values.ts). */
export type SqlValue = string | number | bigint | boolean | Date | Buffer | null;

/** A row as repositories see it: column names in the dialect's reading case, values normalized. */
export type Row = Record<string, unknown>;

/** What a statement does; labels `db_statements_total{kind}`. */
export type StatementKind = 'select' | 'insert' | 'update' | 'delete' | 'upsert' | 'ddl' | 'catalog' | 'other';

export interface Statement {
  readonly sql: string;
  readonly parameters: readonly SqlValue[];
  readonly kind: StatementKind;
  /** Columns the dialect appended after the query's own (a ROWNUM page's row number): dropped from the rows. Default 0. */
  readonly trailingColumnsToDrop?: number;
  /**
   * About how many bytes a long text value of the result takes (SqlDialect.compilePackedPage's page):
   * the driver's first buffer for it. One that holds the whole value reads it in one SQLGetData call;
   * from 4 KiB, a packed read of 1M × 10 took 0.55 s longer. Default 4 KiB.
   */
  readonly longDataBytes?: number;
}

/** A condition over quoted columns with `?` parameters, e.g. `"run_id" = ?`. */
export interface SqlCondition {
  readonly sql: string;
  readonly parameters: readonly SqlValue[];
}

/** A table read in key order, in batches (Streamer.streamOrdered). */
export interface OrderedRead {
  readonly table: string;
  /** Selected in this order; every key column must be among them. */
  readonly columns: readonly string[];
  /**
   * The order. Together they should identify a row (rows whose keys tie are still read once each); a
   * NULL key part is read correctly only where the database sorts NULL first.
   */
  readonly keyColumns: readonly string[];
  readonly where?: SqlCondition;
  /** Columns read as numbers only: a value that is not one (text in a SQLite REAL column) reads as NULL. */
  readonly numbers?: readonly string[];
}

/**
 * A slice of an ordered read: the rows whose key is after `after` (excluded) and up to `through`
 * (included), in key order; an end left out is open. `{}` is the whole read.
 */
export interface KeyRange {
  readonly after?: readonly SqlValue[];
  readonly through?: readonly SqlValue[];
  /** The rows it held when splitOrdered cut it (absent on the whole read): a reader may size its space so. */
  readonly rows?: number;
}

/** A packed page's statement (SqlDialect.compilePackedPage): it returns at most `rows` rows. */
export interface PackedPageStatement extends Statement {
  readonly rows: number;
  /** How its text writes the rows (packed-page.ts). */
  readonly form: PackedForm;
}

/** A packed page over known doubles (SqlDialect.packedPageProbe): its text must read back as `values`. */
export interface PackedPageProbe {
  readonly statement: Statement;
  /** How its text writes the rows (packed-page.ts). */
  readonly form: PackedForm;
  readonly values: readonly number[];
}

/**
 * A bit mask selected after a read's columns where numeric columns can hold text (SQLite): bit b set
 * means the value at column index `columns[b]` is not a number. `column` is the mask's own index.
 */
export interface NonNumberMask {
  readonly column: number;
  readonly columns: readonly number[];
  readonly sql: string;
}

/**
 * A key column's exact text, selected after a read's columns (and masks) where the driver reads exact
 * numbers as doubles (SqlDialect.keyTexts): `column` is the key's index, `text` the text's own.
 */
export interface KeyText {
  readonly column: number;
  readonly text: number;
  readonly sql: string;
}

/**
 * Logical column types of the app's own tables and UPSERT descriptions; each dialect maps them to DDL
 * types and, where it must, to typed parameter casts.
 */
export type ColumnType = 'string' | 'text' | 'integer' | 'bigint' | 'double' | 'timestamp' | 'boolean';

export interface ColumnDefinition {
  readonly name: string;
  readonly type: ColumnType;
  /** For `string`: maximum length in characters (default 255). */
  readonly length?: number;
  /** Default true. */
  readonly nullable?: boolean;
}

export interface TableDefinition {
  readonly name: string;
  readonly columns: readonly ColumnDefinition[];
  readonly primaryKey: readonly string[];
  /** UNIQUE constraints, declared inside CREATE TABLE so a table and its constraints appear together. */
  readonly unique?: readonly (readonly string[])[];
}

/** A secondary index of an app table (the migrations'), for the queries every replica repeats. */
export interface IndexDefinition {
  /** Unique in the schema on most databases: `ai_…`, at most 30 characters. */
  readonly name: string;
  readonly table: string;
  readonly columns: readonly string[];
}

/** An UPSERT as data: compiled per dialect into one or more statements run in one transaction. */
export interface UpsertSpec {
  readonly table: string;
  readonly keyColumns: readonly string[];
  readonly columns: readonly ColumnDefinition[];
  readonly rows: readonly Readonly<Record<string, SqlValue>>[];
  /**
   * The caller knows no key exists yet (a new run's assignments): a plain INSERT where the dialect has
   * one (1M rows on PostgreSQL: 2.8 s against 5.0 s with ON CONFLICT), so an existing key fails with
   * DB_CONSTRAINT_VIOLATION instead of being updated. Oracle and Tibero keep their MERGE. Default false.
   */
  readonly newKeysOnly?: boolean;
  /** Columns whose one value holds for every row (a run's id), given once here; the rows need not hold them. */
  readonly sharedValues?: Readonly<Record<string, SqlValue>>;
}

/** Where an UPSERT writes: the table, its key and the columns written. */
export type UpsertTarget = Omit<UpsertSpec, 'rows'>;

/** A column as the database catalog describes it. */
export interface CatalogColumn {
  readonly table: string;
  readonly name: string;
  /** The database's own type name, upper-cased (e.g. `DOUBLE PRECISION`, `VARCHAR`, `NUMBER`). */
  readonly type: string;
  readonly nullable: boolean;
  readonly position: number;
}

/** Why a driver error happened, decided by the dialect from SQLSTATE and native codes. */
export type DatabaseFailure = 'connection' | 'timeout' | 'constraint' | 'deadlock' | 'other';
