import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { createAdminKey, launchMain, type MainProcess } from '../test/support/main-process';
import { createPostgresqlSchema } from '../test/support/postgresql-schema';

/**
 * `node dist/bench/listing.js`: GraphQL read queries under load, issue 16 item 4's way. A server as
 * `npm start` runs it (dist/src/main.js, the embedded default) gets `--runs` model runs (half k = 3 on
 * iris, half kRange 2–8 with 3 restarts on the station readings, so their histories are long), all run
 * to their end; then autocannon, in its own process, sends each query for `--duration` seconds.
 * Timings are results, never assertions; bench/RESULTS.md records them. `--database postgresql` runs the
 * server on a schema of its own in the test PostgreSQL (TEST_POSTGRESQL_ODBC, scripts/services/test-env.sh),
 * dropped at the end; `--profile DIR` writes the server's CPU profile there (node --cpu-prof); `--only N,M`
 * runs those queries of the list (from 0). `--cache-ms N` sets GRAPHQL_CACHE_MS (0: no response cache);
 * `--busy` keeps a run executing through each load (one after another), so its progress writes keep
 * retiring the cached answers. Each row reports the share of the requests answered from the cache.
 */
const QUERIES: readonly { readonly name: string; readonly query: string; readonly connections: number }[] = [
  {
    name: 'runs with dataset and metrics',
    query: '{ modelRuns(first: 20) { edges { node { id status dataset { name } metrics { inertia silhouette } } } } }',
    connections: 50,
  },
  { name: 'runs, id and status', query: '{ modelRuns(first: 20) { edges { node { id status } } } }', connections: 10 },
  { name: 'runs, id and status', query: '{ modelRuns(first: 20) { edges { node { id status } } } }', connections: 50 },
  { name: 'datasets', query: '{ datasets { name } }', connections: 50 },
];

const AUTOCANNON = path.join(__dirname, '..', '..', 'node_modules', 'autocannon', 'autocannon.js');

interface Measured {
  readonly name: string;
  readonly connections: number;
  readonly requests: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Requests answered from the response cache, of those counted by graphql_response_cache_total. */
  readonly cacheHitShare: number;
  /** Runs that ended during the load (`--busy`). */
  readonly runsEnded: number;
  /** The server process's CPU time (every thread: JS, libuv's ODBC calls, workers) per request: less noisy than latency on a shared machine. */
  readonly cpuMsPerRequest: number;
}

/** CPU milliseconds `pid` has used so far, user and system (Linux: /proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Server extends MainProcess {
  readonly adminKey: string;
}

async function post(server: Server, query: string): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

async function seedRuns(server: Server, runs: number): Promise<void> {
  const ids: string[] = [];
  for (let index = 0; index < runs; index++) {
    const input =
      index % 2 === 0
        ? `datasetId: "demo-iris", k: 3, seed: ${index + 1}`
        : `datasetId: "demo-station-readings", kRange: { min: 2, max: 8 }, nInit: 3, seed: ${index + 1}`;
    const result = await post(server, `mutation { startModelRun(input: { ${input} }) { id } }`);
    const started = result.data?.startModelRun as { id: string } | undefined;
    if (!started) throw new Error(`startModelRun: ${JSON.stringify(result.errors)}`);
    ids.push(started.id);
  }
  for (const id of ids) {
    for (;;) {
      const state = (await post(server, `{ modelRun(id: "${id}") { status } }`)).data?.modelRun as { status: string } | undefined;
      if (state && !['QUEUED', 'RUNNING'].includes(state.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** graphql_response_cache_total by result, from /metrics. */
async function cacheCounts(server: Server): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const counts: Record<string, number> = { hit: 0, miss: 0, bypass: 0 };
  for (const match of text.matchAll(/^graphql_response_cache_total\{result="(\w+)"\} (\d+)/gm)) counts[match[1]!] = Number(match[2]);
  return counts;
}

