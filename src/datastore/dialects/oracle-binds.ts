import type { Statement } from '../types';
import { toParameter, type DriverValue } from '../values';
import type { DriverStatement } from './dialect';

/**
 * How the Oracle family's statements are handed to the driver.
 * - node-odbc binds every BigInt and whole number as SQL_C_SBIGINT, which Oracle's ODBC driver documents
 *   as unsupported ("Invalid SQL data type <-25>"; Tibero's driver is unknown): they go as decimal text,
 *   which the database converts wherever a number is expected (the dialect casts where nothing else says
 *   so). A fraction stays a double.
 * - Oracle takes a bind over 4,000 bytes only as a direct INSERT or UPDATE value; inside an expression it
 *   raises ORA-01461. A text in the dialect's CLOB placeholder goes as chunks of at most 4,000 bytes of
 *   UTF-8 (what the database character set counts, at most), `(TO_CLOB(?) || TO_CLOB(?) …)`.
 */
export function oracleDriverStatement(statement: Statement): DriverStatement {
  const parameters = statement.parameters.map((value, index) => integerAsText(toParameter(value, index)));
  return parameters.some(mayExceedExpressionBind) ? withLongTextChunked(statement.sql, parameters) : { sql: statement.sql, parameters };
}

/** How the dialect writes a text parameter into a CLOB column. */
export const CLOB_PARAMETER = 'TO_CLOB(?)';

const MAX_EXPRESSION_BIND_BYTES = 4_000;

// A whole double's exact digits below 10^21 (at most 21, inside NUMBER's 38), as SQL_C_SBIGINT carried
// them; from there JavaScript's own text, `1e+21`, which converts back to the very same double.
function integerAsText(value: DriverValue): DriverValue {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'number' || !Number.isInteger(value)) return value;
  return Math.abs(value) < 1e21 ? BigInt(value).toString() : String(value);
}

// A UTF-16 unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4), so shorter text fits.
function mayExceedExpressionBind(value: DriverValue): value is string {
  return typeof value === 'string' && value.length > MAX_EXPRESSION_BIND_BYTES / 3 && Buffer.byteLength(value) > MAX_EXPRESSION_BIND_BYTES;
}

// Each `?` outside literals and quoted names is the next parameter; only the dialect's own CLOB
// placeholder is rewritten.
function withLongTextChunked(sql: string, values: readonly DriverValue[]): DriverStatement {
  const parameters: DriverValue[] = [];
  let written = '';
  let copiedUpTo = 0;
  let index = 0;
  for (const match of sql.matchAll(/'(?:[^']|'')*'|"[^"]*"|\?/g)) {
    if (match[0] !== '?') continue;
    const value = values[index++]!;
    const start = match.index - 'TO_CLOB('.length;
    if (!mayExceedExpressionBind(value) || sql.slice(start, start + CLOB_PARAMETER.length) !== CLOB_PARAMETER) {
      parameters.push(value);
      continue;
    }
    const chunks = utf8Chunks(value, MAX_EXPRESSION_BIND_BYTES);
    written += `${sql.slice(copiedUpTo, start)}(${chunks.map(() => CLOB_PARAMETER).join(' || ')})`;
    copiedUpTo = start + CLOB_PARAMETER.length;
    parameters.push(...chunks);
  }
  return { sql: written + sql.slice(copiedUpTo), parameters };
}

/** `text` in consecutive pieces of at most `maxBytes` bytes of UTF-8, never splitting a surrogate pair. */
export function utf8Chunks(text: string, maxBytes: number): string[] {
  const chunks: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let at = 0; at < text.length;) {
    const code = text.codePointAt(at)!;
    // A lone surrogate is written as U+FFFD, 3 bytes.
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) {
      chunks.push(text.slice(start, at));
      start = at;
      bytes = 0;
    }
    bytes += size;
    at += code > 0xffff ? 2 : 1;
  }
  chunks.push(text.slice(start));
  return chunks;
}
