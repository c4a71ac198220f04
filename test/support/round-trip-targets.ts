import { Datastore } from '../../src/datastore/datastore';
import { dialectFor, refineForServer, type SqlDialect } from '../../src/datastore/dialects';
import { APP_MIGRATIONS } from '../../src/datastore/migrations/app-migrations';
import { MIGRATIONS_TABLE } from '../../src/datastore/migrations/migration';
import type { UpsertSpec } from '../../src/datastore/types';
import { valuesRowsPerStatement } from '../../src/datastore/upsert/values-batches';
import { mariadbDatabase, oracleDatabase, postgresqlDatabase, sqliteDatabase, tiberoDatabase, type TestDatabase } from './databases';

/**
 * TESTS ONLY: the databases the round-trip suite (test/integration/roundtrip/) runs every path on, each
 * through its real ODBC driver, and what each engine is documented to give back (README "How values
 * come back"). An engine joins the suite as one more entry. `oracle`, `tibero` and `tibero_rownum` are one
 * engine, H2 in Oracle mode, under each dialect; `tibero_rownum` as refined for a Tibero 6 before FS07.
 */
export interface RoundTripTarget {
  /** Short and lower case: test names, table prefixes. */
  readonly name: string;
  readonly database: () => TestDatabase;
  /** Whether `read` is what the engine gives back for a stored double `written` (−0 is written as 0 everywhere). */
  readonly readsBackDouble: (written: number, read: unknown) => boolean;
  /** The server version the dialect is refined for, instead of the one the engine reports. Default: the engine's. */
  readonly serverVersion?: string;
}

/**
 * V$VERSION of a Tibero 6 before FS07 (no OFFSET/FETCH), as readServerVersion joins it: the Tibero dialect
 * refined for it pages with ROWNUM, which H2 runs too.
 */
export const TIBERO_6_FS06_VERSION = 'PRODUCT_NAME=Tibero PRODUCT_MAJOR=6 PRODUCT_MINOR=0 STABLE_VERSION=FS06_CS_1902';

/** A double as the app writes it: −0 as 0 (values.ts). */
export const asWritten = (value: number) => (Object.is(value, -0) ? 0 : value);

export const exactly = (written: number, read: unknown) => Object.is(asWritten(written), read);

export const ROUND_TRIP_TARGETS: readonly RoundTripTarget[] = [
  { name: 'sqlite', database: sqliteDatabase, readsBackDouble: sqliteReadsBack },
  { name: 'postgresql', database: postgresqlDatabase, readsBackDouble: exactly },
  { name: 'mariadb', database: mariadbDatabase, readsBackDouble: exactly },
  { name: 'oracle', database: oracleDatabase, readsBackDouble: exactly },
  { name: 'tibero', database: tiberoDatabase, readsBackDouble: exactly },
  { name: 'tibero_rownum', database: tiberoDatabase, readsBackDouble: exactly, serverVersion: TIBERO_6_FS06_VERSION },
];

/**
 * The SQLite ODBC driver reads a REAL through SQLite's own text of it, 15 significant digits, which
 * SQLite computes in long double: the 15th digit can be one off the correctly rounded one (5 doubles in
 * 3,000 drawn over the whole range). Past ±1.79769313486231e308 the text overflows to ±Infinity.
 */
export function sqliteReadsBack(written: number, read: unknown): boolean {
  if (typeof read !== 'number') return false;
  if (Object.is(written, -0)) return Object.is(read, 0);
  const [mantissa, exponent] = written.toExponential(14).split('e') as [string, string];
  const digits = BigInt(mantissa.replace('.', ''));
  const scale = Number(exponent) - 14;
  return [digits, digits - 1n, digits + 1n].some((candidate) => Object.is(Number(`${candidate}e${scale}`), read));
}

/** A column comparison for doubles on the target: NULL (or NaN, the reader's NULL) as itself, a double as the engine reads it back. */
export function sameDouble(target: RoundTripTarget): (expected: unknown, actual: unknown) => boolean {
  return (expected, actual) => {
    if (typeof expected !== 'number') return expected === actual;
    if (Number.isNaN(expected)) return typeof actual === 'number' && Number.isNaN(actual);
    return target.readsBackDouble(expected, actual);
  };
}

/** Every table (and index) the app creates or fills under a fixed name. */
export const APP_TABLE_NAMES: readonly string[] = [
  MIGRATIONS_TABLE.name,
  ...APP_MIGRATIONS.flatMap((migration) => migration.tables.map((table) => table.name)),
  // Index names are schema-wide on PostgreSQL, SQLite and the Oracle family: prefixed as their tables.
  ...APP_MIGRATIONS.flatMap((migration) => (migration.indexes ?? []).map((index) => index.name)),
  'iris',
  'station_readings',
];

