import { parseArgs } from 'node:util';
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import { RunRepository } from '../src/modules/run/run.repository';
import { ModelRunUpdatedDocument, RegisterDatasetDocument, StartModelRunDocument, type StartModelRunInput } from '../test/generated/graphql';
import { connectGraphqlWs } from '../test/support/graphql-ws';
import { createPostgresqlSchema, createSeriesTable, type PostgresqlSchema } from '../test/support/postgresql-schema';
import { replicaOf, startReplicas, stopReplicas, type Replica } from '../test/support/replicas';
import { dataOf, registerInput, startInput, waitForRun } from '../test/support/runs';
import { redisTestPrefix, removeRedisKeys, testRedisUrl } from '../test/support/test-redis';

/**
 * `npm run bench:replicas` (scripts/bench-replicas.sh starts the services): replicas as `npm start` runs
 * them (dist/src/main.js) on one fresh PostgreSQL schema.
 *
 * 1. Throughput: the same batch of runs started round-robin across 1, 2 and 3 replicas
 *    (RUN_CONCURRENCY=1 each), from the first start to the last run settled (outcomes published).
 * 2. Event delay: two replicas, a run started and followed by a subscriber on each; for every update
 *    the subscriber on the executing replica received (it hears them in process), the time until the
 *    subscriber on the other replica had that state or a later one. With REDIS_URL and without it
 *    (polling, which sends the state it reads, so it can skip an update that a later one replaced).
 *
 * Timings are results, never assertions; bench/RESULTS.md records them.
 */
const TABLE = 'bench_replica_points';
const FEATURES = 4;

interface Options {
  readonly rows: number;
  readonly runs: number;
  readonly replicaCounts: readonly number[];
  readonly eventModes: readonly ('redis' | 'polling')[];
  readonly eventRuns: number;
}

/** The throughput workload: k-means on a generate_series table without cluster structure, bounded iterations. */
const THROUGHPUT_RUN: Partial<StartModelRunInput> = { k: 8, nInit: 2, maxIterations: 100, tolerance: 1e-12 };
/** A longer run for the event delay: its progress is written and announced every 250 ms. */
const EVENT_RUN: Partial<StartModelRunInput> = { k: 8, nInit: 30, maxIterations: 300, tolerance: 1e-12, publishOutcomes: false };

async function withReplicas<T>(
  tag: string,
  count: number,
  rows: number,
  env: Record<string, string>,
  work: (replicas: Replica[], datasetId: string, schema: PostgresqlSchema) => Promise<T>,
): Promise<T> {
  const schema = await createPostgresqlSchema(tag);
  let replicas: Replica[] = [];
  try {
    const featureColumns = await createSeriesTable(schema.datastore, TABLE, rows, FEATURES);
    replicas = await startReplicas(count, {
      DB_DIALECT: 'postgresql',
      DB_CONNECTION_STRING: schema.connectionString,
      RUN_CONCURRENCY: '1',
      RUN_QUEUE_LIMIT: '1000',
      RATE_LIMIT_RUNS_PER_MINUTE: '100000',
      ...env,
    });
    const datasetId = dataOf(
      await replicas[0]!.graphql(RegisterDatasetDocument, {
        input: registerInput({ name: 'bench replica points', table: TABLE, keyColumns: ['id'], featureColumns }),
      }),
      'registerDataset',
    ).registerDataset.id;
    return await work(replicas, datasetId, schema);
  } finally {
    await stopReplicas(replicas, 'SIGTERM');
    await schema.drop();
  }
}

async function start(replica: Replica, datasetId: string, input: Partial<StartModelRunInput>): Promise<string> {
  return dataOf(await replica.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...input }) }), 'startModelRun').startModelRun.id;
}

export interface ThroughputResult {
  readonly replicas: number;
  readonly runs: number;
  readonly seconds: number;
  readonly runsPerMinute: number;
  /** Runs each replica executed (the run's owner), in replica order. */
  readonly executed: number[];
}

