import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import odbc from 'odbc';
import { Datastore } from '../src/datastore/datastore';
import { dialectFor, type SqlDialect } from '../src/datastore/dialects';
import { PostgresqlDialect } from '../src/datastore/dialects/postgresql';
import type { Statement } from '../src/datastore/types';
import { readFeatureTable } from '../src/modules/run/dataset-reader';
import { benchTable, ensureBlobTable, featureColumns, median, openBenchDatastore, readParams, type BenchDatabase } from './data';

/**
 * The read benchmark (issue 6): how fast a dataset comes out of the database through ODBC.
 *
 *   node dist/bench/read.js --database sqlite|postgresql|mariadb [--rows 1000000] [--repeat 3]
 *       [--fetch-sizes 1000,5000,20000,50000] [--methods server,odbc-raw,odbc-raw-array,pyodbc]
 *       [--connection-options 'UseDeclareFetch=1;Fetch={fetchSize}'] [--baseline-dist <a dist/ folder>]
 *       [--connections 2]
 *
 * Methods, all reading `SELECT entity_id, f01…f10 FROM bench_blobs_<rows> ORDER BY entity_id`:
 * - `server`: readFeatureTable, what a model run does (Float64Array of features + entity key strings), on
 *   `--connections` connections side by side (default 1; a run reads on RUN_READ_CONNECTIONS, default 2).
 * - `odbc-raw`: a node-odbc 2.6 cursor alone (fetchSize rows a fetch, row objects, nothing kept):
 *   the Node driver's limit. On MariaDB it stops early (see mariadb.ts); `rows` says how far it got.
 * - `odbc-raw-array`: the same on a connection opened with node-odbc's `fetchArray` (rows as arrays).
 * - `server-baseline`: `server` as another build of this repository does it (`--baseline-dist`, e.g. a
 *   copy of dist/ built from an earlier commit): before/after comparisons run interleaved.
 * - `server-declared-cursor` (PostgreSQL): `server` with a cursor declared in SQL, DECLARE … FETCH FORWARD n
 *   (SqlDialect.serverCursorStatements), as postgresql.ts would declare it: psqlODBC's own cursor holds
 *   the whole result in memory unless UseDeclareFetch=1.
 * - `server-keyset`: `server` paging by key (as on MariaDB) on any database, each page a plain query.
 * - `pyodbc`: bench/read-pyodbc.py, cursor.fetchmany(fetchSize) into numpy blocks and one pandas
 *   DataFrame: the reference a Python pipeline gets.
 *
 * `--connection-options` is appended to the connection string for every method, `{fetchSize}` replaced
 * by the case's fetch size (psqlODBC's UseDeclareFetch=1;Fetch=n is its server-side cursor).
 *
 * Connection strings: BENCH_POSTGRESQL_ODBC ?? TEST_POSTGRESQL_ODBC, BENCH_MARIADB_ODBC ?? TEST_MARIADB_ODBC;
 * SQLite is a file in the temp folder, kept between runs (the table is deterministic). Every run of every
 * case is its own child process, so its peak RSS (getrusage maxrss) minus its RSS just before the read is
 * the read's own memory. Times are medians of --repeat runs, run back to back. Output: JSON on stdout.
 */

export type ReadMethod = 'server' | 'server-baseline' | 'server-declared-cursor' | 'server-keyset' | 'odbc-raw' | 'odbc-raw-array' | 'pyodbc';
const EXTRA_METHODS: readonly ReadMethod[] = ['server-baseline', 'server-declared-cursor', 'server-keyset'];

/** The methods run by default; EXTRA_METHODS run only when asked for. */
export const READ_METHODS: readonly ReadMethod[] = ['server', 'odbc-raw', 'odbc-raw-array', 'pyodbc'];