/**
 * Rows a set-based UPSERT statement (PostgreSQL's arrays, MariaDB's JSON_TABLE) carries in the suite,
 * instead of 50,000: the multi-row VALUES forms' 1,000, so that a batch of a few thousand rows crosses
 * statement boundaries in every form, as it does in a large run.
 */
export const ROUND_TRIP_ROWS_PER_STATEMENT = 1_000;

const SET_BASED_ROW_LIMITS = new Set<string | symbol>(['maxRowsPerArrayStatement', 'maxRowsPerJsonStatement']);

/**
 * The dialect with the app's tables (APP_TABLE_NAMES) renamed to `<prefix><name>` wherever it quotes
 * them or names them to the catalog, and named back when the catalog reports them: the repositories under test then run their own
 * SQL, unchanged but for those names, without touching the tables other test files use in the same
 * shared database. Set-based UPSERTs carry ROUND_TRIP_ROWS_PER_STATEMENT rows a statement. A Proxy, so
 * the dialect stays the one the server would refine to, subclass and all.
 */
export function withTablePrefix<T extends SqlDialect>(dialect: T, prefix: string): T {
  const prefixed = new Map(APP_TABLE_NAMES.map((name) => [name, `${prefix}${name}`]));
  const unprefixed = new Map([...prefixed].map(([name, renamed]) => [renamed, name]));
  return new Proxy(dialect, {
    get(target, property, receiver) {
      if (SET_BASED_ROW_LIMITS.has(property)) return ROUND_TRIP_ROWS_PER_STATEMENT;
      if (property === 'quoteIdentifier') return (name: string) => target.quoteIdentifier.call(receiver, prefixed.get(name) ?? name);
      // The catalog queries bind names as the catalog stores them.
      if (property === 'identifierToDatabase') return (name: string) => target.identifierToDatabase.call(receiver, prefixed.get(name) ?? name);
      if (property === 'identifierFromDatabase') {
        // Another file's app tables (the unprefixed names in a shared database) are hidden under another name.
        return (name: string) => {
          const read = target.identifierFromDatabase.call(receiver, name);
          return unprefixed.get(read) ?? (prefixed.has(read) ? `${read} (not this test's)` : read);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

export interface RoundTripStore {
  readonly target: RoundTripTarget;
  /** On `prefix`: the app's tables are `<prefix><name>` here. */
  readonly datastore: Datastore;
  readonly serverVersion: string;
  /** Drops the named tables (the app's under their prefixed names) if they exist. */
  drop(tables: readonly string[]): Promise<void>;
  /** Drops the app's tables and closes the datastore. */
  close(): Promise<void>;
}

/**
 * A datastore on the target whose app tables carry `prefix` (a short lower-case tag no other test
 * file uses), with those tables dropped first.
 */
export async function openRoundTripStore(target: RoundTripTarget, prefix: string): Promise<RoundTripStore> {
  const database = target.database();
  const options = { connectionString: database.connectionString, poolMax: 4, acquireTimeoutMs: 10_000, queryTimeoutMs: 120_000, idleTimeoutMs: 60_000 };
  // The server's own refinement first (MariaDB's form, PostgreSQL's MERGE), then the prefix on top:
  // detectServer would replace a dialect it refines, Proxy and all.
  const probe = Datastore.create({ ...options, dialect: dialectFor(database.dialect) });
  let serverVersion: string;
  try {
    serverVersion = await probe.detectServer();
  } finally {
    await probe.close();
  }
  const dialect = withTablePrefix(refineForServer(dialectFor(database.dialect), target.serverVersion ?? serverVersion), prefix);
  const datastore = Datastore.create({ ...options, dialect });
  const drop = async (tables: readonly string[]) => {
    for (const table of tables) await datastore.execute({ sql: `DROP TABLE IF EXISTS ${dialect.quoteIdentifier(table)}`, parameters: [], kind: 'ddl' });
  };
  await drop(APP_TABLE_NAMES);
  return {
    target,
    datastore,
    serverVersion,
    drop,
    async close() {
      try {
        await drop(APP_TABLE_NAMES);
      } finally {
        await datastore.close();
      }
    },
  };
}

/**
 * Rows one statement of the dialect's UPSERT of `spec` carries at most, by the rule the compiler batches
 * with: the set-based form's chunk (PostgreSQL's arrays, MySQL's and MariaDB's JSON_TABLE), else the
 * multi-row VALUES rows that fit both the row limit and the bind budget (values-batches.ts).
 */
export function upsertRowsPerStatement(dialect: SqlDialect, spec: UpsertSpec): number {
  return dialect.setBasedUpsert(spec)?.maxRows ?? valuesRowsPerStatement(dialect, spec);
}
