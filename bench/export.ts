import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Datastore } from '../src/datastore/datastore';
import { AssignmentRepository, type Assignment } from '../src/modules/run/assignment.repository';
import { RunRepository } from '../src/modules/run/run.repository';
import { EXPORT_PAGE_ROWS } from '../src/modules/run/run-export.service';
import { SeededRandom } from '../src/shared/seeded-random';
import { PublishRunOutcomesDocument, RegisterDatasetDocument } from '../test/generated/graphql';
import { embeddedDatastore } from '../test/support/databases';
import { createAdminKey, launchMain, type MainProcess } from '../test/support/main-process';
import { createPostgresqlSchema } from '../test/support/postgresql-schema';
import { createTable, dataOf, metricSum, registerInput, runRecord } from '../test/support/runs';

/**
 * `node dist/bench/export.js`: the run exports' memory against their size. For each database and row
 * count, a server as `npm start` runs it (dist/src/main.js, its own process) gets a SUCCEEDED run of
 * that many assignments, stored directly through the repositories (k-means on 1M rows would only
 * slow the set-up) and published over GraphQL; then each of the four files is downloaded, each from a
 * freshly started server, while that server's VmRSS (/proc/<pid>/status) is sampled every 10 ms.
 * `--heap-mb 48` caps the servers' V8 old space, so an export holding its rows would fail outright.
 * `--slow-client` adds a download of assignments.csv read at about 1 MB/s, so the server waits on the
 * socket (backpressure) for most of it. `--paused-client` counts the SELECTs a server runs while a client
 * reads nothing for 5 s, `--rounds 8` downloads assignments.csv 8 times from one server and prints its
 * memory after each (both to stderr).
 *
 * Timings and RSS are results, never assertions; bench/RESULTS.md records them.
 */
const FILES = ['assignments.csv', 'assignments.ndjson', 'outcomes.csv', 'outcomes.ndjson'] as const;
const PAUSE_MS = 5_000;
// Well below what the server writes (3–10 MB/s here), so the server waits on the socket for most of the download.
const SLOW_CLIENT_BYTES_PER_SECOND = 1024 * 1024;

interface Measurement {
  readonly database: string;
  readonly rows: number;
  readonly file: string;
  readonly client: 'fast' | 'slow';
  readonly bytes: number;
  readonly seconds: number;
  readonly baselineRssMb: number;
  readonly peakRssMb: number;
  /** The server's RSS (MB) once each tenth of the rows had arrived. */
  readonly rssByTenth: number[];
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((text) => text.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
}

/** Downloads `url`, counting bytes and records (lines); `bytesPerSecond` caps how fast it reads. */
function download(
  url: string,
  key: string,
  bytesPerSecond: number | null,
  progress: { lines: number },
): Promise<{ status: number; bytes: number; lines: number; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    http
      .get(url, { headers: { authorization: `Bearer ${key}` } }, (response) => {
        let bytes = 0;
        let lines = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
          progress.lines = lines;
          if (bytesPerSecond === null) return;
          const ahead = (bytes / bytesPerSecond) * 1000 - (performance.now() - began);
          if (ahead > 5) {
            response.pause();
            setTimeout(() => response.resume(), ahead);
          }
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes, lines, complete: response.complete }));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

async function measure(
  server: MainProcess,
  key: string,
  database: string,
  rows: number,
  runId: string,
  client: 'fast' | 'slow',
  file: string,
): Promise<Measurement> {
  const pid = server.child.pid!;
  const baseline = rssMb(pid);
  let peak = baseline;
  const progress = { lines: 0 };
  const rssByTenth: number[] = [];
  const sample = () => {
    const rss = rssMb(pid);
    peak = Math.max(peak, rss);
    while (rssByTenth.length < 10 && progress.lines >= ((rssByTenth.length + 1) * rows) / 10) rssByTenth.push(rss);
  };
  const sampler = setInterval(sample, 10);
  const began = performance.now();
  try {
    const result = await download(`${server.url}/runs/${runId}/${file}`, key, client === 'slow' ? SLOW_CLIENT_BYTES_PER_SECOND : null, progress);
    const seconds = (performance.now() - began) / 1000;
    const expected = rows + (file.endsWith('.csv') ? 1 : 0);
    if (result.status !== 200 || !result.complete || result.lines !== expected) {
      throw new Error(`${file}: status ${result.status}, complete ${result.complete}, ${result.lines} lines, expected ${expected}`);
    }
    sample();
    return { database, rows, file, client, bytes: result.bytes, seconds, baselineRssMb: baseline, peakRssMb: peak, rssByTenth };
  } finally {
    clearInterval(sampler);
  }
}

async function selectStatements(server: MainProcess): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return metricSum(text, 'db_statements_total', { kind: 'select' });
}

