import type { ColumnDefinition, SqlValue, UpsertSpec } from '../types';

/** What batching an UPSERT asks of a dialect; SqlDialect implements it, and writes every SQL text. */
export interface UpsertDialect {
  readonly maxBindParameters: number;
  readonly maxRowsPerStatement: number;
  readonly maxValueBytesPerStatement: number;
  /** Whether a newKeysOnly batch is a plain INSERT (the database then refuses a repeated key itself). */
  readonly newKeysAsPlainInsert: boolean;
  assertIdentifier(name: string): void;
  /** The shared-value columns the multi-row VALUES form binds once a statement rather than in every row. */
  columnsBoundOnce(spec: UpsertSpec): readonly ColumnDefinition[];
  /** One multi-row VALUES UPSERT of `rowCount` rows: the columns bound once first, then row by row. */
  valuesUpsertSql(spec: UpsertSpec, rowCount: number): string;
  /** The dialect's set-based form for this batch, or undefined where it has none. */
  setBasedUpsert(spec: UpsertSpec): SetBasedUpsert | undefined;
}

/** One SQL text whose few parameters carry a whole chunk of rows as text (an array literal, a JSON document). */
export interface SetBasedUpsert {
  readonly sql: string;
  /** One value as text; `index` is its position in the batch, for error messages. */
  encode(value: SqlValue | undefined, index: number): string;
  /** What one text counts against maxSize (one more is counted for its separator). */
  sizeOf(text: string): number;
  readonly maxRows: number;
  readonly maxSize: number;
  /** The statement's parameters from one chunk's texts, given column by column. */
  parameters(columns: readonly string[][]): string[];
}
