import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseConnectionString } from '../src/config/connection-string';
import type { Datastore } from '../src/datastore/datastore';
import type { Executor } from '../src/datastore/contracts';
import type { SqlDialect } from '../src/datastore/dialects/dialect';
import { MariadbDialect } from '../src/datastore/dialects/mariadb';
import { MysqlDialect } from '../src/datastore/dialects/mysql';
import { PostgresqlDialect } from '../src/datastore/dialects/postgresql';
import type { SqlValue, UpsertSpec } from '../src/datastore/types';
import { formatUtcTimestamp } from '../src/datastore/values';
import { outcomeTableDefinition } from '../src/modules/outcome/outcome-table';
import type { Assignment } from '../src/modules/run/assignment.repository';
import { executeUpsert } from '../src/datastore/upsert/execute-upsert';
import { SeededRandom } from '../src/shared/seeded-random';
import { compileValuesUpsert } from '../test/support/values-upsert';
import { median, openBenchDatastore, type BenchDatabase } from './data';

/**
 * The publish benchmark (issue 6): how fast a finished run's n outcomes are UPSERTed into an outcome
 * table, in one transaction, per method:
 *
 * - `server`: OutcomeRepository.upsert on the datastore's own dialect, the path a run takes;
 * - `server-new-keys`: the same rows as a run stores its assignments (AssignmentRepository.save):
 *   newKeysOnly, with the dataset id, run id and time given once (sharedValues); its `update` case
 *   inserts too, under a dataset id of its own, since a plain INSERT takes new keys only;
 * - `one-row-loop`: one single-row UPSERT statement per outcome (the naive baseline);
 * - `multi-values-1000`: multi-row VALUES, 1,000 rows a statement (the form before issue 6);
 * - `multi-values-<n>`: multi-row VALUES, n rows a statement (capped by the bind limit); `multi-values-max`: the cap;
 * - `binds-<n>`: multi-row VALUES (the Oracle family's MERGE) with as many rows as n bind parameters hold,
 *   the dialect's own row and bind limits lifted: how those limits were chosen;
 * - `arrays-<n>` (PostgreSQL): the unnest-of-arrays form, at most n rows a statement;
 * - `json-table-<n>` (MariaDB/MySQL): the JSON_TABLE form, at most n rows a statement;
 * - `json-recordset-<n>` (PostgreSQL): the alternative to arrays measured against them, one JSON
 *   parameter of n row objects read by json_populate_recordset (not an app path);
 * - `pg-multi-values`, `pg-multi-values-max`, `pg-unnest` (PostgreSQL): the native `pg` driver doing
 *   multi-row VALUES at 1,000 rows and at its 65,535-parameter maximum, and unnest of arrays.
 *
 * Each repetition creates the table (bench_publish_outcome_<pid>), times the `insert` case (every key new), then the `update` case
 * (every key present, every other value changed), and drops the table. Methods take turns within a
 * repetition, each repetition starting one method later, so that load from other work on the machine
 * and the database's own background work fall on all of them alike.
 */
export interface PublishOptions {
  readonly database: BenchDatabase;
  readonly rows: number;
  readonly repeat: number;
  /** Default: DEFAULT_METHODS for the database's dialect. */
  readonly methods?: readonly string[];
  readonly log?: (line: string) => void;
}

export interface PublishResult {
  readonly database: string;
  readonly method: string;
  readonly case: 'insert' | 'update';
  readonly rows: number;
  readonly medianSeconds: number;
  readonly rowsPerSecond: number;
  /** Seconds of each repetition, in order. */
  readonly runs: number[];
}

export const DEFAULT_METHODS: Readonly<Record<string, readonly string[]>> = {
  postgresql: ['server', 'one-row-loop', 'multi-values-1000', 'pg-multi-values', 'pg-unnest'],
  mysql: ['server', 'one-row-loop', 'multi-values-1000'],
  sqlite: ['server', 'one-row-loop', 'multi-values-1000'],
};

