/**
 * A value read from a text column, null kept. The drivers return text as strings, but SQLite keeps what
 * it was given in a TEXT column (a number stays a number): such a value is written out as String() would.
 */
export function textOrNull(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'undefined':
      return null;
    default:
      // No text column reads as an object; should one (a Buffer), it keeps String()'s UTF-8, anything else is JSON.
      return value === null ? null : Buffer.isBuffer(value) ? value.toString('utf8') : JSON.stringify(value);
  }
}
