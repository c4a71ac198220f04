import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Datastore } from '../src/datastore/datastore';
import { benchTable, BENCH_CLUSTERS, ensureBlobTable, featureColumns, median, openBenchDatastore, type BenchDatabase } from './data';
import { measureFloor, type FloorTarget } from './floor';
import type { FloorFigures } from './floor-report';

/**
 * End to end through the API (issue 6, figure 1): the server as `npm start` runs it (dist/src/main.js,
 * its own process), a blob table registered as a dataset, then `startModelRun` → SUCCEEDED with the
 * outcomes published, timed by the client from sending the mutation to seeing SUCCEEDED (polled every
 * 25 ms), with the run's own phase timings. Every repetition starts from the same state: a fresh copy
 * of the data (SQLite: a copy of the file; PostgreSQL: a fresh schema) and empty run/outcome tables.
 *
 * Peak RSS is the server process's VmHWM (Linux /proc), read before it is stopped: the whole server,
 * its worker threads and the ODBC driver's buffers included.
 */
export interface EndToEndOptions {
  readonly database: BenchDatabase;
  readonly rows: number;
  readonly repeat: number;
  /** 'file' (no search engine: rolling NDJSON files, the embedded default) or 'elasticsearch' (needs elasticsearchUrl). */
  readonly trace: 'file' | 'elasticsearch';
  readonly elasticsearchUrl?: string;
  readonly k?: number;
  /** After each run, the database's own time for its phases on the same table (bench/floor.ts). Default false. */
  readonly floor?: boolean;
  readonly log?: (line: string) => void;
}

export interface RunFigures {
  readonly runId: string;
  readonly wallMs: number;
  readonly durationMs: number;
  readonly timings: Record<'readMs' | 'prepareMs' | 'clusterMs' | 'scoreMs' | 'saveMs' | 'publishMs', number>;
  readonly iterations: number;
  readonly converged: boolean;
  readonly inertia: number;
  readonly silhouette: number | null;
  /** Rows of the outcome table written by the run, counted with SQL after it. */
  outcomeRows: number;
  readonly serverRssBeforeMb: number;
  readonly serverPeakRssMb: number;
  /** The floor measured right after this run, on its database (EndToEndOptions.floor). */
  floor?: FloorFigures;
}

export interface EndToEndResult {
  readonly database: string;
  readonly rows: number;
  readonly trace: string;
  readonly runs: RunFigures[];
  /** Medians over the runs (peak RSS: the largest). */
  readonly median: Omit<RunFigures, 'runId' | 'converged' | 'silhouette' | 'outcomeRows' | 'serverRssBeforeMb' | 'floor'>;
  /** Medians of each floor over the runs that measured it. */
  readonly floor?: FloorFigures;
}

const MAIN = path.resolve(__dirname, '../src/main.js');
const APIKEY_CLI = path.resolve(__dirname, '../src/cli/apikey.js');
/**
 * Where the end-to-end bench keeps its fresh copies: PostgreSQL's schema, MariaDB's table prefix (`<name>_`).
 * BENCH_E2E_NAMESPACE, default bench_e2e: two benches on one server need two names.
 */
export const BENCH_NAMESPACE = benchNamespace(process.env.BENCH_E2E_NAMESPACE ?? 'bench_e2e');

function benchNamespace(name: string): string {
  if (!/^[a-z][a-z0-9_]{0,29}$/.test(name)) throw new Error(`BENCH_E2E_NAMESPACE must be a lower-case SQL name of at most 30 characters, got "${name}"`);
  return name;
}

export async function runEndToEnd(options: EndToEndOptions): Promise<EndToEndResult> {
  const log = options.log ?? (() => undefined);
  const runs: RunFigures[] = [];
  for (let repetition = 0; repetition < options.repeat; repetition++) {
    const state = await freshState(options.database, options.rows, log);
    try {
      const env: Record<string, string> = {
        ...state.env,
        DEMO_DATASETS: 'false',
        LOG_LEVEL: 'info',
        RATE_LIMIT_RUNS_PER_MINUTE: '1000',
        DB_QUERY_TIMEOUT_MS: '0',
      };
      if (options.trace === 'elasticsearch') {
        if (!options.elasticsearchUrl) throw new Error('trace "elasticsearch" needs elasticsearchUrl');
        Object.assign(env, { ELASTICSEARCH_URL: options.elasticsearchUrl, ELASTICSEARCH_SETUP: 'true', ELASTICSEARCH_ILM: 'false' });
      }
      const figures = await oneRun(env, options, state.table, log);
      figures.outcomeRows = await countOutcomes(options.database, state.connectionString, state.outcomeTable, figures.runId);
      if (options.floor) figures.floor = await measureFloor(state.floorTarget, log);
      runs.push(figures);
      log(
        `end-to-end ${options.database.name} ${options.rows} rows trace=${options.trace}: ${Math.round(figures.wallMs)} ms, ${figures.iterations} iterations, peak RSS ${figures.serverPeakRssMb} MB`,
      );
    } finally {
      await state.cleanUp();
    }
  }
  return summarize(options.database.name, options.rows, options.trace, runs);
}