// Per process: two benchmarks on one database (a harness and a developer) must not drop each other's table.
export const PUBLISH_TABLE = `bench_publish_outcome_${process.pid}`;
const DATASET_ID = 'bench-publish';
const SCORED_AT = new Date(Date.UTC(2026, 10, 26, 9, 30, 15, 250));
// The most rows the native `pg` driver's multi-row VALUES takes: its protocol counts parameters in 16 bits.
const PG_MAX_PARAMETERS = 65_535;

/** Deterministic assignments: 10 clusters, distances with full double precision. */
export function publishAssignments(rows: number, seed: number): Assignment[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: rows }, (_, index) => ({
    entityKey: `entity-${String(index).padStart(8, '0')}`,
    cluster: random.integer(10),
    distance: random.next() * 12,
  }));
}

type Publish = (assignments: readonly Assignment[], runId: string) => Promise<void>;

interface BenchContext {
  readonly datastore: Datastore;
  readonly database: BenchDatabase;
  pgClient?: pg.Client;
}

export async function runPublishBench(options: PublishOptions): Promise<PublishResult[]> {
  const log = options.log ?? (() => undefined);
  const datastore = openBenchDatastore(options.database, 1);
  const context: BenchContext = { datastore, database: options.database };
  try {
    const serverVersion = await datastore.detectServer();
    log(`${options.database.name}: ${serverVersion}`);
    const methods = options.methods ?? DEFAULT_METHODS[options.database.dialect] ?? ['server'];
    const publishers = new Map(methods.map((method) => [method, publisher(method, context, serverVersion)]));
    const runs = await measure(datastore, publishers, options, log).finally(() => dropTable(datastore));
    return [...runs].map(([key, seconds]) => {
      const [method, caseName] = key.split('\u0000') as [string, 'insert' | 'update'];
      const middle = median(seconds);
      return {
        database: options.database.name,
        method,
        case: caseName,
        rows: options.rows,
        medianSeconds: round(middle, 3),
        rowsPerSecond: Math.round(options.rows / middle),
        runs: seconds.map((value) => round(value, 3)),
      };
    });
  } finally {
    await context.pgClient?.end().catch(() => undefined);
    await datastore.close();
  }
}

/** Seconds of each repetition by `method\u0000case`; methods take turns within each repetition. */
async function measure(
  datastore: Datastore,
  publishers: ReadonlyMap<string, Publish>,
  options: PublishOptions,
  log: (line: string) => void,
): Promise<Map<string, number[]>> {
  const runs = new Map<string, number[]>();
  const inserted = publishAssignments(options.rows, 1);
  const updated = publishAssignments(options.rows, 2);
  const order = [...publishers];
  for (let repetition = 0; repetition < options.repeat; repetition++) {
    // Each repetition starts with the next method: the one after a million-row update and DROP meets
    // the database's background clean-up (MariaDB's purge), and no method should always be that one.
    const turn = [...order.slice(repetition % order.length), ...order.slice(0, repetition % order.length)];
    for (const [method, publish] of turn) {
      await recreateTable(datastore);
      for (const [caseName, assignments] of [
        ['insert', inserted],
        ['update', updated],
      ] as const) {
        const runId = `run-${repetition}-${caseName}`;
        const started = performance.now();
        await publish(assignments, runId);
        const seconds = (performance.now() - started) / 1000;
        await assertPublished(datastore, options.rows, runId);
        const key = `${method}\u0000${caseName}`;
        runs.set(key, [...(runs.get(key) ?? []), seconds]);
        log(`${method} ${caseName} ${options.rows} rows: ${seconds.toFixed(2)} s (${Math.round(options.rows / seconds)} rows/s)`);
      }
    }
  }
  return runs;
}