/** Starts a run on the station readings (kRange 2–8, 3 restarts: seconds of progress writes), waits for its end, again, until `stop`; resolves to how many ended. */
async function keepRunsExecuting(server: Server, stop: { stopped: boolean }): Promise<number> {
  let ended = 0;
  for (let seed = 1_000; !stop.stopped; seed++) {
    const started = await post(
      server,
      `mutation { startModelRun(input: { datasetId: "demo-station-readings", kRange: { min: 2, max: 8 }, nInit: 3, seed: ${seed} }) { id } }`,
    );
    const id = (started.data?.startModelRun as { id: string } | undefined)?.id;
    if (!id) throw new Error(`startModelRun: ${JSON.stringify(started.errors)}`);
    for (;;) {
      const state = (await post(server, `{ modelRun(id: "${id}") { status } }`)).data?.modelRun as { status: string } | undefined;
      if (state && !['QUEUED', 'RUNNING'].includes(state.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    ended += 1;
  }
  return ended;
}

async function load(server: Server, query: string, connections: number, seconds: number, busy: boolean): Promise<Omit<Measured, 'name' | 'connections'>> {
  const cacheBefore = await cacheCounts(server);
  const stop = { stopped: false };
  const runs = busy ? keepRunsExecuting(server, stop) : Promise.resolve(0);
  const cpuBefore = cpuMs(server.child.pid!);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      AUTOCANNON,
      '--json',
      '-c',
      String(connections),
      '-d',
      String(seconds),
      '-m',
      'POST',
      '-H',
      'content-type=application/json',
      '-H',
      `authorization=Bearer ${server.adminKey}`,
      '-b',
      JSON.stringify({ query }),
      `${server.url}/graphql`,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const result = JSON.parse(stdout) as {
    requests: { total: number; average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  const cpu = cpuMs(server.child.pid!) - cpuBefore;
  stop.stopped = true;
  const runsEnded = await runs;
  const cacheAfter = await cacheCounts(server);
  const [hits, counted] = [
    cacheAfter.hit! - cacheBefore.hit!,
    ['hit', 'miss', 'bypass'].reduce((sum, result) => sum + cacheAfter[result]! - cacheBefore[result]!, 0),
  ];
  return {
    cacheHitShare: counted > 0 ? Math.round((hits / counted) * 1000) / 1000 : 0,
    runsEnded,
    cpuMsPerRequest: Math.round((cpu / result.requests.total) * 1000) / 1000,
    requests: result.requests.total,
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '30' },
      duration: { type: 'string', default: '15' },
      database: { type: 'string', default: 'sqlite' },
      profile: { type: 'string' },
      only: { type: 'string' },
      'cache-ms': { type: 'string' },
      busy: { type: 'boolean', default: false },
    },
  });
  if (!['sqlite', 'postgresql'].includes(values.database)) throw new Error(`--database sqlite or postgresql, got ${values.database}`);
  // The default log level, as `npm start` runs: each request's access line is written (and drained here unread).
  const env: Record<string, string> = {
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-listing-')),
    RATE_LIMIT_RUNS_PER_MINUTE: '10000',
    RUN_QUEUE_LIMIT: '100',
    ...(values['cache-ms'] === undefined ? {} : { GRAPHQL_CACHE_MS: values['cache-ms'] }),
  };
  const schema = values.database === 'postgresql' ? await createPostgresqlSchema('bench_listing') : null;
  if (schema) Object.assign(env, { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, DEMO_DATASETS: 'true' });
  const adminKey = createAdminKey(env);
  const serverEnv = values.profile ? { ...env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(values.profile)}` } : env;
  const server: Server = { ...(await launchMain(serverEnv, () => adminKey)), adminKey };
  server.child.stdout!.removeAllListeners('data');
  server.child.stdout!.resume();
  const only = values.only?.split(',').map(Number);
  try {
    await seedRuns(server, Number(values.runs));
    const results: Measured[] = [];
    for (const [index, { name, query, connections }] of QUERIES.entries()) {
      if (only && !only.includes(index)) continue;
      // A GraphQL error answers 200 too: each query must answer data first.
      const once = await post(server, query);
      if (once.errors || !once.data) throw new Error(`${name}: ${JSON.stringify(once.errors)}`);
      results.push({ name, connections, ...(await load(server, query, connections, Number(values.duration), values.busy)) });
      process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
    }
    console.log('| query | clients | requests | req/s | p50 ms | p99 ms | server CPU ms/request | from the cache | runs ended | non-2xx | errors |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      console.log(
        `| ${r.name} | ${r.connections} | ${r.requests} | ${r.perSecond} | ${r.p50} | ${r.p99} | ${r.cpuMsPerRequest} | ${r.cacheHitShare} | ${r.runsEnded} | ${r.non2xx} | ${r.errors} |`,
      );
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    await schema?.drop();
    // The seeded runs leave about 80 MB there (database, trace files): the disk is shared.
    rmSync(env.DATA_DIR!, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