/** The runs with their medians (peak RSS: the largest). */
export function summarize(database: string, rows: number, trace: string, runs: RunFigures[]): EndToEndResult {
  const timingKeys = Object.keys(runs[0]!.timings) as (keyof RunFigures['timings'])[];
  const floors = runs.flatMap((run) => (run.floor ? [run.floor] : []));
  const floorMedian = (key: 'readMs' | 'saveMs' | 'publishEmptyMs' | 'publishFullMs') => {
    const values = floors.flatMap((floor) => (floor[key] === undefined ? [] : [floor[key]]));
    return values.length ? median(values) : undefined;
  };
  return {
    database,
    rows,
    trace,
    runs,
    median: {
      wallMs: median(runs.map((run) => run.wallMs)),
      durationMs: median(runs.map((run) => run.durationMs)),
      timings: Object.fromEntries(timingKeys.map((key) => [key, median(runs.map((run) => run.timings[key]))])) as RunFigures['timings'],
      iterations: median(runs.map((run) => run.iterations)),
      inertia: median(runs.map((run) => run.inertia)),
      serverPeakRssMb: Math.max(...runs.map((run) => run.serverPeakRssMb)),
    },
    floor: floors.length
      ? {
          readMs: floorMedian('readMs'),
          saveMs: floorMedian('saveMs'),
          publishEmptyMs: floorMedian('publishEmptyMs'),
          publishFullMs: floorMedian('publishFullMs'),
          methods: floors[0]!.methods,
        }
      : undefined,
  };
}

interface FreshState {
  /** What the server needs to reach the data (DB_DIALECT, DB_CONNECTION_STRING or DATA_DIR). */
  readonly env: Record<string, string>;
  /** The blob table as the server names it (registerDataset). */
  readonly table: string;
  /** The same database, for the Python pipeline (same connection string the server uses). */
  readonly connectionString: string;
  /** The blob table and the outcome table as named in the database (MariaDB: prefixed), for the Python pipeline and SQL. */
  readonly physicalTable: string;
  readonly outcomeTable: string;
  /** Where the Python pipeline writes its outcomes. */
  readonly pythonOutcomeTable: string;
  readonly floorTarget: FloorTarget;
  cleanUp(): Promise<void>;
}

/**
 * A clean database holding only the blob table: SQLite, a copy of a cached file that holds it;
 * PostgreSQL, the schema BENCH_NAMESPACE dropped and rebuilt with a copy of the table (search_path set
 * through psqlODBC's ConnSettings); MariaDB, whose test user has one database, every table prefixed
 * `<BENCH_NAMESPACE>_` dropped and the blob table copied under that prefix (the server gets the prefix
 * through bench/prefixed-mariadb-preload.ts). Other dialects are not benchmarked end to end.
 */