function publisher(method: string, context: BenchContext, serverVersion: string): Publish {
  const { datastore } = context;
  const variant = datastore.dialect.variant;
  // The app's UPSERT path (executeUpsert, as a run stores its assignments), on the given dialect, in one datastore transaction.
  const throughRepository =
    (dialect: SqlDialect): Publish =>
    async (assignments, runId) => {
      await datastore.transaction((transaction) => {
        const executor: Executor = { dialect, query: (statement) => transaction.query(statement), execute: (statement) => transaction.execute(statement) };
        return executeUpsert(executor, outcomeUpsert(PUBLISH_TABLE, DATASET_ID, runId, SCORED_AT, assignments));
      });
    };
  const throughStatements =
    (compile: (spec: UpsertSpec) => ReturnType<SqlDialect['compileUpsert']>): Publish =>
    async (assignments, runId) => {
      const statements = compile(outcomeUpsert(PUBLISH_TABLE, DATASET_ID, runId, SCORED_AT, assignments));
      await datastore.transaction(async (transaction) => {
        for (const statement of statements) await transaction.execute(statement);
      });
    };
  if (method === 'server') return throughRepository(datastore.dialect);
  if (method === 'server-new-keys') {
    return async (assignments, runId) => {
      const { rows, ...spec } = outcomeUpsert(PUBLISH_TABLE, runId, runId, SCORED_AT, assignments);
      const sharedValues = { dataset_id: runId, run_id: runId, scored_at: SCORED_AT };
      const perRow = rows.map(({ entity_key, cluster, distance }) => ({ entity_key: entity_key!, cluster: cluster!, distance: distance! }));
      await datastore.transaction((transaction) => executeUpsert(transaction, { ...spec, rows: perRow, newKeysOnly: true, sharedValues }));
    };
  }
  if (method === 'one-row-loop') return throughStatements((spec) => compileValuesUpsert(datastore.dialect, spec, 1));
  const binds = /^binds-(\d+)$/.exec(method);
  if (binds) {
    const limit = Number(binds[1]);
    const lifted: SqlDialect = Object.assign(Object.create(datastore.dialect) as SqlDialect, { maxBindParameters: limit, maxRowsPerStatement: limit });
    return throughStatements((spec) => compileValuesUpsert(lifted, spec, Math.max(1, Math.floor(limit / spec.columns.length))));
  }
  const values = /^multi-values-(\d+|max)$/.exec(method);
  if (values) {
    const rows = values[1] === 'max' ? Number.MAX_SAFE_INTEGER : Number(values[1]);
    return throughStatements((spec) => compileValuesUpsert(datastore.dialect, spec, rows));
  }
  const arrays = /^arrays-(\d+)$/.exec(method);
  if (arrays && variant === 'postgresql') {
    const rows = Number(arrays[1]);
    const dialect = new (class extends PostgresqlDialect {
      override readonly maxRowsPerArrayStatement = rows;
    })();
    return throughRepository(dialect);
  }
  const json = /^json-table-(\d+)$/.exec(method);
  if (json && (variant === 'mariadb' || variant === 'mysql')) {
    const rows = Number(json[1]);
    const dialect =
      variant === 'mariadb'
        ? new (class extends MariadbDialect {
            override readonly maxRowsPerJsonStatement = rows;
          })(serverVersion)
        : new (class extends MysqlDialect {
            override readonly maxRowsPerJsonStatement = rows;
          })();
    if (!(dialect as MysqlDialect).hasJsonTable) throw new Error(`${serverVersion} has no JSON_TABLE`);
    return throughRepository(dialect);
  }
  const recordset = /^json-recordset-(\d+)$/.exec(method);
  if (recordset && variant === 'postgresql') {
    const rowsPerStatement = Number(recordset[1]);
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    const sql =
      `INSERT INTO ${q(PUBLISH_TABLE)} SELECT * FROM json_populate_recordset(NULL::${q(PUBLISH_TABLE)}, CAST(? AS json)) ` +
      `ON CONFLICT (${q('dataset_id')}, ${q('entity_key')}) DO UPDATE SET ${['run_id', 'cluster', 'distance', 'scored_at'].map((name) => `${q(name)} = excluded.${q(name)}`).join(', ')}`;
    const scoredAt = formatUtcTimestamp(SCORED_AT);
    return async (assignments, runId) => {
      await datastore.transaction(async (transaction) => {
        for (let start = 0; start < assignments.length; start += rowsPerStatement) {
          const rows = assignments.slice(start, start + rowsPerStatement).map((assignment) => ({
            dataset_id: DATASET_ID,
            entity_key: assignment.entityKey,
            run_id: runId,
            cluster: assignment.cluster,
            distance: assignment.distance,
            scored_at: scoredAt,
          }));
          await transaction.execute({ sql, parameters: [JSON.stringify(rows)], kind: 'upsert' });
        }
      });
    };
  }
  if (method.startsWith('pg-') && variant === 'postgresql') return pgPublisher(method, context);
  throw new Error(`Unknown publish method "${method}" for ${variant}`);
}