/**
 * Backpressure: a download of outcomes.ndjson that stops reading after its first bytes for PAUSE_MS, and the
 * SELECTs the server ran meanwhile (db_statements_total), against those of an idle PAUSE_MS before.
 */
async function paused(server: MainProcess, key: string, rows: number, runId: string): Promise<string> {
  const before = await selectStatements(server);
  await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  const idle = (await selectStatements(server)) - before;
  return new Promise((resolve, reject) => {
    http
      .get(`${server.url}/runs/${runId}/outcomes.ndjson`, { headers: { authorization: `Bearer ${key}` } }, (response) => {
        let bytes = 0;
        let lines = 0;
        let atPause = 0;
        response.once('data', () => {
          response.pause();
          void selectStatements(server).then(async (start) => {
            await new Promise((wait) => setTimeout(wait, PAUSE_MS));
            atPause = (await selectStatements(server)) - start;
            response.resume();
          }, reject);
        });
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
        });
        response.on('end', () => {
          if (lines !== rows) reject(new Error(`outcomes.ndjson: ${lines} lines, expected ${rows}`));
          const pages = Math.ceil(rows / EXPORT_PAGE_ROWS);
          resolve(
            `${rows.toLocaleString('en')} rows (${(bytes / 1e6).toFixed(1)} MB, ${pages} pages): ${atPause} SELECTs while the client read nothing for ${PAUSE_MS / 1000} s, ${idle} in ${PAUSE_MS / 1000} s idle before`,
          );
        });
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * The same 1M-row file again and again on one server: its RSS, and V8's heap (used and reserved) and
 * external memory from /metrics, after each download. A server that kept anything of a download would grow each time.
 */
async function rounds(server: MainProcess, key: string, rows: number, runId: string, count: number): Promise<string[]> {
  const pid = server.child.pid!;
  const memory = async () => {
    const text = (await (await fetch(`${server.url}/metrics`)).text()).replace(/^(nodejs_\w+) /gm, '$1{all="1"} ');
    const mb = (name: string) => Math.round(metricSum(text, name) / 1e6);
    return `${Math.round(rssMb(pid))} | ${mb('nodejs_heap_size_used_bytes')} | ${mb('nodejs_heap_size_total_bytes')} | ${mb('nodejs_external_memory_bytes')}`;
  };
  const lines = [`| before | ${await memory()} |`];
  for (let round = 1; round <= count; round++) {
    const result = await download(`${server.url}/runs/${runId}/assignments.csv`, key, null, { lines: 0 });
    if (result.lines !== rows + 1) throw new Error(`round ${round}: ${result.lines} lines`);
    lines.push(`| after download ${round} | ${await memory()} |`);
  }
  return lines;
}

/** A SUCCEEDED run of `rows` assignments on a tiny registered dataset, published over GraphQL. */
async function storeRun(server: MainProcess, datastore: Datastore, rows: number): Promise<string> {
  await createTable(
    datastore,
    {
      name: 'bench_export_points',
      columns: [
        { name: 'id', type: 'integer', nullable: false },
        { name: 'x', type: 'double' },
      ],
      primaryKey: ['id'],
    },
    [1, 2, 3].map((id) => ({ id, x: id })),
  );
  const datasetId = dataOf(
    await server.graphql(RegisterDatasetDocument, {
      input: registerInput({ name: 'bench export', table: 'bench_export_points', keyColumns: ['id'], featureColumns: ['x'] }),
    }),
    'registerDataset',
  ).registerDataset.id;
  const finishedAt = new Date();
  const run = runRecord(datasetId, { status: 'SUCCEEDED', startedAt: finishedAt, finishedAt, owner: null, heartbeatAt: null });
  await new RunRepository(datastore).insert(run);
  const repository = new AssignmentRepository(datastore);
  const random = new SeededRandom(15);
  // One save, as a run stores its assignments: its chunks are numbered from 0, so a second save of the run would collide.
  const assignments: Assignment[] = Array.from({ length: rows }, (_, index) => ({
    entityKey: String(index).padStart(8, '0'),
    cluster: index % 8,
    distance: random.next() * 10,
  }));
  await datastore.transaction((transaction) => repository.save(run.id, assignments, transaction));
  // As the run executor does once it has stored a run's assignments.
  await repository.refreshStatistics();
  dataOf(await server.graphql(PublishRunOutcomesDocument, { runId: run.id }), 'publishRunOutcomes');
  return run.id;
}

async function onDatabase(
  database: string,
  rows: number,
  options: { slow: boolean; heapMb: number | null; files: readonly string[]; paused: boolean; rounds: number },
): Promise<Measurement[]> {
  let env: Record<string, string>;
  let datastore: Datastore;
  let cleanup: () => Promise<void>;
  if (database === 'sqlite') {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-bench-export-'));
    env = { DATA_DIR: dataDir };
    datastore = embeddedDatastore(dataDir);
    cleanup = () => datastore.close();
  } else {
    const schema = await createPostgresqlSchema('bench_export');
    env = { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-bench-export-')) };
    datastore = schema.datastore;
    cleanup = () => schema.drop();
  }
  env = { ...env, DEMO_DATASETS: 'false' };
  const key = createAdminKey(env);
  // Each download on a server of its own, so that one's garbage does not count in the next one's peak.
  const serverEnv = options.heapMb === null ? env : { ...env, NODE_OPTIONS: `--max-old-space-size=${options.heapMb}` };
  const withServer = async <T>(work: (server: MainProcess) => Promise<T>, serverEnvironment = serverEnv): Promise<T> => {
    const server = await launchMain(serverEnvironment, () => key);
    try {
      return await work(server);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  };
  try {
    const runId = await withServer((server) => storeRun(server, datastore, rows), env);
    const results: Measurement[] = [];
    for (const file of options.files) results.push(await withServer((server) => measure(server, key, database, rows, runId, 'fast', file)));
    if (options.slow) results.push(await withServer((server) => measure(server, key, database, rows, runId, 'slow', 'assignments.csv')));
    if (options.rounds > 0) {
      const table = await withServer((server) => rounds(server, key, rows, runId, options.rounds));
      process.stderr.write(
        `| ${database}, ${rows} rows, assignments.csv | RSS MB | heap used MB | heap reserved MB | external MB |\n|---|---|---|---|---|\n${table.join('\n')}\n`,
      );
    }
    if (options.paused) process.stderr.write(`paused client on ${database}: ${await withServer((server) => paused(server, key, rows, runId))}\n`);
    return results;
  } finally {
    await cleanup();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      databases: { type: 'string', default: 'sqlite,postgresql' },
      sizes: { type: 'string', default: '100000,1000000' },
      'slow-client': { type: 'boolean', default: false },
      // The servers' V8 old space in MB (--max-old-space-size): an export whose memory grew with its rows would fail under a small one.
      'heap-mb': { type: 'string' },
      files: { type: 'string', default: FILES.join(',') },
      'paused-client': { type: 'boolean', default: false },
      rounds: { type: 'string', default: '0' },
    },
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out('| database | rows | file | client | MB | seconds | rows/s | server RSS before MB | peak RSS MB | RSS MB after each tenth of the rows |');
  out('|---|---|---|---|---|---|---|---|---|---|');
  for (const database of values.databases.split(',').filter(Boolean)) {
    for (const rows of values.sizes.split(',').filter(Boolean).map(Number)) {
      for (const m of await onDatabase(database, rows, {
        slow: values['slow-client'],
        heapMb: values['heap-mb'] ? Number(values['heap-mb']) : null,
        files: values.files.split(',').filter(Boolean),
        paused: values['paused-client'],
        rounds: Number(values.rounds),
      })) {
        out(
          `| ${m.database} | ${m.rows.toLocaleString('en')} | ${m.file} | ${m.client} | ${(m.bytes / 1e6).toFixed(1)} | ${m.seconds.toFixed(2)} | ${Math.round(m.rows / m.seconds).toLocaleString('en')} | ${Math.round(m.baselineRssMb)} | ${Math.round(m.peakRssMb)} | ${m.rssByTenth.map(Math.round).join(' ')} |`,
        );
      }
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
