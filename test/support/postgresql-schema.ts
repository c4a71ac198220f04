/**
 * TESTS ONLY: a PostgreSQL schema of its own for a test file that starts servers on PostgreSQL, so
 * its servers get their own app tables (ai_model_run, ai_cluster_outcome, …) and never touch the
 * shared ones in `public`, which other test files drop and re-create while this one runs.
 *
 * The server's sessions are put in the schema by psqlODBC's ConnSettings (`SET search_path TO …`,
 * run once per connection, as in test/integration/datastore/migrations.test.ts) and carry an
 * application_name of their own (libpq's, through psqlODBC's `pqopt`), so that the test can find
 * exactly its server's backends in pg_stat_activity — and terminate only those — while other test
 * files' servers run statements on the same tables' namesakes at the same time.
 */
import { Datastore } from '../../src/datastore/datastore';
import { textOrNull } from '../../src/datastore/text-value';
import type { Row } from '../../src/datastore/types';
import { ddl, openDatastore, postgresqlDatabase, select } from './databases';

export interface BackendActivity {
  readonly pid: number;
  /** active, idle, idle in transaction, … */
  readonly state: string;
  /** Whether the backend is inside a transaction (xact_start is set). */
  readonly inTransaction: boolean;
  /** The backend's current statement (if active) or last one, cut at track_activity_query_size. */
  readonly query: string;
}

export interface PostgresqlSchema {
  readonly schema: string;
  /** The application_name every session of `connectionString` carries. */
  readonly applicationName: string;
  /** The suite's PostgreSQL connection string, with the schema first on search_path and the application name. */
  readonly connectionString: string;
  /** The same connection string through another port on 127.0.0.1 (a relay in front of PostgreSQL). */
  through(port: number): string;
  /** The PostgreSQL server's own port (what a relay should forward to). */
  readonly port: number;
  /** A datastore in the schema, for the test's own SQL (it carries another application_name). */
  readonly datastore: Datastore;
  /** The backends of this schema's servers (application_name = applicationName), as pg_stat_activity has them now. */
  backends(): Promise<BackendActivity[]>;
  /** pg_terminate_backend(pid): ends the session; its open transaction is rolled back by the server. */
  terminate(pid: number): Promise<boolean>;
  /** Drops the schema with everything in it and closes the datastores. */
  drop(): Promise<void>;
}

/**
 * Creates a schema named `<tag>_<process id><time>` and returns the connection strings and datastores
 * for it. `tag` is a short lower-case identifier no other test file uses; the suffix keeps two runs of
 * the same file apart (two checkouts' suites on one PostgreSQL, or a file run by hand beside `npm test`).
 */
export async function createPostgresqlSchema(tag: string): Promise<PostgresqlSchema> {
  if (!/^[a-z_][a-z0-9_]{0,29}$/.test(tag)) throw new Error(`not a short lower-case identifier: ${tag}`);
  const name = `${tag}_${process.pid.toString(36)}${Date.now().toString(36)}`;
  const database = postgresqlDatabase();
  const applicationName = `aimodel_${name}`;
  const base = database.connectionString.replace(/;?\s*$/, ';');
  const connectionString = `${base}ConnSettings=SET search_path TO ${name};pqopt={application_name=${applicationName}};`;
  const portMatch = /(?:^|;)\s*Port\s*=\s*(\d+)/i.exec(base);
  if (!portMatch) throw new Error('TEST_POSTGRESQL_ODBC has no Port=…');
  const port = Number(portMatch[1]);

  // The monitor: the suite's own connection (public search_path, another application_name).
  const { datastore: monitor } = await openDatastore(
    { ...database, connectionString: `${base}pqopt={application_name=${applicationName}_monitor};` },
    { poolMax: 2 },
  );
  await monitor.execute(ddl(`CREATE SCHEMA ${name}`));
  const { datastore } = await openDatastore(
    { ...database, connectionString: `${base}ConnSettings=SET search_path TO ${name};pqopt={application_name=${applicationName}_test};` },
    { poolMax: 2 },
  );
  const [row] = await datastore.query(select('SELECT current_schema() AS name'));
  if (row?.name !== name) throw new Error(`ConnSettings did not put schema ${name} first on search_path (current_schema() = ${String(row?.name)})`);

  return {
    schema: name,
    applicationName,
    connectionString,
    port,
    through: (relayPort) => connectionString.replace(/((?:^|;)\s*Port\s*=\s*)\d+/i, `$1${relayPort}`).replace(/((?:^|;)\s*Server\s*=\s*)[^;]*/i, '$1127.0.0.1'),
    datastore,
    async backends() {
      const rows: Row[] = await monitor.query(
        select(
          'SELECT pid AS pid, state AS state, (xact_start IS NOT NULL) AS in_transaction, query AS query ' +
            'FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid() ORDER BY pid',
          [applicationName],
        ),
      );
      return rows.map((activity) => ({
        pid: Number(activity.pid),
        state: textOrNull(activity.state) ?? '',
        inTransaction: activity.in_transaction === true || activity.in_transaction === 1 || activity.in_transaction === '1',
        query: textOrNull(activity.query) ?? '',
      }));
    },
    async terminate(pid) {
      const [result] = await monitor.query(select('SELECT pg_terminate_backend(?) AS terminated', [pid]));
      return result?.terminated === true || result?.terminated === 1 || result?.terminated === '1';
    },
    async drop() {
      await datastore.close();
      try {
        await monitor.execute(ddl(`DROP SCHEMA IF EXISTS ${name} CASCADE`));
      } finally {
        await monitor.close();
      }
    },
  };
}

/**
 * Creates `table` in the schema with an integer key `id` and `features` double columns f1…fN, filled
 * by PostgreSQL itself (generate_series; deterministic values, no cluster structure). Much faster
 * than sending the rows through ODBC for the hundreds of thousands of rows a slow publish needs.
 */
export async function createSeriesTable(datastore: Datastore, table: string, rows: number, features: number): Promise<string[]> {
  const columns = Array.from({ length: features }, (_, index) => `f${index + 1}`);
  await datastore.execute(ddl(`CREATE TABLE ${table} (id INTEGER NOT NULL PRIMARY KEY, ${columns.map((column) => `${column} DOUBLE PRECISION`).join(', ')})`));
  // Different multipliers per column, modulo primes: values spread over [0, 1) without a pattern k-means could find quickly.
  const primes = [7919, 104729, 1299709, 15485863];
  const values = columns.map((_, index) => `((g::bigint * ${primes[index % primes.length]! + index * 2}) % 1000003) / 1000003.0`);
  await datastore.execute(ddl(`INSERT INTO ${table} (id, ${columns.join(', ')}) SELECT g, ${values.join(', ')} FROM generate_series(1, ${rows}) AS g`));
  await datastore.execute(ddl(`ANALYZE ${table}`));
  return columns;
}