function pgPublisher(method: string, context: BenchContext): Publish {
  const client = async () => {
    if (!context.pgClient) {
      context.pgClient = new pg.Client(pgConfig(context.database.connectionString));
      await context.pgClient.connect();
    }
    return context.pgClient;
  };
  const definition = outcomeTableDefinition(PUBLISH_TABLE);
  const columns = definition.columns.map((column) => `"${column.name}"`).join(', ');
  const conflict =
    'ON CONFLICT ("dataset_id", "entity_key") DO UPDATE SET "run_id" = excluded."run_id", "cluster" = excluded."cluster", ' +
    '"distance" = excluded."distance", "scored_at" = excluded."scored_at"';
  const scoredAt = formatUtcTimestamp(SCORED_AT);
  const inTransaction = async (work: (connection: pg.Client) => Promise<void>) => {
    const connection = await client();
    await connection.query('BEGIN');
    try {
      await work(connection);
      await connection.query('COMMIT');
    } catch (error) {
      await connection.query('ROLLBACK');
      throw error;
    }
  };
  if (method === 'pg-multi-values' || method === 'pg-multi-values-max') {
    const width = definition.columns.length;
    const rowsPerStatement = method === 'pg-multi-values' ? 1_000 : Math.floor(PG_MAX_PARAMETERS / width);
    return (assignments, runId) =>
      inTransaction(async (connection) => {
        for (let start = 0; start < assignments.length; start += rowsPerStatement) {
          const chunk = assignments.slice(start, start + rowsPerStatement);
          const placeholders = chunk.map((_, row) => `(${Array.from({ length: width }, (_, column) => `$${row * width + column + 1}`).join(', ')})`);
          const parameters: unknown[] = [];
          for (const assignment of chunk) parameters.push(DATASET_ID, assignment.entityKey, runId, assignment.cluster, assignment.distance, scoredAt);
          await connection.query(`INSERT INTO "${PUBLISH_TABLE}" (${columns}) VALUES ${placeholders.join(', ')} ${conflict}`, parameters);
        }
      });
  }
  if (method === 'pg-unnest') {
    // The same chunking as the app's array form, so the two differ only in the driver.
    const rowsPerStatement = new PostgresqlDialect().maxRowsPerArrayStatement;
    return (assignments, runId) =>
      inTransaction(async (connection) => {
        for (let start = 0; start < assignments.length; start += rowsPerStatement) {
          const chunk = assignments.slice(start, start + rowsPerStatement);
          await connection.query(
            `INSERT INTO "${PUBLISH_TABLE}" (${columns}) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::double precision[], $6::timestamp[]) ${conflict}`,
            [
              chunk.map(() => DATASET_ID),
              chunk.map((assignment) => assignment.entityKey),
              chunk.map(() => runId),
              chunk.map((assignment) => assignment.cluster),
              chunk.map((assignment) => assignment.distance),
              chunk.map(() => scoredAt),
            ],
          );
        }
      });
  }
  throw new Error(`Unknown publish method "${method}"`);
}

/** host/port/database/user/password out of a psqlODBC connection string (Server, Port, Database, Uid, Pwd; any case). */
export function pgConfig(connectionString: string): pg.ClientConfig {
  const fields = new Map(parseConnectionString(connectionString).map((attribute) => [attribute.key.toLowerCase(), attribute.value]));
  return {
    host: fields.get('server') ?? fields.get('servername') ?? 'localhost',
    port: Number(fields.get('port') ?? 5432),
    database: fields.get('database'),
    user: fields.get('uid') ?? fields.get('username'),
    password: fields.get('pwd') ?? fields.get('password'),
  };
}