export interface ReadResult {
  readonly database: string;
  readonly method: ReadMethod;
  readonly fetchSize: number;
  readonly connectionOptions: string;
  /** Rows the method read (the last run); less than the table's rows means the method stopped early. */
  readonly rows: number;
  readonly complete: boolean;
  readonly medianSeconds: number;
  readonly rowsPerSecond: number;
  /** The fastest run: on a shared machine the one least slowed by other work. */
  readonly bestSeconds: number;
  /** Median user + system CPU seconds of the reading process (the client's cost, not the server's). */
  readonly medianCpuSeconds: number;
  /** Median over the runs of peak RSS minus RSS just before the read, in MiB. */
  readonly peakRssDeltaMb: number;
  readonly runsSeconds: number[];
  /** Sum of the feature values read: equal across methods when they read the same data. */
  readonly checksum: number;
}

export interface ReadBenchOptions {
  readonly database: BenchDatabase;
  readonly rows: number;
  readonly repeat: number;
  readonly fetchSizes?: number[];
  readonly methods?: readonly ReadMethod[];
  readonly connectionOptions?: string;
  /** The dist/ folder of the build `server-baseline` runs. */
  readonly baselineDist?: string;
  /** The server methods' connections side by side (readFeatureTable's parts); default 1. */
  readonly connections?: number;
  readonly log?: (line: string) => void;
}

interface ReadCase {
  readonly database: BenchDatabase;
  readonly method: ReadMethod;
  readonly rows: number;
  readonly fetchSize: number;
  readonly baselineDist?: string;
  readonly connections?: number;
}

interface CaseOutcome {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly rows: number;
  readonly checksum: number;
  readonly baselineRssBytes: number;
  readonly peakRssBytes: number;
}

const DEFAULT_FETCH_SIZES = [1_000, 5_000, 20_000, 50_000];