export async function throughput(count: number, options: Options): Promise<ThroughputResult> {
  return withReplicas(`bench_replicas_${count}`, count, options.rows, {}, async (replicas, datasetId, schema) => {
    const began = performance.now();
    const ids: string[] = [];
    for (let index = 0; index < options.runs; index++) ids.push(await start(replicas[index % count]!, datasetId, { ...THROUGHPUT_RUN, seed: index + 1 }));
    for (const id of ids) await waitForRun(replicas[0]!, id, undefined, 600_000);
    const seconds = (performance.now() - began) / 1000;
    const stored = await new RunRepository(schema.datastore).findByIds(ids);
    const failed = stored.filter((run) => run.status !== 'SUCCEEDED');
    if (failed.length > 0) throw new Error(`${failed.length} runs did not succeed: ${JSON.stringify(failed.map((run) => [run.id, run.status, run.error]))}`);
    return {
      replicas: count,
      runs: ids.length,
      seconds,
      runsPerMinute: (ids.length / seconds) * 60,
      executed: replicas.map((replica) => stored.filter((run) => replicaOf(replicas, run.owner) === replica).length),
    };
  });
}

export interface DelayResult {
  readonly mode: 'redis' | 'polling';
  readonly runs: number;
  /** Updates the executing replica's subscriber received. */
  readonly updatesAtExecuting: number;
  /** Of those, how many reached the other's as such (polling sends the state it reads, so it skips some). */
  readonly updatesSeenAsSuch: number;
  /** Per update at the executing replica: until the other's subscriber had it or a later one. */
  readonly delayMs: { readonly p50: number; readonly p95: number; readonly max: number } | null;
}

const STAGE: Record<string, number> = { QUEUED: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 2, CANCELLED: 2 };

interface Arrival {
  readonly stage: number;
  readonly iteration: number;
  readonly at: number;
}

// After the first subscriber's subscription completes, how long the other may still take to complete its own.
const LATE_MS = 10_000;

interface Followed {
  /**
   * Each update with its arrival time (performance.now()), in order; not the first result, which is the
   * run's state when subscribing rather than an update.
   */
  readonly arrivals: Arrival[];
  /** Resolves when the server completes the subscription. */
  readonly completed: Promise<void>;
  stop(): void;
}

function follow(client: Client, id: string): Followed {
  const arrivals: Arrival[] = [];
  let first = true;
  let stop!: () => void;
  const completed = new Promise<void>((resolve, reject) => {
    stop = client.subscribe<{ modelRunUpdated: { status: string; progress: { iteration: number } } }>(
      { query: print(ModelRunUpdatedDocument), variables: { id } },
      {
        next: ({ data }) => {
          const update = data?.modelRunUpdated;
          if (!first && update) arrivals.push({ stage: STAGE[update.status] ?? -1, iteration: update.progress.iteration, at: performance.now() });
          first = false;
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => resolve(),
      },
    );
  });
  return { arrivals, completed, stop };
}

/** Follows the run on every client until each subscription completes, or LATE_MS after the first did. */
async function followAll(clients: readonly Client[], id: string): Promise<Arrival[][]> {
  const followed = clients.map((client) => follow(client, id));
  await Promise.race(followed.map((one) => one.completed));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(followed.map((one) => one.completed)), new Promise((resolve) => (timer = setTimeout(resolve, LATE_MS)))]);
  clearTimeout(timer);
  for (const one of followed) one.stop();
  return followed.map((one) => one.arrivals);
}