async function recreateTable(datastore: Datastore): Promise<void> {
  await dropTable(datastore);
  await datastore.execute(datastore.dialect.compileCreateTable(outcomeTableDefinition(PUBLISH_TABLE)));
}

async function dropTable(datastore: Datastore): Promise<void> {
  await datastore.execute({ sql: `DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(PUBLISH_TABLE)}`, parameters: [], kind: 'ddl' });
}

// A method that wrote nothing, or only part, would otherwise look fast.
async function assertPublished(datastore: Datastore, rows: number, runId: string): Promise<void> {
  const q = (name: string) => datastore.dialect.quoteIdentifier(name);
  const [count] = await datastore.query({
    sql: `SELECT COUNT(*) AS row_count FROM ${q(PUBLISH_TABLE)} WHERE ${q('run_id')} = ?`,
    parameters: [runId] as SqlValue[],
    kind: 'select',
  });
  const found = Number(Object.values(count ?? {})[0]);
  if (found !== rows) throw new Error(`${runId}: expected ${rows} published rows, found ${found}`);
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** The database a CLI run names: connection strings from BENCH_*_ODBC, else TEST_*_ODBC; SQLite in a temp file. */
export function publishDatabase(name: string): { database: BenchDatabase; cleanup: () => void } {
  if (name === 'sqlite') {
    const folder = mkdtempSync(path.join(tmpdir(), 'bench-publish-'));
    return {
      database: { name, dialect: 'sqlite', connectionString: `Driver={SQLite3};Database=${path.join(folder, 'publish.sqlite')};Timeout=10000;JournalMode=WAL` },
      cleanup: () => rmSync(folder, { recursive: true, force: true }),
    };
  }
  const variable = { postgresql: 'POSTGRESQL', mariadb: 'MARIADB', oracle: 'ORACLE', tibero: 'ORACLE' }[name];
  const connectionString = variable ? (process.env[`BENCH_${variable}_ODBC`] ?? process.env[`TEST_${variable}_ODBC`]) : undefined;
  if (!variable || !connectionString) {
    throw new Error(
      `--database ${name}: expected sqlite, postgresql (BENCH_POSTGRESQL_ODBC or TEST_POSTGRESQL_ODBC), mariadb (BENCH_MARIADB_ODBC or TEST_MARIADB_ODBC), ` +
        'or oracle | tibero (BENCH_ORACLE_ODBC or TEST_ORACLE_ODBC: H2 in Oracle mode in the tests)',
    );
  }
  const dialect = name === 'mariadb' ? 'mysql' : (name as 'postgresql' | 'oracle' | 'tibero');
  return { database: { name, dialect, connectionString }, cleanup: () => undefined };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      database: { type: 'string', default: 'sqlite' },
      rows: { type: 'string', default: '100000' },
      repeat: { type: 'string', default: '3' },
      methods: { type: 'string' },
    },
  });
  const { database, cleanup } = publishDatabase(values.database);
  try {
    const results = await runPublishBench({
      database,
      rows: Number(values.rows),
      repeat: Number(values.repeat),
      methods: values.methods?.split(',').map((method) => method.trim()),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } finally {
    cleanup();
  }
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}

/** The UPSERT of outcome rows (the outcome table's layout), one per assignment. */
function outcomeUpsert(table: string, datasetId: string, runId: string, scoredAt: Date, assignments: readonly Assignment[]): UpsertSpec {
  const definition = outcomeTableDefinition(table);
  const rows = assignments.map((assignment) => ({
    dataset_id: datasetId,
    entity_key: assignment.entityKey,
    run_id: runId,
    cluster: assignment.cluster,
    distance: assignment.distance,
    scored_at: scoredAt,
  }));
  return { table, keyColumns: definition.primaryKey, columns: definition.columns, rows };
}
