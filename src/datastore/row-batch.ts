import type { SqlDialect } from './dialects/dialect';
import type { KeyText, NonNumberMask, Row, SqlValue } from './types';
import { integerValue, isTimestampColumn, rowNormalizer, SQL_DOUBLE, type ResultColumn } from './values';

// ODBC's SQL_BIT: values.ts reads it as a boolean, so a number from such a column is converted, not passed through.
const SQL_BIT = -7;

/**
 * One batch of a read as the driver returned it, each row an array in SELECT order. Values become app
 * values (values.ts) only as they are read, and copyNumbers passes numbers through as they are, so a
 * million rows of features create no row objects.
 */
export class RowBatch {
  private readonly converters: ((value: unknown) => unknown)[];

  /**
   * @param nonNumbers where the read turned values that are not numbers into NULL (SQLite keeps text
   *   in numeric columns: withNonNumbersAsNull, a packed page), how many in each column, by index.
   */
  constructor(
    readonly columns: readonly ResultColumn[],
    private readonly rows: readonly (readonly unknown[])[],
    private readonly dialect: SqlDialect,
    readonly nonNumbers?: readonly number[],
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

  /** Rows `start` to `end` (excluded) of a batch as read (before withNonNumbersAsNull) as a batch of their own. */
  slice(start: number, end: number): RowBatch {
    return new RowBatch(this.columns, this.rows.slice(start, end), this.dialect);
  }

  /** A column's name as the app names it (the Oracle family's upper case read as lower case). */
  columnName(column: number): string {
    return this.dialect.identifierFromDatabase(this.columns[column]!.name);
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
      // A BIGINT (SQLite's INTEGER with BigInt=1): the nearest double, without its text.
      else if (typeof value === 'bigint') target[at] = Number(value);
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

  /** The batch without its trailing non-number masks: a value whose bit is set in its mask becomes NULL, and is counted (nonNumbers). */
  withNonNumbersAsNull(masks: readonly NonNumberMask[]): RowBatch {
    const rows = this.rows as unknown[][];
    const columns = this.columns.slice(0, this.columns.length - masks.length);
    const nonNumbers = columns.map(() => 0);
    for (const row of rows) {
      for (const mask of masks) {
        const bits = Number(row[mask.column] ?? 0);
        if (bits === 0) continue;
        mask.columns.forEach((column, bit) => {
          if (!(bits & (1 << bit))) return;
          row[column] = null;
          nonNumbers[column]! += 1;
        });
      }
    }
    return new RowBatch(columns, rows, this.dialect, nonNumbers);
  }

  /**
   * The batch without its key texts (SqlDialect.keyTexts, selected last): each key is the dialect's
   * exactKey of the driver's value and its text, read by the dialect's exactKeyType.
   */
  withExactKeys(texts: readonly KeyText[]): RowBatch {
    if (texts.length === 0) return this;
    const kept = this.columns.length - texts.length;
    if (texts.some((text) => text.text < kept)) throw new Error('Key texts are selected after every other column');
    const columns = this.columns
      .slice(0, kept)
      .map((column, index) => (texts.some((text) => text.column === index) ? { ...column, dataType: this.dialect.exactKeyType(column.dataType) } : column));
    const rows = this.rows.map((row) => {
      const exact = row.slice(0, kept);
      for (const { column, text } of texts) exact[column] = this.dialect.exactKey(row[column], row[text]);
      return exact;
    });
    return new RowBatch(columns, rows, this.dialect);
  }

  /**
   * The batch with the texts of its exact-number columns (SqlDialect.exactNumberColumns) as the numbers
   * they stand for (the dialect's exactNumber), typed as doubles.
   */
  withExactNumbers(exact: readonly number[]): RowBatch {
    if (exact.length === 0) return this;
    const rows = this.rows as unknown[][];
    for (const row of rows) {
      for (const column of exact) {
        const text = row[column];
        if (typeof text === 'string') row[column] = this.dialect.exactNumber(text);
      }
    }
    const columns = this.columns.map((column, index) => (exact.includes(index) ? { ...column, dataType: SQL_DOUBLE } : column));
    return new RowBatch(columns, rows, this.dialect, this.nonNumbers);
  }

  /**
   * The driver's values of some columns of one row, as they came: fit to bind back (keyset paging); a
   * timestamp as the Date it reads as where the dialect binds keys so (timestampKeysAsDates).
   */
  rawValues(row: number, columns: readonly number[]): SqlValue[] {
    return columns.map((column) =>
      this.dialect.timestampKeysAsDates && isTimestampColumn(this.columns[column]!.dataType)
        ? (this.value(row, column) as SqlValue)
        : toBindable(this.rows[row]![column]),
    );
  }
}

function toBindable(value: unknown): SqlValue {
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return value as SqlValue;
}