const selectSql = (database: BenchDatabase, rows: number): string => {
  const q = (name: string) => (database.dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
  return `SELECT ${['entity_id', ...featureColumns()].map(q).join(', ')} FROM ${q(benchTable(rows))} ORDER BY ${q('entity_id')}`;
};

export function withConnectionOptions(connectionString: string, options: string, fetchSize: number): string {
  if (!options) return connectionString;
  const separator = connectionString.endsWith(';') ? '' : ';';
  return `${connectionString}${separator}${options.replaceAll('{fetchSize}', String(fetchSize))}`;
}

export async function runReadBench(options: ReadBenchOptions): Promise<ReadResult[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const setup = openBenchDatastore(options.database);
  try {
    await setup.detectServer();
    await ensureBlobTable(setup, options.rows, log);
  } finally {
    await setup.close();
  }
  const connectionOptions = options.connectionOptions ?? '';
  const cases: ReadCase[] = [];
  for (const fetchSize of options.fetchSizes ?? DEFAULT_FETCH_SIZES) {
    for (const method of options.methods ?? READ_METHODS) {
      const connectionString = withConnectionOptions(options.database.connectionString, connectionOptions, fetchSize);
      if (method === 'server-baseline' && !options.baselineDist) throw new Error('server-baseline needs --baseline-dist');
      cases.push({
        database: { ...options.database, connectionString },
        method,
        rows: options.rows,
        fetchSize,
        baselineDist: options.baselineDist,
        connections: options.connections,
      });
    }
  }
  // Round-robin over the cases, run after run, so a slow spell on a shared machine hits every case alike.
  const outcomes: CaseOutcome[][] = cases.map(() => []);
  for (let run = 0; run < options.repeat; run++) {
    cases.forEach((readCase, index) => {
      const outcome = runCaseInChild(readCase);
      log(
        `${options.database.name} ${readCase.method} fetch ${readCase.fetchSize} ${connectionOptions}: ${outcome.rows} rows in ${outcome.seconds.toFixed(2)} s (${outcome.cpuSeconds.toFixed(2)} s CPU)`,
      );
      outcomes[index]!.push(outcome);
    });
  }
  return cases.map((readCase, index): ReadResult => {
    const runs = outcomes[index]!;
    const seconds = median(runs.map((outcome) => outcome.seconds));
    const last = runs[runs.length - 1]!;
    return {
      database: options.database.name,
      method: readCase.method,
      fetchSize: readCase.fetchSize,
      connectionOptions,
      rows: last.rows,
      complete: last.rows === options.rows,
      medianSeconds: round(seconds, 3),
      rowsPerSecond: Math.round(last.rows / seconds),
      bestSeconds: round(Math.min(...runs.map((outcome) => outcome.seconds)), 3),
      medianCpuSeconds: round(median(runs.map((outcome) => outcome.cpuSeconds)), 3),
      peakRssDeltaMb: round(median(runs.map((outcome) => (outcome.peakRssBytes - outcome.baselineRssBytes) / 2 ** 20)), 1),
      runsSeconds: runs.map((outcome) => round(outcome.seconds, 3)),
      checksum: round(last.checksum, 3),
    };
  });
}

function runCaseInChild(readCase: ReadCase): CaseOutcome {
  const child =
    readCase.method === 'pyodbc'
      ? spawnSync(
          'python3',
          [
            path.join(__dirname, '..', '..', 'bench', 'read-pyodbc.py'),
            readCase.database.connectionString,
            selectSql(readCase.database, readCase.rows),
            '1',
            String(readCase.fetchSize),
          ],
          { encoding: 'utf8', maxBuffer: 1 << 24 },
        )
      : readCase.method === 'server-baseline'
        ? spawnSync(process.execPath, [path.join(readCase.baselineDist!, 'bench', 'read.js'), '--case', JSON.stringify({ ...readCase, method: 'server' })], {
            encoding: 'utf8',
            maxBuffer: 1 << 24,
          })
        : spawnSync(process.execPath, [__filename, '--case', JSON.stringify(readCase)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`${readCase.method} (fetch ${readCase.fetchSize}) failed: ${child.stderr || child.error?.message}`);
  const lines = child.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as CaseOutcome;
}

/** One run of one case, in this (child) process. */
async function runCase(readCase: ReadCase): Promise<CaseOutcome> {
  const sql = selectSql(readCase.database, readCase.rows);
  if (readCase.method === 'server' || readCase.method === 'server-declared-cursor' || readCase.method === 'server-keyset') {
    const datastore =
      readCase.method === 'server'
        ? openBenchDatastore(readCase.database)
        : readCase.method === 'server-keyset'
          ? benchDatastore(readCase.database, Object.create(dialectFor(readCase.database.dialect), { reliableCursorFetch: { value: false } }) as SqlDialect)
          : benchDatastore(readCase.database, declaredCursorDatastoreDialect(readCase.database));
    try {
      await datastore.detectServer();
      const params = readParams(benchTable(readCase.rows), ['entity_id']);
      const baselineRssBytes = process.memoryUsage.rss();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const parts = readCase.connections ?? 1;
      const table = await readFeatureTable(datastore, datastore.dialect, params, readCase.fetchSize, { shouldCancel: () => false }, parts);
      const seconds = (performance.now() - started) / 1000;
      const cpuSeconds = cpuSince(cpu);
      let checksum = 0;
      for (const value of table.values) if (Number.isFinite(value)) checksum += value;
      return { seconds, cpuSeconds, rows: table.rows, checksum, baselineRssBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
    } finally {
      await datastore.close();
    }
  }
  const fetchArray = readCase.method === 'odbc-raw-array';
  const connection = await odbc.connect({ connectionString: readCase.database.connectionString, fetchArray } as odbc.ConnectionParameters);
  try {
    const baselineRssBytes = process.memoryUsage.rss();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const cursor = await connection.query(sql, { cursor: true, fetchSize: readCase.fetchSize });
    const names = featureColumns();
    let rows = 0;
    let checksum = 0;
    for (;;) {
      const batch = await cursor.fetch<Record<string | number, unknown>>();
      if (batch.length === 0) break;
      rows += batch.length;
      for (const row of batch) {
        for (let column = 0; column < names.length; column++) {
          const value = fetchArray ? row[column + 1] : row[names[column]!];
          if (typeof value === 'number') checksum += value;
        }
      }
    }
    await cursor.close();
    const seconds = (performance.now() - started) / 1000;
    return { seconds, cpuSeconds: cpuSince(cpu), rows, checksum, baselineRssBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  } finally {
    await connection.close();
  }
}

class DeclaredCursorPostgresql extends PostgresqlDialect {
  override serverCursorStatements(statement: Statement, fetchSize: number): { declare: Statement; fetch: Statement; close: Statement } {
    return {
      declare: { ...statement, sql: `DECLARE aimodel_read NO SCROLL CURSOR FOR ${statement.sql}` },
      fetch: { sql: `FETCH FORWARD ${fetchSize} FROM aimodel_read`, parameters: [], kind: 'select' },
      close: { sql: 'CLOSE aimodel_read', parameters: [], kind: 'other' },
    };
  }
}

function declaredCursorDatastoreDialect(database: BenchDatabase): SqlDialect {
  if (database.dialect !== 'postgresql') throw new Error('server-declared-cursor is for PostgreSQL');
  return new DeclaredCursorPostgresql();
}

function benchDatastore(database: BenchDatabase, dialect: SqlDialect): Datastore {
  return Datastore.create({
    connectionString: database.connectionString,
    dialect,
    poolMax: 2,
    acquireTimeoutMs: 60_000,
    queryTimeoutMs: 0,
    idleTimeoutMs: 60_000,
  });
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

export function benchDatabase(name: string): BenchDatabase {
  switch (name) {
    case 'sqlite':
      return {
        name,
        dialect: 'sqlite',
        connectionString: `Driver={SQLite3};Database=${path.join(tmpdir(), 'aimodel-bench-read.sqlite')};Timeout=10000;JournalMode=WAL`,
      };
    case 'postgresql': {
      const connectionString = process.env.BENCH_POSTGRESQL_ODBC ?? process.env.TEST_POSTGRESQL_ODBC;
      if (!connectionString) throw new Error('--database postgresql needs BENCH_POSTGRESQL_ODBC (or TEST_POSTGRESQL_ODBC)');
      return { name, dialect: 'postgresql', connectionString };
    }
    case 'mariadb': {
      const connectionString = process.env.BENCH_MARIADB_ODBC ?? process.env.TEST_MARIADB_ODBC;
      if (!connectionString) throw new Error('--database mariadb needs BENCH_MARIADB_ODBC (or TEST_MARIADB_ODBC)');
      return { name, dialect: 'mysql', connectionString };
    }
    default:
      throw new Error(`unknown --database ${name}: sqlite, postgresql or mariadb`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      case: { type: 'string' },
      database: { type: 'string', default: 'sqlite' },
      rows: { type: 'string', default: '1000000' },
      repeat: { type: 'string', default: '3' },
      'fetch-sizes': { type: 'string' },
      methods: { type: 'string' },
      'connection-options': { type: 'string', default: '' },
      'baseline-dist': { type: 'string' },
      connections: { type: 'string', default: '1' },
    },
  });
  if (values.case) {
    process.stdout.write(`${JSON.stringify(await runCase(JSON.parse(values.case) as ReadCase))}\n`);
    return;
  }
  const connections = Number(values.connections);
  if (!Number.isInteger(connections) || connections < 1 || connections > 2)
    throw new Error(`--connections is 1 or 2 (the bench's pool), got ${values.connections}`);
  const methods = values.methods?.split(',') as ReadMethod[] | undefined;
  for (const method of methods ?? []) {
    if (![...READ_METHODS, ...EXTRA_METHODS].includes(method)) throw new Error(`unknown method ${method}: ${[...READ_METHODS, ...EXTRA_METHODS].join(', ')}`);
  }
  const results = await runReadBench({
    database: benchDatabase(values.database),
    rows: Number(values.rows),
    repeat: Number(values.repeat),
    fetchSizes: values['fetch-sizes']?.split(',').map(Number),
    methods,
    connectionOptions: values['connection-options'],
    baselineDist: values['baseline-dist'] && path.resolve(values['baseline-dist']),
    connections,
  });
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
