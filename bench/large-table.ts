import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { embeddedConnectionString } from '../src/config/config';
import type { Datastore } from '../src/datastore/datastore';
import { SeededRandom } from '../src/shared/seeded-random';
import { BENCH_CLUSTERS, BENCH_COLUMNS, featureColumns, openBenchDatastore, type BenchDatabase } from './data';
import { processMemoryMb, startServer, type Server } from './end-to-end';

/**
 * `node dist/bench/large-table.js --dialect sqlite --rows 1000000`: the server's memory over one run of a
 * large table (issue 16 item 3). The table `mem_i16_<rows>` (entity_id, f01…f10: 10 blobs, noise of
 * standard deviation 1, from SQL alone so 10M rows seed in a minute or two) is made in the server's own
 * SQLite file, or in the PostgreSQL schema `mem_i16` the server is pointed at (search_path); the server
 * runs as `npm start` does, in its own process; one run (k 10, publishOutcomes false unless --publish)
 * goes through GraphQL while the server's VmRSS is sampled every 100 ms. Samples are put in phases by
 * the run's own clock: read (startedAt + readMs), compute (to finishedAt: prepare, cluster, score),
 * save (finishedAt to SUCCEEDED seen). `--algorithm LLOYD,MINI_BATCH` runs each in turn on the same
 * table; `--sklearn` (SQLite) then runs bench/mini_batch_sklearn.py on the same file: scikit-learn's
 * MiniBatchKMeans and KMeans on the same standardized data, for their inertias. The table (SQLite: the
 * file; PostgreSQL: the schema) is dropped after, unless --keep. Timings are results, never assertions.
 */
const SCHEMA = 'mem_i16';
const SEED = 20_261_204;

interface Sample {
  readonly at: number;
  readonly rss: number;
}

/** The blob centres, drawn in TS from a fixed seed and written into the SQL as constants. */
function centres(): number[][] {
  const random = new SeededRandom(SEED);
  return Array.from({ length: BENCH_CLUSTERS }, () => Array.from({ length: BENCH_COLUMNS }, () => Math.round((random.next() * 20 - 10) * 1000) / 1000));
}

/**
 * The SELECT of the seeding: for row n, blob n % 10 plus noise of about standard deviation 1 (three
 * uniforms from multiplicative hashes of n and the column, summed: SQL has no seeded normal draw).
 */
function featureExpressions(n: string): string[] {
  const c = centres();
  return featureColumns().map((_, j) => {
    const centre = `CASE ${n} % ${BENCH_CLUSTERS} ${c.map((point, index) => `WHEN ${index} THEN ${point[j]}`).join(' ')} END`;
    const uniform = (salt: number) => `((${n} * 2654435761 + ${(j + 1) * 40503 + salt * 9973}) % 4294967291) / 4294967291.0`;
    return `${centre} + 2.0 * (${uniform(1)} + ${uniform(2)} + ${uniform(3)} - 1.5)`;
  });
}

async function seed(datastore: Datastore, dialect: 'sqlite' | 'postgresql', table: string, rows: number): Promise<void> {
  const q = (name: string) => datastore.dialect.quoteIdentifier(name);
  const columns = featureColumns();
  const exec = (sql: string) => datastore.execute({ sql, parameters: [], kind: 'other' });
  const qualified = dialect === 'postgresql' ? `${SCHEMA}.${q(table)}` : q(table);
  await exec(`CREATE TABLE ${qualified} (${q('entity_id')} INTEGER NOT NULL PRIMARY KEY, ${columns.map((c) => `${q(c)} DOUBLE PRECISION`).join(', ')})`);
  const features = featureExpressions(dialect === 'postgresql' ? 'n::bigint' : 'n');
  if (dialect === 'postgresql') {
    await exec(`INSERT INTO ${qualified} SELECT n, ${features.join(', ')} FROM generate_series(1, ${rows}) AS n`);
    await exec(`ANALYZE ${qualified}`);
  } else {
    await exec(
      `INSERT INTO ${qualified} WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${rows}) SELECT n, ${features.join(', ')} FROM s`,
    );
  }
}

