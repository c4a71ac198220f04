import odbc from 'odbc';

/**
 * TESTS ONLY: what Oracle's ODBC driver refuses and no engine behind psqlODBC can see. node-odbc binds a
 * BigInt, and a number equal to its int64 conversion, as SQL_C_SBIGINT (odbc.cpp, StoreBindValues);
 * Oracle's driver documents that C type as unsupported and fails with "Invalid SQL data type <-25>". On
 * the wire psqlODBC sends every value as text (traced: its Parse, made at SQLDescribeParam time, names
 * no types), so the H2 adapter cannot tell; the refusal sits here instead, on the one boundary every
 * statement of the `oracle` and `tibero` targets crosses. SQLSTATE HY004 is ODBC's "Invalid SQL data type".
 */

const guarded = new Set<string>();
let installed = false;

// A connection string the target's with settings appended (a schema of its own) is the target's too.
const base = (connectionString: string) => connectionString.replace(/;?\s*$/, ';');
const isGuarded = (connectionString: string) => [...guarded].some((prefix) => base(connectionString).startsWith(prefix));

/** node-odbc's own test: a number whose int64 conversion (saturating past ±2^63) equals it. */
function bindsAsSbigint(value: unknown): boolean {
  if (typeof value === 'bigint') return true;
  return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 63;
}

function refusal(index: number): Error {
  const message = `[Oracle][ODBC]Invalid SQL data type <-25>. (parameter ${index + 1} is a whole JS number or BigInt, bound as SQL_C_SBIGINT)`;
  return Object.assign(new Error('[odbc] Error executing the sql statement'), { odbcErrors: [{ state: 'HY004', code: 0, message }] });
}

type Query = (sql: string, parameters?: unknown, ...rest: unknown[]) => Promise<unknown>;

function guard(connection: odbc.Connection): odbc.Connection {
  const query = connection.query.bind(connection) as Query;
  (connection as unknown as { query: Query }).query = (sql, parameters, ...rest) => {
    const index = Array.isArray(parameters) ? parameters.findIndex(bindsAsSbigint) : -1;
    return index >= 0 ? Promise.reject(refusal(index)) : query(sql, parameters, ...rest);
  };
  return connection;
}

/** Every later odbc.connect to `connectionString` (or it with more settings) answers a 64-bit integer bind as Oracle's driver would. */
export function refuseSbigintBinds(connectionString: string): void {
  guarded.add(base(connectionString));
  if (installed) return;
  installed = true;
  const connect = odbc.connect.bind(odbc) as (parameters: string | odbc.ConnectionParameters) => Promise<odbc.Connection>;
  (odbc as unknown as { connect: typeof connect }).connect = async (parameters) => {
    const connection = await connect(parameters);
    const target = typeof parameters === 'string' ? parameters : parameters.connectionString;
    return isGuarded(target) ? guard(connection) : connection;
  };
}
