import { AppError } from '../errors/app-error';
import type { SqlDialect } from './dialects/dialect';
import type { Row, SqlValue } from './types';

/**
 * Every mapping between driver values and app values, decided once (tests run it on each real database):
 *
 * | from the driver                                   | to the app                                        |
 * |---------------------------------------------------|---------------------------------------------------|
 * | BIGINT as a JavaScript BigInt                      | number when a safe integer, else its decimal text |
 * | DECIMAL/NUMERIC (text, or a number on some drivers) | an integer: as BIGINT; a fraction: a number (a double: lossy past ~15 digits) |
 * | TIMESTAMP/DATE text `YYYY-MM-DD HH:MM:SS[.fff…]`   | a Date, read as UTC (the app writes UTC only)     |
 * | BIT/BOOLEAN (described as SQL_BIT)                 | true/false                                        |
 * | binary (ArrayBuffer)                               | Buffer                                            |
 * | column names upper-cased by the Oracle family     | the dialect's reading case (lower)                |
 *
 * Conversion goes by the type the driver describes, so a column read back depends on its driver too:
 * - the app's `boolean` column: PostgreSQL (BOOLEAN, SQL_BIT with BoolsAsChar=0) gives true/false; SQLite
 *   (INTEGER) and MariaDB (TINYINT(1), which Connector/ODBC describes as SQL_TINYINT) give the numbers 1/0.
 * - DECIMAL on SQLite: the SQLite3 ODBC driver describes DECIMAL columns as SQL_VARCHAR (it knows NUMERIC,
 *   which it describes as SQL_DOUBLE), so they come back as the text SQLite stored, e.g. '-123.25'.
 *
 * Going in: a Date is bound as UTC text `YYYY-MM-DD HH:MM:SS.mmm`; a boolean as 1/0; NaN and
 * ±Infinity are refused (no database here stores them portably); −0 is written as 0, on every engine
 * and in every form (SQL compares the two equal; SQLite and MariaDB keep no sign of zero in a DOUBLE,
 * and the `odbc` package binds an integral number as an integer). Oracle and Tibero store '' as NULL.
 *
 * Set-based UPSERTs (a PostgreSQL array, a MariaDB JSON document) carry values as text instead, through
 * valueText: the same mapping, with numbers as the shortest text that parses back to the same double.
 */

// ODBC SQL type codes (sql.h / sqlext.h) as the `odbc` package reports them in `columns[].dataType`.
const SQL_NUMERIC = 2;
const SQL_DECIMAL = 3;
const SQL_BIGINT = -5;
const SQL_BIT = -7;
const SQL_DATE = 9;
const SQL_TIMESTAMP = 11;
const SQL_TYPE_DATE = 91;
const SQL_TYPE_TIMESTAMP = 93;

export interface ResultColumn {
  readonly name: string;
  readonly dataType: number;
}

type Converter = (value: unknown) => unknown;

const INTEGER_TEXT = /^[+-]?\d+$/;
const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?$/;

export function integerValue(value: unknown): number | string {
  if (typeof value === 'number') return value;
  const text = String(value).trim();
  const asNumber = Number(text);
  return Number.isSafeInteger(asNumber) ? asNumber : text.replace(/^\+/, '');
}

export function decimalValue(value: unknown): number | string {
  if (typeof value === 'number') return value;
  const text = String(value).trim();
  return INTEGER_TEXT.test(text) ? integerValue(text) : Number(text);
}

export function timestampValue(value: unknown): Date | unknown {
  if (value instanceof Date) return value;
  const match = TIMESTAMP_TEXT.exec(String(value).trim());
  if (!match) return value;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '0'] = match;
  const milliseconds = Math.round(Number(`0.${fraction}`) * 1000);
  // Not Date.UTC(year, …): it reads years 0–99 as 1900–1999, turning a `0001-01-01` sentinel into 1901.
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), milliseconds);
  return date;
}

function bitValue(value: unknown): boolean | unknown {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (typeof value === 'string') return /^(1|t|true|y|yes)$/i.test(value.trim());
  return value;
}

function converterFor(dataType: number): Converter | undefined {
  switch (dataType) {
    case SQL_BIGINT:
      return integerValue;
    case SQL_NUMERIC:
    case SQL_DECIMAL:
      return decimalValue;
    case SQL_BIT:
      return bitValue;
    case SQL_DATE:
    case SQL_TIMESTAMP:
    case SQL_TYPE_DATE:
    case SQL_TYPE_TIMESTAMP:
      return timestampValue;
    default:
      return undefined;
  }
}

/** A function that turns the driver's rows into app rows; built once per result from its column list. */
export function rowNormalizer(columns: readonly ResultColumn[], dialect: SqlDialect): (raw: Record<string, unknown>) => Row {
  const plan = columns.map((column) => ({
    from: column.name,
    to: dialect.identifierFromDatabase(column.name),
    convert: converterFor(column.dataType),
  }));
  return (raw) => {
    const row: Row = {};
    for (const { from, to, convert } of plan) {
      const value = raw[from];
      if (value === null || value === undefined) row[to] = null;
      else if (value instanceof ArrayBuffer) row[to] = Buffer.from(value);
      else if (typeof value === 'bigint') row[to] = integerValue(value.toString());
      else row[to] = convert ? convert(value) : value;
    }
    return row;
  };
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

export function formatUtcTimestamp(date: Date): string {
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`
  );
}

/** One app value as the driver binds it. */
export function toParameter(value: SqlValue, index: number): string | number | bigint | Buffer | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new AppError('BAD_USER_INPUT', `Parameter ${index + 1} is an invalid date`);
    return formatUtcTimestamp(value);
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new AppError('BAD_USER_INPUT', `Parameter ${index + 1} is ${value}; only finite numbers can be stored`);
  }
  // −0 goes as 0 (see above): bound, it would be the integer 0 anyway.
  if (Object.is(value, -0)) return 0;
  return value;
}

/**
 * A number as text that a correctly rounding parser (PostgreSQL's float8in, MariaDB's my_strtod) reads
 * back to the very same double: JavaScript's shortest round-trip form, e.g. `0.1`, `5e-324`, `1e+21`;
 * −0 is "0", as toParameter writes it.
 */
export function exactNumberText(value: number): string {
  return String(value);
}

/**
 * One app value as text for a set-based UPSERT, or null: what toParameter binds, written out. A Buffer
 * has no text form here and is refused; so are invalid dates and non-finite numbers, as in toParameter.
 */
export function valueText(value: SqlValue | undefined, index: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AppError('BAD_USER_INPUT', `Parameter ${index + 1} is ${value}; only finite numbers can be stored`);
    return exactNumberText(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new AppError('BAD_USER_INPUT', `Parameter ${index + 1} is an invalid date`);
    return formatUtcTimestamp(value);
  }
  throw new AppError('DIALECT_UNSUPPORTED', `Parameter ${index + 1} is binary; a set-based UPSERT carries text, numbers and dates only`);
}
