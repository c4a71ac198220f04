import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/logging/logger';

/**
 * The load script: N autocannon clients for T seconds sending a mix of read queries, while a few model
 * runs are started and followed to their end. Reports throughput, latency percentiles, errors (HTTP
 * and GraphQL) and whether every run reached a terminal state. Timings are results, never assertions.
 */
export interface LoadOptions {
  readonly connections: number;
  readonly durationSeconds: number;
  /** Model runs started during the load (spread over its first half). */
  readonly runs: number;
  /** Extra environment for the server (DB_DIALECT, DB_CONNECTION_STRING …); default the embedded SQLite. */
  readonly env: Record<string, string>;
}

export interface LoadResult {
  readonly requests: number;
  readonly throughputPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly httpErrors: number;
  readonly graphqlErrors: number;
  readonly runsStarted: number;
  readonly runsSucceeded: number;
  /** Runs not in a terminal state once the load and a grace period are over. */
  readonly runsLost: number;
  readonly peakRssMb: number;
}

const READS = [
  'query LoadDatasets { datasets { id name rowCount featureColumns } }',
  'query LoadRuns { modelRuns(first: 20) { edges { node { id status metrics { inertia silhouette } dataset { name } } } } }',
  'query LoadProfile { dataset(id: "demo-iris") { profile { column mean stddev } } }',
];

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-load-')),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_RUNS_PER_MINUTE: '10000',
    ...options.env,
  });
  const app = await buildApp(config, createLogger('warn'));
  const address = await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}/graphql`;
  const { key } = await app.apiKeys.create('load script', 'operator');
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);

  const post = async (query: string) => {
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query }) });
    return (await response.json()) as { data?: Record<string, { id: string; status: string }>; errors?: unknown[] };
  };
  const runIds: string[] = [];
  const starting: Promise<void>[] = [];
  for (let index = 0; index < options.runs; index += 1) {
    const delay = ((options.durationSeconds * 1000) / 2) * (index / Math.max(1, options.runs));
    starting.push(
      new Promise<void>((resolve) => setTimeout(resolve, delay)).then(async () => {
        const dataset = index % 2 === 0 ? 'demo-iris' : 'demo-station-readings';
        const result = await post(`mutation { startModelRun(input: { datasetId: "${dataset}", k: 3, seed: ${index + 1} }) { id status } }`);
        if (result.data?.startModelRun) runIds.push(result.data.startModelRun.id);
      }),
    );
  }

  let graphqlErrors = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationSeconds,
    requests: READS.map((query) => ({
      method: 'POST' as const,
      headers,
      body: JSON.stringify({ query }),
      onResponse: (_status: number, body: string) => {
        if (body.includes('"errors"')) graphqlErrors += 1;
      },
    })),
  });
  await Promise.all(starting);

  // Every run must end; a run that never does is "lost".
  const deadline = Date.now() + 120_000;
  let statuses: string[] = [];
  while (Date.now() < deadline) {
    const answer = await post(`{ modelRuns(first: 500) { edges { node { id status } } } }`);
    const edges = (answer.data?.modelRuns as unknown as { edges: { node: { id: string; status: string } }[] })?.edges ?? [];
    statuses = runIds.map((id) => edges.find((edge) => edge.node.id === id)?.node.status ?? 'MISSING');
    if (statuses.every((status) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status))) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  clearInterval(sampler);
  await app.stop();

  return {
    requests: result.requests.total,
    throughputPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    httpErrors: result.errors + result.timeouts + result.non2xx,
    graphqlErrors,
    runsStarted: runIds.length,
    runsSucceeded: statuses.filter((status) => status === 'SUCCEEDED').length,
    runsLost: statuses.filter((status) => !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status)).length,
    peakRssMb: Math.round(peakRss / 1024 / 1024),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '30' },
      runs: { type: 'string', default: '6' },
      database: { type: 'string', default: 'sqlite' },
    },
  });
  const env: Record<string, string> = {};
  if (values.database === 'postgresql') {
    const connectionString = process.env.LOAD_POSTGRESQL_ODBC ?? process.env.TEST_POSTGRESQL_ODBC;
    if (!connectionString) throw new Error('--database postgresql needs LOAD_POSTGRESQL_ODBC (or TEST_POSTGRESQL_ODBC) set to an ODBC connection string');
    Object.assign(env, { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: connectionString, DEMO_DATASETS: 'true' });
  }
  const result = await runLoad({ connections: Number(values.connections), durationSeconds: Number(values.duration), runs: Number(values.runs), env });
  process.stdout.write(
    `${JSON.stringify({ database: values.database, connections: Number(values.connections), durationSeconds: Number(values.duration), ...result }, null, 2)}\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
