// TESTS ONLY: binds Oracle refuses and H2 accepts, refused by the adapter (adapter.mjs) as Oracle would, so
// the `oracle` and `tibero` targets fail where Oracle would fail. Each refusal is an ErrorResponse with a
// SQLSTATE chosen here and Oracle's message:
//
// - 22007 "ORA-01861: literal does not match format string": text bound where H2 describes the parameter as a
//   TIMESTAMP or DATE (its ParameterDescription at SQLDescribeParam time). Oracle converts such text by the
//   session's NLS_TIMESTAMP_FORMAT, which follows the territory (`DD-MON-RR HH.MI.SSXFF AM`), so ISO text
//   fails there unless the SQL converts it itself (TO_TIMESTAMP(?, mask) describes as text). The adapter
//   answers ALTER SESSION SET NLS_… without effect: nothing here proves what NLS settings do.
// - HY000 "ORA-01461: can bind a LONG value only for insert into a LONG column": a text over 4,000 bytes bound
//   anywhere but as a direct INSERT … VALUES or UPDATE … SET value (inside TO_CLOB(?), a MERGE source…).
//
// A 64-bit integer bind (SQL_C_SBIGINT) never shows on the wire: psqlODBC sends every value as text, so
// test/support/oracle-driver-rules.ts refuses it at the driver instead.

const TIMESTAMP_TYPES = new Set([1082, 1114, 1184]); // date, timestamp, timestamptz
const MAX_EXPRESSION_BIND_BYTES = 4_000;

/** Reads a protocol message field by field, after its type byte and length. */
function fields(whole) {
  let offset = 5;
  return {
    cstring() {
      const end = whole.indexOf(0, offset);
      const text = whole.toString('utf8', offset, end);
      offset = end + 1;
      return text;
    },
    int16() {
      offset += 2;
      return whole.readInt16BE(offset - 2);
    },
    int32() {
      offset += 4;
      return whole.readInt32BE(offset - 4);
    },
    bytes(length) {
      offset += length;
      return whole.subarray(offset - length, offset);
    },
  };
}

/** The SQL and parameter type OIDs of a Parse message, by statement name. */
export function readParse(whole) {
  const read = fields(whole);
  const name = read.cstring();
  const sql = read.cstring();
  const types = Array.from({ length: read.int16() }, () => read.int32());
  return { name, sql, types };
}

/** The statement a Bind message binds, and its parameter values (null for NULL or a binary value). */
export function readBind(whole) {
  const read = fields(whole);
  read.cstring(); // portal
  const statement = read.cstring();
  const formats = Array.from({ length: read.int16() }, () => read.int16());
  const values = Array.from({ length: read.int16() }, (_, index) => {
    const length = read.int32();
    const format = formats.length === 1 ? formats[0] : (formats[index] ?? 0);
    const bytes = length < 0 ? null : read.bytes(length);
    return format === 0 ? bytes : null;
  });
  return { statement, values };
}

/** The type OIDs of a ParameterDescription message. */
export function readParameterTypes(whole) {
  const read = fields(whole);
  return Array.from({ length: read.int16() }, () => read.int32());
}

/** Why Oracle would refuse these values for `statement` ({ sql, types }), or null. */
export function refusal(statement, values) {
  for (const [index, value] of values.entries()) {
    if (value === null) continue;
    const placeholder = `$${index + 1}`;
    if (TIMESTAMP_TYPES.has(statement.types[index])) {
      return {
        code: '22007',
        message: `ORA-01861: literal does not match format string (${placeholder} is text where a TIMESTAMP is expected: bind it through TO_TIMESTAMP)`,
      };
    }
    if (value.length > MAX_EXPRESSION_BIND_BYTES && !isDirectValue(statement.sql, index + 1)) {
      return {
        code: 'HY000',
        message: `ORA-01461: can bind a LONG value only for insert into a LONG column (${placeholder} has ${value.length} bytes inside an expression)`,
      };
    }
  }
  return null;
}

/**
 * Whether `$n` is a whole INSERT … VALUES item or the whole right side of an UPDATE … SET assignment, the
 * only places Oracle takes a bind over 4,000 bytes. Literals and quoted names are skipped.
 */
function isDirectValue(sql, number) {
  const statement = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase();
  const tokens = sql.match(/'(?:[^']|'')*'|"[^"]*"|\$\d+|\w+|[^\s\w]/g) ?? [];
  let depth = 0;
  let valuesDepth = -1;
  let inSet = false;
  for (let at = 0; at < tokens.length; at += 1) {
    const token = tokens[at];
    const upper = token.toUpperCase();
    if (token === '(') {
      depth += 1;
      if (tokens[at - 1]?.toUpperCase() === 'VALUES' && valuesDepth < 0) valuesDepth = depth;
    } else if (token === ')') {
      depth -= 1;
    } else if (depth === 0 && upper === 'SET') {
      inSet = true;
    } else if (depth === 0 && upper === 'WHERE') {
      inSet = false;
    } else if (token === `$${number}`) {
      const before = tokens[at - 1];
      const after = tokens[at + 1];
      if (statement === 'INSERT' && depth === valuesDepth) return (before === '(' || before === ',') && (after === ')' || after === ',');
      if (statement === 'UPDATE' && inSet && depth === 0) return before === '=' && (after === undefined || after === ',' || after.toUpperCase() === 'WHERE');
      return false;
    }
  }
  return false;
}
