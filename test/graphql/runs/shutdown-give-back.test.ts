import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { AssignmentRepository } from '../../../src/modules/run/assignment.repository';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { embeddedDatastore } from '../../support/databases';
import { createPostgresqlSchema } from '../../support/postgresql-schema';
import { countAssignments, createNoiseTable, dataOf, pollUntil, readOutcomeTable, registerInput, runState, startInput, waitForRun } from '../../support/runs';

/**
 * A graceful stop (SIGTERM's path: App.stop) with a run computing gives the run back to the queue, and
 * the next server to start (a single-replica deployment's restart) runs it again from its fixed seed:
 * its assignments and published outcomes equal, value by value, those of an uninterrupted run with the
 * same parameters and seed, and the interrupted attempt left nothing behind.
 */
interface Target {
  readonly name: string;
  open(): Promise<{ env: Record<string, string>; datastore: () => Datastore; close: () => Promise<void> }>;
}

const TARGETS: readonly Target[] = [
  {
    name: 'PostgreSQL',
    async open() {
      const schema = await createPostgresqlSchema('runs_give_back');
      return {
        env: { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString },
        datastore: () => schema.datastore,
        close: () => schema.drop(),
      };
    },
  },
  {
    name: 'SQLite',
    open() {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-give-back-'));
      let datastore: Datastore | undefined;
      return Promise.resolve({
        env: { DATA_DIR: dataDir },
        // Opened once the first server has created the database file.
        datastore: () => (datastore ??= embeddedDatastore(dataDir)),
        close: async () => void (await datastore?.close()),
      });
    },
  },
];

// Long enough to be stopped mid-computation, short enough to run twice.
const RUN = { k: 8, nInit: 6, maxIterations: 400, tolerance: 0, seed: 23 } as const;

const assignmentsOf = async (datastore: Datastore, runId: string) =>
  (await new AssignmentRepository(datastore).page(runId, null, { limit: 1_000_000, after: null })).map((row) => [row.entityKey, row.cluster, row.distance]);

for (const target of TARGETS) {
  describe(`${target.name}: a run given back at a graceful stop is resumed by the next server`, () => {
    it('the interrupted attempt leaves QUEUED, unowned, attempt 1, no assignments; resumed as attempt 2 it stores and publishes exactly what an uninterrupted run with the same seed did', async (t) => {
      const { env: targetEnv, datastore, close } = await target.open();
      const env = { ...targetEnv, RUN_CONCURRENCY: '1', RUN_HEARTBEAT_MS: '600000', RUN_MAX_ATTEMPTS: '3' };
      const servers: TestServer[] = [];
      try {
        const first = await startTestServer(env);
        servers.push(first);
        const features = await createNoiseTable(datastore(), 'give_back_noise', 30_000, 6, 53);
        const datasetId = dataOf(
          await first.graphql(RegisterDatasetDocument, {
            input: registerInput({ name: 'give-back noise', table: 'give_back_noise', keyColumns: ['id'], featureColumns: features }),
          }),
          'registerDataset',
        ).registerDataset.id;
        const start = async (server: TestServer) =>
          dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...RUN }) }), 'start').startModelRun.id;
        const outcomes = async () => (await readOutcomeTable(datastore(), datasetId)).map((row) => [row.entityKey, row.runId, row.cluster, row.distance]);
        const runs = new RunRepository(datastore());

        const uninterrupted = await start(first);
        const once = await waitForRun(first, uninterrupted);
        assert.equal(once.status, 'SUCCEEDED');
        const expectedAssignments = await assignmentsOf(datastore(), uninterrupted);
        const outcomesOnce = await outcomes();
        assert.equal(expectedAssignments.length, 30_000);
        t.diagnostic(`uninterrupted run: ${once.durationMs} ms`);

        const resumed = await start(first);
        await pollUntil(
          () => runState(first, resumed),
          (run) => run.status === 'RUNNING' && run.progress.iteration > 0,
          'the second run computing',
        );
        await first.stop();
        servers.length = 0;
        const [given] = await runs.findByIds([resumed]);
        assert.deepEqual(
          [given?.status, given?.owner, given?.attempts, given?.startedAt, given?.error, given?.finishedAt],
          ['QUEUED', null, 1, null, null, null],
          'given back (SUCCEEDED: the run ended before the stop reached it; make it longer)',
        );
        assert.equal(await countAssignments(datastore(), resumed), 0, 'no assignments of the interrupted attempt');
        // The log says what happened to it: given back, and stopped here; not cancelled.
        const messages = first.logs
          .flatMap((chunk) => chunk.split('\n'))
          .filter((line) => line.includes(resumed))
          .map((line) => (JSON.parse(line) as { msg: string }).msg);
        assert.ok(messages.includes('model run given back to the queue at shutdown'), JSON.stringify(messages));
        assert.ok(messages.includes('model run stopped here at shutdown'), JSON.stringify(messages));
        assert.ok(!messages.includes('model run cancelled'), JSON.stringify(messages));
        assert.deepEqual(await outcomes(), outcomesOnce, 'the outcome table untouched by it');

        const next = await startTestServer(env);
        servers.push(next);
        const again = await waitForRun(next, resumed);
        assert.deepEqual([again.status, again.attempts], ['SUCCEEDED', 2], 'ModelRun.attempts shows the retry');
        const [record] = await runs.findByIds([resumed]);
        const [reference] = await runs.findByIds([uninterrupted]);
        const histories = await runs.iterationsOf([resumed, uninterrupted]);
        assert.equal(record?.attempts, 2);
        assert.deepEqual(await assignmentsOf(datastore(), resumed), expectedAssignments, 'assignments value by value');
        assert.deepEqual(
          await outcomes(),
          outcomesOnce.map(([entityKey, , cluster, distance]) => [entityKey, resumed, cluster, distance]),
          'published outcomes value by value, now of the resumed run',
        );
        assert.deepEqual(
          [record?.centroids, record?.clusterSizes, record?.metrics?.inertia, histories.get(resumed)?.length],
          [reference?.centroids, reference?.clusterSizes, reference?.metrics?.inertia, histories.get(uninterrupted)?.length],
        );
      } finally {
        for (const server of servers) await server.stop();
        await close();
      }
    });
  });
}

