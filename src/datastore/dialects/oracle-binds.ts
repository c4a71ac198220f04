import type { Statement } from '../types';
import { toParameter, type DriverValue } from '../values';
import type { DriverStatement } from './dialect';

/**
 * How the Oracle family's statements are handed to the driver. node-odbc binds every BigInt and whole
 * number as SQL_C_SBIGINT, which Oracle's ODBC driver documents as unsupported ("Invalid SQL data type
 * <-25>"; Tibero's driver is unknown): they go as decimal text instead, which the database converts
 * wherever a number is expected (the dialect casts where nothing else says so). A fraction stays a double.
 */
export function oracleDriverStatement(statement: Statement): DriverStatement {
  return { sql: statement.sql, parameters: statement.parameters.map((value, index) => integerAsText(toParameter(value, index))) };
}

// A whole double's exact digits below 10^21 (at most 21, inside NUMBER's 38), as SQL_C_SBIGINT carried
// them; from there JavaScript's own text, `1e+21`, which converts back to the very same double.
function integerAsText(value: DriverValue): DriverValue {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'number' || !Number.isInteger(value)) return value;
  return Math.abs(value) < 1e21 ? BigInt(value).toString() : String(value);
}
