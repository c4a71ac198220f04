import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import type { ModelRunRecord } from '../../src/modules/run/run.record';
import { RunRepository } from '../../src/modules/run/run.repository';
import { setupElasticsearch } from '../../src/telemetry/setup';
import {
  ModelRunResultDocument,
  ModelRunUpdatedDocument,
  RegisterDatasetDocument,
  RunAssignmentsDocument,
  StartModelRunDocument,
  type ModelRunUpdatedSubscription,
  type StartModelRunInput,
} from '../generated/graphql';
import { connectGraphqlWs, observeSubscription, type ObservedSubscription } from '../support/graphql-ws';
import { createReplicaDatabase, type ReplicaDatabase, type ReplicaDialect } from '../support/replica-database';
import { errorLines, replicaOf, startReplicas, stopReplicas, type Replica } from '../support/replicas';
import { holdAssignmentWrites, holdDataset, type Gate } from '../support/run-gates';
import { createNoiseTable, dataOf, pollUntil, registerInput, startInput, waitForRun } from '../support/runs';
import { searchEngineUrl } from '../support/search-engine';
import { redisTestPrefix, removeRedisKeys, testRedisUrl } from '../support/test-redis';
import { engineClient, removeTraceTargets, searchAll, setUpTargets, traceEnv, traceOptionsFor, traceTargets, type TraceTargets } from '../support/trace-engine';

/**
 * Three servers as `npm start` runs them (dist/src/main.js) on one fresh database, the trace going to
 * the search engine, with Redis for events (REDIS_URL) or without it (each replica polls the runs its
 * subscribers follow). Runs are stopped at known points by locks the test holds (run-gates.ts), never
 * by sleeping: a run computes, then waits RUNNING for the gate before its final transaction.
 */
export type EventsMode = 'redis' | 'polling';

const REPLICAS = 3;
const TABLE = 'replica_points';
const ROWS = 400;
const FEATURES = 3;
// Short, so that a killed replica's run is requeued within seconds (after 4 missed beats), yet long
// enough that a live replica on a busy machine does not miss 4.
const HEARTBEAT_MS = 1_000;

