import { AppError } from '../errors/app-error';
import type { Row, SqlValue } from './types';

/**
 * Every mapping between driver values and app values, decided once and tested on each real database.
 * Out: BIGINT → a number when safe, else its decimal text; DECIMAL → an integer as BIGINT, a fraction as a
 * double; timestamp text → a Date read as UTC; SQL_BIT → a boolean; binary → a Buffer; the Oracle family's
 * upper-case names → lower case. The type the driver describes decides: SQLite's INTEGER and MariaDB's
 * TINYINT(1) booleans read as 1/0, SQLite's DECIMAL (described as SQL_VARCHAR) as the text it stored.
 * In: a Date as UTC text, a boolean as 1/0, −0 as 0 (SQLite and MariaDB keep no sign of zero); NaN and
 * ±Infinity are refused; Oracle and Tibero store '' as NULL. Set-based UPSERTs carry the values as text;
 * the Oracle family binds whole numbers as text too (dialects/oracle-binds.ts).
 */

// ODBC SQL type codes (sql.h / sqlext.h) as the `odbc` package reports them in `columns[].dataType`.
const SQL_NUMERIC = 2;
const SQL_DECIMAL = 3;
/** ODBC's SQL_BIGINT and SQL_DOUBLE, as result columns are typed (a packed page's batches too). */
export const SQL_BIGINT = -5;
export const SQL_DOUBLE = 8;
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

export const INTEGER_TEXT = /^[+-]?\d+$/;
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

/** A Date, or the value as it came when it is not timestamp text. */
function timestampValue(value: unknown): unknown {
  if (value instanceof Date) return value;
  const match = TIMESTAMP_TEXT.exec(String(value).trim());
  if (!match) return value;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '0'] = match;
  const milliseconds = Math.round(Number(`0.${fraction}`) * 1000);
  const fullYear = Number(year);
  // Date.UTC reads years 0–99 as 1900–1999 (a `0001-01-01` sentinel would become 1901): those go through the setters.
  if (fullYear >= 100) return new Date(Date.UTC(fullYear, Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), milliseconds));
  const date = new Date(0);
  date.setUTCFullYear(fullYear, Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), milliseconds);
  return date;
}

/** A boolean, or the value as it came when it is neither a number nor boolean text. */
function bitValue(value: unknown): unknown {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (typeof value === 'string') return /^(1|t|true|y|yes)$/i.test(value.trim());
  return value;
}

/** Whether the driver describes a column as a date or timestamp (read as a Date, below). */
export function isTimestampColumn(dataType: number): boolean {
  return dataType === SQL_DATE || dataType === SQL_TIMESTAMP || dataType === SQL_TYPE_DATE || dataType === SQL_TYPE_TIMESTAMP;
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

/** What rowNormalizer asks of the dialect (SqlDialect has it; the dialects import this file). */
export interface ColumnNaming {
  identifierFromDatabase(name: string): string;
}

/** A function that turns the driver's rows into app rows; built once per result from its column list. */
export function rowNormalizer(columns: readonly ResultColumn[], dialect: ColumnNaming): (raw: Record<string, unknown>) => Row {
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

/** A value as the `odbc` package takes it: it picks the C type (a whole number or BigInt as SQL_C_SBIGINT). */
export type DriverValue = string | number | bigint | Buffer | null;

/** One app value as the driver binds it. */
export function toParameter(value: SqlValue, index: number): DriverValue {
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

const bits = new DataView(new ArrayBuffer(8));

/** A finite double as [m, e], m an integer of at most 53 bits and m × 2^e the double exactly (0 as [0, 0]). */
export function doubleParts(value: number): [number, number] {
  if (value === 0) return [0, 0];
  bits.setFloat64(0, value);
  const high = bits.getUint32(0);
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (high & 0xfffff) * 2 ** 32 + bits.getUint32(4);
  let exponent = -1074;
  if (biased !== 0) {
    mantissa += 2 ** 52;
    exponent = biased - 1075;
  }
  while (mantissa % 2 === 0) {
    mantissa /= 2;
    exponent += 1;
  }
  return [high >>> 31 ? -mantissa : mantissa, exponent];
}