export async function freshState(database: BenchDatabase, rows: number, log: (line: string) => void): Promise<FreshState> {
  const table = benchTable(rows);
  if (database.dialect === 'sqlite') {
    const cache = path.join(tmpdir(), 'aimodel-bench');
    mkdirSync(cache, { recursive: true });
    const pristine = path.join(cache, `${table}.sqlite`);
    if (!existsSync(pristine)) {
      const building = `${pristine}.building`;
      rmSync(building, { force: true });
      const datastore = openBenchDatastore({ ...database, connectionString: `Driver={SQLite3};Database=${building};Timeout=10000` });
      try {
        await ensureBlobTable(datastore, rows, log);
      } finally {
        await datastore.close();
      }
      copyFileSync(building, pristine);
      rmSync(building, { force: true });
    }
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-bench-run-'));
    const file = path.join(dataDir, 'aimodel.sqlite');
    copyFileSync(pristine, file);
    const connectionString = `Driver={SQLite3};Database=${file};Timeout=10000;JournalMode=WAL`;
    return {
      env: { DATA_DIR: dataDir },
      table,
      connectionString,
      physicalTable: table,
      outcomeTable: 'ai_cluster_outcome',
      pythonOutcomeTable: 'bench_py_outcome',
      floorTarget: { database, connectionString, table, rows, tablePrefix: '' },
      cleanUp: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  if (database.dialect === 'mysql') return freshMariadbState(database, rows, log);
  if (database.dialect !== 'postgresql') throw new Error(`end to end runs on sqlite, postgresql and mariadb, not ${database.dialect}`);
  const datastore = openBenchDatastore(database);
  try {
    await datastore.detectServer();
    await ensureBlobTable(datastore, rows, log);
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    await datastore.execute({ sql: `DROP SCHEMA IF EXISTS ${BENCH_NAMESPACE} CASCADE`, parameters: [], kind: 'ddl' });
    await datastore.execute({ sql: `CREATE SCHEMA ${BENCH_NAMESPACE}`, parameters: [], kind: 'ddl' });
    await datastore.execute({ sql: `CREATE TABLE ${BENCH_NAMESPACE}.${q(table)} AS SELECT * FROM ${q(table)}`, parameters: [], kind: 'ddl' });
    await datastore.execute({ sql: `ALTER TABLE ${BENCH_NAMESPACE}.${q(table)} ADD PRIMARY KEY (entity_id)`, parameters: [], kind: 'ddl' });
    await datastore.execute({ sql: `ANALYZE ${BENCH_NAMESPACE}.${q(table)}`, parameters: [], kind: 'other' });
  } finally {
    await datastore.close();
  }
  const connectionString = `${database.connectionString.replace(/;?$/, ';')}ConnSettings=SET search_path TO ${BENCH_NAMESPACE};`;
  return {
    env: { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: connectionString, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-bench-run-')) },
    table,
    connectionString,
    physicalTable: table,
    outcomeTable: 'ai_cluster_outcome',
    pythonOutcomeTable: 'bench_py_outcome',
    floorTarget: { database, connectionString, table, rows, tablePrefix: '', postgresqlSchema: BENCH_NAMESPACE },
    cleanUp: () => Promise.resolve(),
  };
}

const MARIADB_PRELOAD = path.resolve(__dirname, 'prefixed-mariadb-preload.js');

async function freshMariadbState(database: BenchDatabase, rows: number, log: (line: string) => void): Promise<FreshState> {
  const table = benchTable(rows);
  const prefix = `${BENCH_NAMESPACE}_`;
  const physicalTable = `${prefix}${table}`;
  const datastore = openBenchDatastore(database);
  try {
    await datastore.detectServer();
    await ensureBlobTable(datastore, rows, log);
    await dropPrefixedTables(datastore, prefix);
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    await datastore.execute({ sql: `CREATE TABLE ${q(physicalTable)} LIKE ${q(table)}`, parameters: [], kind: 'ddl' });
    await datastore.execute({ sql: `INSERT INTO ${q(physicalTable)} SELECT * FROM ${q(table)}`, parameters: [], kind: 'insert' });
    await datastore.execute({ sql: `ANALYZE TABLE ${q(physicalTable)}`, parameters: [], kind: 'other' });
  } finally {
    await datastore.close();
  }
  return {
    env: {
      DB_DIALECT: 'mysql',
      DB_CONNECTION_STRING: database.connectionString,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-bench-run-')),
      BENCH_MARIADB_TABLE_PREFIX: prefix,
      BENCH_MARIADB_PREFIXED_TABLES: table,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${MARIADB_PRELOAD}`.trim(),
    },
    table,
    connectionString: database.connectionString,
    physicalTable,
    outcomeTable: `${prefix}ai_cluster_outcome`,
    pythonOutcomeTable: `${prefix}bench_py_outcome`,
    floorTarget: { database, connectionString: database.connectionString, table: physicalTable, rows, tablePrefix: prefix },
    cleanUp: async () => {
      const cleaner = openBenchDatastore(database);
      try {
        await dropPrefixedTables(cleaner, prefix);
      } finally {
        await cleaner.close();
      }
    },
  };
}

/** Every table of the shared database whose name starts with `prefix` (the bench's copies and its server's tables). */
async function dropPrefixedTables(datastore: Datastore, prefix: string): Promise<void> {
  const tables = await datastore.query({
    sql: 'SELECT table_name AS table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND LEFT(table_name, ?) = ?',
    parameters: [prefix.length, prefix],
    kind: 'catalog',
  });
  for (const row of tables) {
    await datastore.execute({ sql: `DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(String(Object.values(row)[0]))}`, parameters: [], kind: 'ddl' });
  }
}

export interface Server {
  readonly url: string;
  readonly pid: number;
  graphql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

export async function startServer(env: Record<string, string>): Promise<Server> {
  const { UV_THREADPOOL_SIZE: _inherited, ...parentEnv } = process.env;
  const fullEnv = { ...parentEnv, PORT: '0', HOST: '127.0.0.1', ...env };
  const created = spawnSync(process.execPath, [APIKEY_CLI, 'create', '--name', 'bench', '--role', 'admin'], { env: fullEnv, encoding: 'utf8' });
  const key = created.stdout.split('\n').find((line) => line.startsWith('aim_'));
  if (created.status !== 0 || !key) throw new Error(`apikey create failed (${created.status}): ${created.stderr}`);
  const child = spawn(process.execPath, [MAIN], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not listen within 120 s: ${stderr}`)), 120_000);
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const text = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!text.includes('"server listening"')) continue;
        clearTimeout(timer);
        const line = JSON.parse(text) as { url: string };
        resolve(`http://127.0.0.1:${new URL(line.url).port}`);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the server exited before listening: ${stderr}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
      }).catch((error: unknown) => {
        const state =
          child.exitCode !== null || child.signalCode !== null ? `the server exited (${child.exitCode ?? child.signalCode})` : 'the server did not answer';
        throw new Error(`${state}: ${error instanceof Error ? error.message : String(error)}; its stderr: ${stderr.slice(-2_000)}`);
      });
      const body = (await response.json()) as { data?: T; errors?: unknown[] };
      if (body.errors || !body.data) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** VmRSS / VmHWM of a process in MB (Linux). */