export function replicaSuite(dialect: ReplicaDialect, events: EventsMode): void {
  const tag = `rep_${dialect === 'postgresql' ? 'pg' : 'mdb'}_${events === 'redis' ? 'rd' : 'pl'}`;

  describe(`three replicas on ${dialect === 'postgresql' ? 'PostgreSQL' : 'MariaDB'}, events ${events === 'redis' ? 'through Redis (REDIS_URL)' : 'by polling (no REDIS_URL)'}`, () => {
    let database: ReplicaDatabase;
    let runs: RunRepository;
    let targets: TraceTargets;
    let engine: Client;
    let env: Record<string, string>;
    let replicas: Replica[] = [];
    // The same table registered once a replica, and once more for a gate to hold apart: starting a run
    // locks its dataset's row, as does a run's final transaction, so runs held at a gate must not share one.
    let lanes: string[] = [];
    let gatedDatasetId: string;
    let redis: { url: string; prefix: string } | null = null;

    // By id, as a plain object so that a failed wait shows it.
    const read = async (
      ids: readonly string[],
    ): Promise<Record<string, Pick<ModelRunRecord, 'status' | 'attempts' | 'owner' | 'error'> & { iteration: number }>> =>
      Object.fromEntries(
        (await runs.findByIds(ids)).map((run) => [
          run.id,
          { status: run.status, attempts: run.attempts, owner: run.owner, iteration: run.progress.iteration, error: run.error },
        ]),
      );
    const start = async (replica: Replica, datasetId: string, input: Partial<StartModelRunInput>): Promise<string> =>
      dataOf(await replica.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...input }) }), 'startModelRun').startModelRun.id;
    const live = () => replicas.filter((replica) => replica.alive());

    before(async () => {
      redis = events === 'redis' ? { url: testRedisUrl(), prefix: redisTestPrefix(tag) } : null;
      database = await createReplicaDatabase(dialect, tag, [TABLE]);
      runs = new RunRepository(database.datastore);
      targets = traceTargets(tag.replace(/_/g, ''));
      engine = await engineClient();
      const url = await searchEngineUrl();
      await setUpTargets(engine, targets, async () => void (await setupElasticsearch(engine, traceOptionsFor(url, targets))), { createStream: true });
      // No TRACE_DIR: each replica spools under its own DATA_DIR.
      const { TRACE_DIR: _shared, ...engineEnv } = traceEnv(url, targets);
      env = {
        ...database.env,
        ...engineEnv,
        RUN_CONCURRENCY: '1',
        RUN_HEARTBEAT_MS: String(HEARTBEAT_MS),
        RUN_QUEUE_LIMIT: '100',
        RATE_LIMIT_RUNS_PER_MINUTE: '10000',
        // PostgreSQL: the demo load runs too, under the same lock as the migrations (MariaDB's demo tables
        // could not be kept apart from the shared database's).
        DEMO_DATASETS: String(dialect === 'postgresql'),
        LOG_LEVEL: 'info',
        ...(redis ? { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix } : {}),
      };
    });

    after(async () => {
      await stopReplicas(replicas, 'SIGKILL');
      if (engine) {
        await removeTraceTargets(engine, targets);
        await engine.close();
        rmSync(targets.traceDir, { recursive: true, force: true });
      }
      if (redis) await removeRedisKeys(redis.url, redis.prefix);
      await database?.drop();
    });

    it('three replicas started at the same moment on a fresh database all become ready, and no log line of any is an error or names an error code', async (t) => {
      replicas = await startReplicas(REPLICAS, env);
      assert.deepEqual(
        replicas.map((replica) => [replica.name, errorLines(replica.lines), replica.stderr()]),
        replicas.map((replica) => [replica.name, [], '']),
      );
      t.diagnostic(replicas.map((replica) => `${replica.name}: ${replica.lines.length} log lines`).join(', '));

      const featureColumns = await createNoiseTable(database.datastore, TABLE, ROWS, FEATURES, 14);
      const [first] = replicas as [Replica];
      const register = async (name: string) =>
        dataOf(
          await first.graphql(RegisterDatasetDocument, { input: registerInput({ name, table: TABLE, keyColumns: ['id'], featureColumns }) }),
          'registerDataset',
        ).registerDataset.id;
      lanes = [];
      for (const replica of replicas) lanes.push(await register(`replica points ${replica.name}`));
      gatedDatasetId = await register('replica points, gated');
    });

    it('30 runs started round-robin across the replicas are each executed exactly once: SUCCEEDED with attempts 1 in the database, one run-started and one run-claimed document each in the trace', async (t) => {
      const started: string[] = [];
      for (let index = 0; index < 30; index++)
        started.push(await start(replicas[index % REPLICAS]!, lanes[index % REPLICAS]!, { k: 3, maxIterations: 30, seed: index + 1 }));
      for (const [index, id] of started.entries()) await waitForRun(replicas[index % REPLICAS]!, id, undefined, 120_000);

      const stored = await read(started);
      assert.deepEqual(
        started.map((id) => [id, stored[id]?.status, stored[id]?.attempts, replicaOf(replicas, stored[id]?.owner ?? null) !== undefined]),
        started.map((id) => [id, 'SUCCEEDED', 1, true]),
      );
      const perReplica = replicas.map((replica) => `${replica.name} ${started.filter((id) => replicaOf(replicas, stored[id]!.owner) === replica).length}`);
      t.diagnostic(`runs executed per replica: ${perReplica.join(', ')}`);

      const documents = await pollUntil(
        () => actionDocuments(engine, targets, ['run-started', 'run-claimed']),
        (found) => found.length >= 2 * started.length,
        'a run-started and a run-claimed document of each run in the engine',
      );
      const sorted = (values: string[]) => [...values].sort();
      assert.deepEqual(sorted(documents.filter((document) => document.action === 'run-started').map((document) => document.runId)), sorted(started));
      assert.deepEqual(
        sorted(documents.filter((document) => document.action === 'run-claimed').map((document) => `${document.runId} attempt ${document.attempts}`)),
        sorted(started.map((id) => `${id} attempt 1`)),
      );
    });

    it('a subscriber on a replica that does not execute the run sees QUEUED, RUNNING and SUCCEEDED in that order, then the subscription completes', async (t) => {
      const writes = await holdAssignmentWrites(database.datastore);
      let gated: Gate | undefined;
      // Every run of this test, to see them ended before the next test takes its gates.
      const ours: string[] = [];
      const observed: { replica: Replica; subscription: ObservedSubscription<ModelRunUpdatedSubscription> }[] = [];
      const sockets: Awaited<ReturnType<typeof connectGraphqlWs>>[] = [];
      try {
        // One run a replica, each stopped RUNNING before its final writes: no slot is free.
        const blockers: string[] = [];
        for (const [index, replica] of replicas.entries())
          blockers.push(await start(replica, lanes[index]!, { k: 2, maxIterations: 5, seed: 1, publishOutcomes: false }));
        ours.push(...blockers);
        await pollUntil(
          () => read(blockers),
          (stored) => blockers.every((id) => stored[id]?.status === 'RUNNING'),
          'a run RUNNING on every replica',
        );

        const [first] = replicas as [Replica];
        const id = await start(first, gatedDatasetId, { k: 3, maxIterations: 30, seed: 3, publishOutcomes: false });
        ours.push(id);
        gated = await holdDataset(database.datastore, gatedDatasetId);
        for (const replica of replicas) {
          const socket = await connectGraphqlWs(replica.url);
          sockets.push(socket);
          observed.push({ replica, subscription: observeSubscription(socket, ModelRunUpdatedDocument, { id }) });
        }
        await pollUntil(
          () => Promise.resolve(observed.map(({ subscription }) => subscription.events.length)),
          (counts) => counts.every((count) => count > 0),
          'the first event on every subscription',
        );
        assert.deepEqual(
          observed.map(({ replica, subscription }) => [replica.name, statusOf(subscription.events[0])]),
          observed.map(({ replica }) => [replica.name, 'QUEUED']),
        );

        // Slots free up; the run is claimed, computes, and waits RUNNING at the gate of its dataset.
        await writes.release();
        const seen = await pollUntil(
          () => Promise.resolve(observed.map(({ replica, subscription }) => [replica.name, subscription.events.map(statusOf)] as const)),
          (lists) => lists.every(([, statuses]) => statuses.includes('RUNNING')),
          'RUNNING on every subscription',
          20_000,
          100,
        );
        t.diagnostic(`before the run's end: ${JSON.stringify(seen)}`);
        await gated.release();
        gated = undefined;

        const endings = await Promise.all(observed.map(({ subscription }) => bounded(subscription.ending, 60_000, 'the end of a subscription')));
        const [stored] = await runs.findByIds([id]);
        const executing = replicaOf(replicas, stored?.owner ?? null);
        assert.ok(executing, `the run's owner ${stored?.owner} is one of the replicas`);
        assert.equal(stored?.status, 'SUCCEEDED');
        const expected = (replica: Replica) => [replica.name, ['QUEUED', 'RUNNING', 'SUCCEEDED'], 'complete', true, stored.progress.iteration];
        const others = observed.filter(({ replica }) => replica !== executing);
        assert.equal(others.length, REPLICAS - 1);
        const outcome = (entry: (typeof observed)[number], index: number) => {
          const statuses = entry.subscription.events.map(statusOf);
          const iterations = entry.subscription.events.map((event) => event.data?.modelRunUpdated.progress.iteration ?? -1);
          return [
            entry.replica.name,
            statuses.filter((status, position) => status !== statuses[position - 1]),
            endings[index],
            iterations.every((iteration, position) => position === 0 || iteration >= iterations[position - 1]!),
            iterations.at(-1),
          ];
        };
        t.diagnostic(
          `executed on ${executing.name}; events: ${observed.map(({ replica, subscription }) => `${replica.name} ${subscription.events.length}`).join(', ')}`,
        );
        assert.deepEqual(
          observed.map((entry, index) => outcome(entry, index)).filter(([name]) => name !== executing.name),
          others.map(({ replica }) => expected(replica)),
          'the subscribers on the replicas that did not execute the run',
        );
        assert.deepEqual(
          outcome(
            observed.find(({ replica }) => replica === executing)!,
            observed.findIndex(({ replica }) => replica === executing),
          ),
          expected(executing),
          'the subscriber on the replica that executed the run',
        );
      } finally {
        await writes.release();
        await gated?.release();
        for (const { subscription } of observed) subscription.stop();
        await Promise.all(sockets.map(async (socket) => socket.dispose()));
        await pollUntil(
          () => read(ours),
          (stored) => ours.every((id) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(stored[id]?.status ?? '')),
          'the runs of this test ended',
        );
      }
    });

    it('SIGKILL of a replica while it owns a RUNNING run: the run ends SUCCEEDED on another replica with attempts 2 and a run-requeued document, with the results of an uninterrupted run of its seed', async (t) => {
      const parameters = { kRange: { min: 2, max: 4 }, nInit: 2, maxIterations: 50 };
      const writes = await holdAssignmentWrites(database.datastore);
      const started: string[] = [];
      try {
        // No seed given: the one drawn at creation must be the one the second attempt uses.
        for (const [index, replica] of replicas.entries()) started.push(await start(replica, lanes[index]!, parameters));
        const running = await pollUntil(
          () => read(started),
          (stored) => started.every((id) => stored[id]?.status === 'RUNNING'),
          'a run RUNNING on every replica',
        );
        const killed = replicaOf(replicas, running[started[0]!]!.owner);
        assert.ok(killed, 'the run is owned by a replica');
        // Its attempt-1 claim reached the engine before the process died.
        await pollUntil(
          () => actionDocuments(engine, targets, ['run-claimed'], started[0]),
          (found) => found.length === 1,
          'the run-claimed document of attempt 1',
        );
        killed.child.kill('SIGKILL');
        assert.equal((await killed.exited).signal, 'SIGKILL');
        t.diagnostic(`killed replica ${killed.name} while it owned run ${started[0]}`);
        await pollUntil(
          () => read([started[0]!]),
          (stored) => stored[started[0]!]?.status === 'QUEUED',
          'the killed replica’s run back in the queue',
        );
      } finally {
        await writes.release();
      }
      const survivor = live()[0]!;
      for (const id of started) await waitForRun(survivor, id, undefined, 120_000);

      const stored = await read(started);
      const state = (id: string) => {
        const run = stored[id];
        return [id, run?.status, run?.attempts, replicaOf(live(), run?.owner ?? null) !== undefined];
      };
      assert.deepEqual(started.map(state), [
        [started[0], 'SUCCEEDED', 2, true],
        [started[1], 'SUCCEEDED', 1, true],
        [started[2], 'SUCCEEDED', 1, true],
      ]);
      const lifecycle = await pollUntil(
        () => actionDocuments(engine, targets, ['run-claimed', 'run-requeued']),
        (found) => found.filter((document) => started.includes(document.runId)).length >= 5,
        'the claims and the requeue of the three runs in the engine',
      );
      assert.deepEqual(
        lifecycle
          .filter((document) => started.includes(document.runId))
          .map((document) => `${started.indexOf(document.runId)} ${document.action} ${document.attempts}`)
          .sort(),
        ['0 run-claimed 1', '0 run-claimed 2', '0 run-requeued 1', '1 run-claimed 1', '2 run-claimed 1'],
      );

      const resumed = dataOf(await survivor.graphql(ModelRunResultDocument, { id: started[0]! }), 'modelRun').modelRun!;
      const reference = await start(survivor, lanes[0]!, { ...parameters, seed: resumed.params.seed });
      await waitForRun(survivor, reference, undefined, 120_000);
      const uninterrupted = dataOf(await survivor.graphql(ModelRunResultDocument, { id: reference }), 'modelRun').modelRun!;
      const results = async (run: typeof resumed) => [
        run.status,
        run.kSelection?.chosenK,
        run.clusterSizes,
        run.centroids,
        run.metrics?.inertia,
        await assignmentsOf(survivor, run.id),
      ];
      assert.deepEqual(await results(resumed), await results(uninterrupted));
      t.diagnostic(`seed ${resumed.params.seed}: chosen k ${resumed.kSelection?.chosenK}, cluster sizes ${JSON.stringify(resumed.clusterSizes)}`);
    });

    it('over the whole suite, no replica (the killed one included) logged a line at error level or above', () => {
      assert.deepEqual(
        replicas.map((replica) => [replica.name, replica.lines.filter((line) => Number(line.level) >= 50)]),
        replicas.map((replica) => [replica.name, []]),
      );
    });
  });
}