export async function eventDelay(mode: 'redis' | 'polling', options: Options): Promise<DelayResult> {
  const redis = mode === 'redis' ? { url: testRedisUrl(), prefix: redisTestPrefix('bench') } : null;
  try {
    return await withReplicas(
      `bench_events_${mode}`,
      2,
      options.rows,
      redis ? { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix } : {},
      async (replicas, datasetId, schema) => {
        const clients = await Promise.all(replicas.map((replica) => connectGraphqlWs(replica.url)));
        const delays: number[] = [];
        let atExecuting = 0;
        let seenAsSuch = 0;
        try {
          for (let index = 0; index < options.eventRuns; index++) {
            const id = await start(replicas[index % 2]!, datasetId, { ...EVENT_RUN, seed: index + 1 });
            const arrivals = await followAll(clients, id);
            const [run] = await new RunRepository(schema.datastore).findByIds([id]);
            const executing = replicas.indexOf(replicaOf(replicas, run?.owner ?? null)!);
            if (executing < 0) throw new Error(`run ${id}: owner ${run?.owner} is not one of the replicas`);
            const here = arrivals[executing]!;
            const there = arrivals[1 - executing]!;
            atExecuting += here.length;
            for (const update of here) {
              const same = (other: Arrival) => other.stage === update.stage && other.iteration === update.iteration;
              const caughtUp = there.find((other) => other.stage > update.stage || (other.stage === update.stage && other.iteration >= update.iteration));
              if (there.some(same)) seenAsSuch += 1;
              if (caughtUp) delays.push(caughtUp.at - update.at);
            }
          }
        } finally {
          await Promise.all(clients.map(async (client) => client.dispose()));
        }
        delays.sort((a, b) => a - b);
        const at = (fraction: number) => delays[Math.min(delays.length - 1, Math.floor(fraction * delays.length))]!;
        return {
          mode,
          runs: options.eventRuns,
          updatesAtExecuting: atExecuting,
          updatesSeenAsSuch: seenAsSuch,
          delayMs: delays.length > 0 ? { p50: at(0.5), p95: at(0.95), max: delays.at(-1)! } : null,
        };
      },
    );
  } finally {
    if (redis) await removeRedisKeys(redis.url, redis.prefix);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '50000' },
      runs: { type: 'string', default: '24' },
      replicas: { type: 'string', default: '1,2,3' },
      events: { type: 'string', default: 'redis,polling' },
      'event-runs': { type: 'string', default: '6' },
    },
  });
  const options: Options = {
    rows: Number(values.rows),
    runs: Number(values.runs),
    replicaCounts: values.replicas.split(',').filter(Boolean).map(Number),
    eventModes: values.events.split(',').filter(Boolean) as Options['eventModes'],
    eventRuns: Number(values['event-runs']),
  };
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (options.replicaCounts.length > 0) {
    out(
      `Workload: ${options.runs} runs of ${JSON.stringify(THROUGHPUT_RUN)} on ${options.rows} rows × ${FEATURES} features (PostgreSQL, generate_series data)`,
    );
    out('');
    out('| replicas | runs | seconds | runs per minute | executed per replica |');
    out('|---|---|---|---|---|');
  }
  for (const count of options.replicaCounts) {
    const result = await throughput(count, options);
    out(`| ${result.replicas} | ${result.runs} | ${result.seconds.toFixed(1)} | ${result.runsPerMinute.toFixed(1)} | ${result.executed.join(' / ')} |`);
  }
  if (options.eventModes.length === 0) return;
  out('');
  out(`Event delay: ${options.eventRuns} runs of ${JSON.stringify(EVENT_RUN)}, 2 replicas, a subscriber on each`);
  out('');
  out('| events | updates at the executing replica | of those, sent as such by the other | p50 ms | p95 ms | max ms |');
  out('|---|---|---|---|---|---|');
  for (const mode of options.eventModes) {
    const result = await eventDelay(mode, options);
    const delay = result.delayMs;
    const cell = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(0));
    out(
      `| ${mode === 'redis' ? 'Redis (REDIS_URL)' : 'polling (no REDIS_URL)'} | ${result.updatesAtExecuting} | ${result.updatesSeenAsSuch} | ${cell(delay?.p50)} | ${cell(delay?.p95)} | ${cell(delay?.max)} |`,
    );
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