export function processMemoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

const RUN_FIELDS = `id status durationMs error { code message } outcomesPublishedAt publishError { code message }
  metrics { inertia silhouette iterations converged timings { readMs prepareMs clusterMs scoreMs saveMs publishMs } }`;

interface RunAnswer {
  id: string;
  status: string;
  durationMs: number | null;
  error: { code: string; message: string } | null;
  outcomesPublishedAt: string | null;
  publishError: { code: string; message: string } | null;
  metrics: { inertia: number; silhouette: number | null; iterations: number; converged: boolean; timings: RunFigures['timings'] } | null;
}

async function oneRun(env: Record<string, string>, options: EndToEndOptions, table: string, log: (line: string) => void): Promise<RunFigures> {
  const server = await startServer(env);
  try {
    const { registerDataset } = await server.graphql<{ registerDataset: { id: string; rowCount: number } }>(
      'mutation ($input: RegisterDatasetInput!) { registerDataset(input: $input) { id rowCount } }',
      { input: { name: 'bench blobs', table, keyColumns: ['entity_id'], featureColumns: featureColumns() } },
    );
    if (registerDataset.rowCount !== options.rows) throw new Error(`the dataset has ${registerDataset.rowCount} rows, expected ${options.rows}`);
    const before = processMemoryMb(server.pid);
    const started = performance.now();
    const { startModelRun } = await server.graphql<{ startModelRun: { id: string } }>(
      'mutation ($input: StartModelRunInput!) { startModelRun(input: $input) { id } }',
      { input: { datasetId: registerDataset.id, k: options.k ?? BENCH_CLUSTERS, seed: 1 } },
    );
    let run: RunAnswer;
    for (;;) {
      ({ modelRun: run } = await server.graphql<{ modelRun: RunAnswer }>(`query ($id: ID!) { modelRun(id: $id) { ${RUN_FIELDS} } }`, { id: startModelRun.id }));
      // SUCCEEDED comes with the stored results; the outcomes are published after it.
      const publishing = run.status === 'SUCCEEDED' && run.outcomesPublishedAt === null && run.publishError === null;
      if (!['QUEUED', 'RUNNING'].includes(run.status) && !publishing) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const wallMs = performance.now() - started;
    const memory = processMemoryMb(server.pid);
    if (run.status !== 'SUCCEEDED' || !run.metrics || run.publishError)
      throw new Error(`the run ended ${run.status}: ${JSON.stringify(run.error ?? run.publishError)}`);
    log(`run ${run.id}: ${JSON.stringify(run.metrics.timings)}`);
    return {
      runId: run.id,
      wallMs,
      durationMs: run.durationMs ?? Number.NaN,
      timings: run.metrics.timings,
      iterations: run.metrics.iterations,
      converged: run.metrics.converged,
      inertia: run.metrics.inertia,
      silhouette: run.metrics.silhouette,
      outcomeRows: Number.NaN,
      serverRssBeforeMb: before.rss,
      serverPeakRssMb: memory.peak,
    };
  } finally {
    await server.stop();
  }
}

async function countOutcomes(database: BenchDatabase, connectionString: string, outcomeTable: string, runId: string): Promise<number> {
  const datastore = openBenchDatastore({ ...database, connectionString });
  try {
    const [row] = await datastore.query({ sql: `SELECT COUNT(*) AS n FROM ${outcomeTable} WHERE run_id = ?`, parameters: [runId], kind: 'select' });
    return Number(Object.values(row ?? {})[0]);
  } finally {
    await datastore.close();
  }
}
