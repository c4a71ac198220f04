// TESTS ONLY: binds Oracle refuses and H2 accepts, refused by the adapter (adapter.mjs) as Oracle would, so
// the `oracle` and `tibero` targets fail where Oracle would fail. Each refusal is an ErrorResponse with a
// SQLSTATE chosen here and Oracle's message:
//
// - 22007 "ORA-01861: literal does not match format string": text bound where H2 describes the parameter as a
//   TIMESTAMP or DATE (its ParameterDescription at SQLDescribeParam time). Oracle converts such text by the
//   session's NLS_TIMESTAMP_FORMAT, which follows the territory (`DD-MON-RR HH.MI.SSXFF AM`), so ISO text
//   fails there unless the SQL converts it itself (TO_TIMESTAMP(?, mask) describes as text). The adapter
//   answers ALTER SESSION SET NLS_… without effect: nothing here proves what NLS settings do.
//
// A 64-bit integer bind (SQL_C_SBIGINT) never shows on the wire: psqlODBC sends every value as text, so
// test/support/oracle-driver-rules.ts refuses it at the driver instead.

const TIMESTAMP_TYPES = new Set([1082, 1114, 1184]); // date, timestamp, timestamptz

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
  }
  return null;
}