interface RunState {
  readonly status: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly error: { code: string; message: string } | null;
  readonly progress: { fraction: number; rowsRead: number | null; rowsPerSecond: number | null };
  readonly metrics: { inertia: number; iterations: number; timings: Record<string, number | null> } | null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dialect: { type: 'string', default: 'sqlite' },
      rows: { type: 'string', default: '1000000' },
      k: { type: 'string', default: '10' },
      algorithm: { type: 'string' },
      sklearn: { type: 'boolean', default: false },
      'batch-size': { type: 'string' },
      publish: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      env: { type: 'string', multiple: true, default: [] },
    },
  });
  const dialect = values.dialect as 'sqlite' | 'postgresql';
  const rows = Number(values.rows);
  const table = `mem_i16_${rows}`;
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-mem-i16-'));
  const extraEnv = Object.fromEntries(values.env.map((pair) => pair.split('=', 2) as [string, string]));
  let env: Record<string, string>;
  let database: BenchDatabase;
  if (dialect === 'sqlite') {
    database = { name: 'sqlite', dialect: 'sqlite', connectionString: embeddedConnectionString(dataDir) };
    env = { DATA_DIR: dataDir, ...extraEnv };
  } else {
    const base = process.env.BENCH_POSTGRESQL_ODBC ?? process.env.TEST_POSTGRESQL_ODBC;
    if (!base) throw new Error('BENCH_POSTGRESQL_ODBC or TEST_POSTGRESQL_ODBC must name the PostgreSQL database');
    database = { name: 'postgresql', dialect: 'postgresql', connectionString: base };
    const connectionString = `${base.replace(/;?$/, ';')}ConnSettings=SET search_path TO ${SCHEMA};`;
    env = { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: connectionString, DATA_DIR: dataDir, ...extraEnv };
  }

  const setup = openBenchDatastore(database);
  const seedStarted = performance.now();
  try {
    await setup.detectServer();
    if (dialect === 'postgresql') {
      await setup.execute({ sql: `DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`, parameters: [], kind: 'ddl' });
      await setup.execute({ sql: `CREATE SCHEMA ${SCHEMA}`, parameters: [], kind: 'ddl' });
    }
    await seed(setup, dialect, table, rows);
  } finally {
    await setup.close();
  }
  log(`seeded ${rows} rows into ${table} on ${dialect} in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  let server: Server | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    server = await startServer(env);
    const pid = server.pid;
    const idle = processMemoryMb(pid);
    const samples: Sample[] = [];
    sampler = setInterval(() => samples.push({ at: Date.now(), rss: processMemoryMb(pid).rss }), 100);
    const { registerDataset } = await server.graphql<{ registerDataset: { id: string } }>(
      `mutation ($input: RegisterDatasetInput!) { registerDataset(input: $input) { id } }`,
      { input: { name: table, table, keyColumns: ['entity_id'], featureColumns: featureColumns() } },
    );
    for (const algorithm of (values.algorithm ?? 'LLOYD').split(',')) {
      const input: Record<string, unknown> = { datasetId: registerDataset.id, k: Number(values.k), seed: 7, publishOutcomes: values.publish };
      if (algorithm !== 'LLOYD') input.algorithm = algorithm;
      if (values['batch-size'] && algorithm === 'MINI_BATCH') input.batchSize = Number(values['batch-size']);
      const sent = Date.now();
      const { startModelRun } = await server.graphql<{ startModelRun: { id: string } }>(
        `mutation ($input: StartModelRunInput!) { startModelRun(input: $input) { id } }`,
        {
          input,
        },
      );
      let state: RunState | undefined;
      let lastLogged = 0;
      for (;;) {
        try {
          ({ modelRun: state } = await server.graphql<{ modelRun: RunState }>(
            `query ($id: ID!) { modelRun(id: $id) { status startedAt finishedAt error { code message } progress { fraction rowsRead rowsPerSecond }
              metrics { inertia iterations timings { readMs prepareMs clusterMs scoreMs saveMs publishMs } } } }`,
            { id: startModelRun.id },
          ));
        } catch (error) {
          // On SQLite the final write transaction can hold every pooled connection's turn for a while: poll again.
          log(`poll failed, polling again: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          continue;
        }
        if (!['QUEUED', 'RUNNING'].includes(state.status)) break;
        if (Date.now() - lastLogged > 5_000) {
          lastLogged = Date.now();
          log(
            `${state.status} rowsRead ${state.progress.rowsRead} at ${state.progress.rowsPerSecond?.toFixed(0)} rows/s, fraction ${state.progress.fraction.toFixed(3)}, rss ${samples.at(-1)?.rss} MB`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const ended = Date.now();
      const final = processMemoryMb(pid);
      if (state.status !== 'SUCCEEDED') throw new Error(`the run ended ${state.status}: ${JSON.stringify(state.error)}`);
      const timings = state.metrics!.timings;
      const started = Date.parse(state.startedAt!);
      const readEnd = started + Number(timings.readMs);
      const finished = Date.parse(state.finishedAt!);
      const peak = (from: number, to: number) => Math.max(0, ...samples.filter((sample) => sample.at >= from && sample.at <= to).map((sample) => sample.rss));
      const figures = {
        dialect,
        rows,
        algorithm,
        idleRssMb: idle.rss,
        peakRssMbByPhase: { read: peak(started, readEnd), compute: peak(readEnd, finished), save: peak(finished, ended) },
        vmHwmMb: final.peak,
        wallMs: ended - sent,
        timings,
        rowsPerSecond: state.progress.rowsPerSecond,
        iterations: state.metrics!.iterations,
        inertia: state.metrics!.inertia,
      };
      console.log(JSON.stringify(figures));
    }
    clearInterval(sampler);
    if (values.sklearn) {
      if (dialect !== 'sqlite') throw new Error('--sklearn reads the SQLite file');
      const args = [
        path.join(__dirname, '..', '..', 'bench', 'mini_batch_sklearn.py'),
        path.join(dataDir, 'aimodel.sqlite'),
        table,
        String(values.k),
        values['batch-size'] ?? '1024',
        '7',
      ];
      const result = spawnSync('python3', args, { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (result.status !== 0) throw new Error(`scikit-learn: ${result.stderr}`);
      console.log(result.stdout.trim());
    }
  } finally {
    clearInterval(sampler);
    await server?.stop();
    if (!values.keep) {
      if (dialect === 'postgresql') {
        const cleanup = openBenchDatastore(database);
        try {
          await cleanup.execute({ sql: `DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`, parameters: [], kind: 'ddl' });
        } finally {
          await cleanup.close();
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