describe('PostgreSQL, a rolling deploy: a run given back by a stopping server is taken by the live one', () => {
  it('the live server claims it as attempt 2 and stores and publishes exactly what an uninterrupted run with the same seed did', async () => {
    const schema = await createPostgresqlSchema('runs_give_back_rolling');
    const env = { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, RUN_CONCURRENCY: '1', RUN_HEARTBEAT_MS: '600000' };
    const servers: TestServer[] = [];
    try {
      const leaving = await startTestServer(env);
      servers.push(leaving);
      const features = await createNoiseTable(schema.datastore, 'rolling_noise', 30_000, 6, 59);
      const datasetId = dataOf(
        await leaving.graphql(RegisterDatasetDocument, {
          input: registerInput({ name: 'rolling noise', table: 'rolling_noise', keyColumns: ['id'], featureColumns: features }),
        }),
        'registerDataset',
      ).registerDataset.id;
      const start = async () => dataOf(await leaving.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...RUN }) }), 'start').startModelRun.id;
      const outcomes = async () => (await readOutcomeTable(schema.datastore, datasetId)).map((row) => [row.entityKey, row.runId, row.cluster, row.distance]);
      const runs = new RunRepository(schema.datastore);

      const uninterrupted = await start();
      assert.equal((await waitForRun(leaving, uninterrupted)).status, 'SUCCEEDED');
      const expectedAssignments = await assignmentsOf(schema.datastore, uninterrupted);
      const outcomesOnce = await outcomes();

      const moved = await start();
      await pollUntil(
        () => runState(leaving, moved),
        (run) => run.status === 'RUNNING' && run.progress.iteration > 0,
        'the run computing on the leaving server',
      );
      const leavingOwner = (await runs.findByIds([moved]))[0]?.owner;
      const staying = await startTestServer(env);
      servers.push(staying);
      await leaving.stop();
      servers.shift();

      const again = await waitForRun(staying, moved);
      const [record] = await runs.findByIds([moved]);
      assert.deepEqual([again.status, again.attempts, record?.owner === leavingOwner], ['SUCCEEDED', 2, false], 'finished by the live server');
      assert.deepEqual(await assignmentsOf(schema.datastore, moved), expectedAssignments, 'assignments value by value');
      assert.deepEqual(
        await outcomes(),
        outcomesOnce.map(([entityKey, , cluster, distance]) => [entityKey, moved, cluster, distance]),
        'published outcomes value by value, now of the moved run',
      );
    } finally {
      for (const server of servers) await server.stop();
      await schema.drop();
    }
  });
});