function statusOf(event: { data?: ModelRunUpdatedSubscription | null } | undefined): string | undefined {
  return event?.data?.modelRunUpdated.status;
}

async function assignmentsOf(replica: Replica, id: string): Promise<string[]> {
  const page = dataOf(await replica.graphql(RunAssignmentsDocument, { id, first: 500, after: null, cluster: null }), 'assignments').modelRun!.assignments;
  assert.equal(page.pageInfo.hasNextPage, false);
  assert.equal(page.edges.length, ROWS);
  return page.edges.map(({ node }) => `${node.entityKey} ${node.cluster} ${node.distance}`);
}

interface ActionDocument {
  readonly action: string;
  readonly runId: string;
  readonly attempts: number | undefined;
}

/** The trace documents of the given actions (of one run, if given), refreshed first. */
async function actionDocuments(engine: Client, targets: TraceTargets, actions: string[], runId?: string): Promise<ActionDocument[]> {
  await engine.indices.refresh({ index: targets.stream, ignore_unavailable: true });
  const filter: object[] = [{ terms: { 'event.action': actions } }];
  if (runId) filter.push({ term: { 'trace.id': runId } });
  const documents = await searchAll(engine, targets.stream, { bool: { filter } });
  return documents.map(({ _source: source }) => {
    const { event, aimodel } = source as { event: { action: string }; aimodel: { run: { id: string; attempts?: number } } };
    return { action: event.action, runId: aimodel.run.id, attempts: aimodel.run.attempts };
  });
}

/** `promise`, or a failure naming `what` after `ms` (a bound against hanging, not a timing assertion). */
function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not come within ${ms} ms`)), ms))),
  ]);
}
