import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { embeddedDatastore } from '../../support/databases';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { CancelModelRunDocument, RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer } from '../../support/app-harness';
import { startMain } from '../../support/main-process';
import {
  allRunIds,
  assertGraphqlError,
  countAssignments,
  createNoiseTable,
  dataOf,
  LONG_RUN,
  pollUntil,
  registerInput,
  runRecord,
  runState,
  snapshotOutcomeTable,
  startInput,
  TERMINAL,
  waitForRun,
} from '../../support/runs';

const HOUR_MS = 3_600_000;

describe('runs orphaned by a server process that died', () => {
  it("a dead owner's RUNNING run with claims left and its QUEUED run are run again to the same result; one on its last claim is FAILED INTERRUPTED", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-orphans-'));
    // A first server prepares the database; the runs are written as a dead process left them.
    const first = await startTestServer({ DATA_DIR: dataDir, RUN_HEARTBEAT_MS: '600000' });
    const anHourAgo = new Date(Date.now() - HOUR_MS);
    const dead = { owner: 'dead-process', createdAt: anHourAgo, startedAt: anHourAgo, heartbeatAt: anHourAgo };
    // The same parameters and seed (runRecord's): a resumed run must give what a first attempt gives.
    const resumed = runRecord('demo-iris', { ...dead, status: 'RUNNING', attempts: 1 });
    const queued = runRecord('demo-iris', { ...dead, status: 'QUEUED', startedAt: null, attempts: 0 });
    const lastClaim = runRecord('demo-iris', { ...dead, status: 'RUNNING', attempts: 3 });
    const finished = runRecord('demo-iris', { ...dead, status: 'SUCCEEDED', finishedAt: anHourAgo, attempts: 1 });
    const repository = new RunRepository(first.app.datastore);
    for (const record of [resumed, queued, lastClaim, finished]) await repository.insert(record);
    await first.stop();

    const server = await startTestServer({ DATA_DIR: dataDir, RUN_HEARTBEAT_MS: '200', RUN_MAX_ATTEMPTS: '3' });
    try {
      const failed = await waitForRun(server, lastClaim.id);
      assert.deepEqual([failed.status, failed.error?.code], ['FAILED', 'INTERRUPTED']);
      assert.match(failed.error?.message ?? '', /stopped \(no heartbeat since .*; attempt 3 of 3\)/);
      for (const id of [resumed.id, queued.id]) assert.equal((await waitForRun(server, id)).status, 'SUCCEEDED', id);
      const runs = new RunRepository(server.app.datastore);
      const [again, once] = [(await runs.findByIds([resumed.id]))[0]!, (await runs.findByIds([queued.id]))[0]!];
      assert.deepEqual([again.attempts, once.attempts], [2, 1], 'attempts recorded on the run');
      assert.notEqual(again.owner, 'dead-process');
      assert.deepEqual([again.centroids, again.clusterSizes, again.metrics?.inertia], [once.centroids, once.clusterSizes, once.metrics?.inertia]);
      // A terminal run is never touched, however old its heartbeat.
      const untouched = await runState(server, finished.id);
      assert.deepEqual([untouched.status, untouched.error], ['SUCCEEDED', null]);
    } finally {
      await server.stop();
    }
  });

  it('a RUNNING run of a dead owner that appears while the server runs is queued again by the heartbeat and succeeds as attempt 2', async () => {
    const server = await startTestServer({ RUN_HEARTBEAT_MS: '200' });
    try {
      const anHourAgo = new Date(Date.now() - HOUR_MS);
      const orphan = runRecord('demo-iris', {
        status: 'RUNNING',
        owner: 'dead-process',
        attempts: 1,
        createdAt: anHourAgo,
        startedAt: anHourAgo,
        heartbeatAt: anHourAgo,
      });
      const runs = new RunRepository(server.app.datastore);
      await runs.insert(orphan);
      assert.equal((await waitForRun(server, orphan.id)).status, 'SUCCEEDED');
      assert.equal((await runs.findByIds([orphan.id]))[0]?.attempts, 2);
    } finally {
      await server.stop();
    }
  });

  it('a process killed (SIGKILL) during a long run: after a restart on the same DATA_DIR (RUN_MAX_ATTEMPTS 1) the run is FAILED INTERRUPTED and the outcome table is unchanged', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-sigkill-'));
    const first = await startMain({ DATA_DIR: dataDir });
    const datastore = embeddedDatastore(dataDir);
    try {
      const features = await createNoiseTable(datastore, 'killed_noise', 50_000, 8, 31);
      const dataset = dataOf(
        await first.graphql(RegisterDatasetDocument, {
          input: registerInput({ name: 'noise', table: 'killed_noise', keyColumns: ['id'], featureColumns: features }),
        }),
        'registerDataset',
      ).registerDataset;
      // Published outcomes that must survive the crash as they are.
      const published = dataOf(
        await first.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 3, seed: 8 }) }),
        'iris',
      ).startModelRun;
      assert.equal((await waitForRun(first, published.id)).status, 'SUCCEEDED');

      const long = dataOf(await first.graphql(StartModelRunDocument, { input: startInput({ datasetId: dataset.id, ...LONG_RUN }) }), 'long run').startModelRun;
      await pollUntil(
        () => runState(first, long.id),
        (run) => run.status === 'RUNNING' && run.progress.iteration > 0,
        'the long run computing',
      );
      const outcomesBefore = await snapshotOutcomeTable(datastore);
      assert.equal(outcomesBefore.length, 150);

      first.child.kill('SIGKILL');
      assert.equal((await first.exited).signal, 'SIGKILL');

      const second = await startMain({ DATA_DIR: dataDir, RUN_HEARTBEAT_MS: '200', RUN_MAX_ATTEMPTS: '1' });
      try {
        const failed = await waitForRun(second, long.id);
        assert.equal(failed.status, 'FAILED');
        assert.equal(failed.error?.code, 'INTERRUPTED');
        assert.ok(failed.finishedAt);
        assert.equal(await countAssignments(datastore, long.id), 0);
        assert.deepEqual(await snapshotOutcomeTable(datastore), outcomesBefore);
        assert.equal((await runState(second, published.id)).status, 'SUCCEEDED');
      } finally {
        second.child.kill('SIGTERM');
        assert.equal((await second.exited).code, 0);
      }
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
      await datastore.close();
    }
  });
});

describe('the run queue (RUN_CONCURRENCY=1, RUN_QUEUE_LIMIT=1)', () => {
  it('runs one long run, queues a second, and refuses a third with RUN_QUEUE_FULL, writing no run for it', async () => {
    const server = await startTestServer({ RUN_CONCURRENCY: '1', RUN_QUEUE_LIMIT: '1', RUN_HEARTBEAT_MS: '600000' });
    const started: string[] = [];
    try {
      const features = await createNoiseTable(server.app.datastore, 'queue_noise', 50_000, 8, 77);
      const dataset = dataOf(
        await server.graphql(RegisterDatasetDocument, {
          input: registerInput({ name: 'noise', table: 'queue_noise', keyColumns: ['id'], featureColumns: features }),
        }),
        'registerDataset',
      ).registerDataset;
      const start = () => server.graphql(StartModelRunDocument, { input: startInput({ datasetId: dataset.id, ...LONG_RUN }) });

      const running = dataOf(await start(), 'first').startModelRun;
      started.push(running.id);
      await waitForRun(server, running.id, ['RUNNING']);
      const queued = dataOf(await start(), 'second').startModelRun;
      started.push(queued.id);
      const before = await allRunIds(server);
      assertGraphqlError(await start(), 'RUN_QUEUE_FULL', /The run queue is full: 1 queued \(RUN_QUEUE_LIMIT 1, 0 free slot\(s\) on this server\)/);
      assert.deepEqual(await allRunIds(server), before, 'no run written for the refused start');
      assert.equal((await runState(server, queued.id)).status, 'QUEUED');

      // Cancelling the queued run frees its place.
      dataOf(await server.graphql(CancelModelRunDocument, { id: queued.id }), 'cancel queued');
      const third = dataOf(await start(), 'third').startModelRun;
      started.push(third.id);
      assert.equal(third.status, 'QUEUED');
    } finally {
      for (const id of started) await server.graphql(CancelModelRunDocument, { id });
      for (const id of started) assert.ok(TERMINAL.includes((await waitForRun(server, id)).status));
      await server.stop();
    }
  });

  it('of three starts sent at the same time, one is refused with RUN_QUEUE_FULL and only two runs exist', async () => {
    const server = await startTestServer({ RUN_CONCURRENCY: '1', RUN_QUEUE_LIMIT: '1', RUN_HEARTBEAT_MS: '600000' });
    const accepted: string[] = [];
    try {
      const features = await createNoiseTable(server.app.datastore, 'queue_noise', 50_000, 8, 78);
      const dataset = dataOf(
        await server.graphql(RegisterDatasetDocument, {
          input: registerInput({ name: 'noise', table: 'queue_noise', keyColumns: ['id'], featureColumns: features }),
        }),
        'registerDataset',
      ).registerDataset;
      const results = await Promise.all(
        [1, 2, 3].map(() => server.graphql(StartModelRunDocument, { input: startInput({ datasetId: dataset.id, ...LONG_RUN }) })),
      );
      for (const result of results) if (result.data) accepted.push(result.data.startModelRun.id);
      const refused = results.filter((result) => result.errors);
      assert.equal(refused.length, 1, JSON.stringify(results.map((result) => result.errors?.[0]?.extensions?.code ?? result.data?.startModelRun.status)));
      assertGraphqlError(refused[0]!, 'RUN_QUEUE_FULL', /The run queue is full/);
      assert.deepEqual((await allRunIds(server)).sort(), [...accepted].sort(), 'only the accepted runs exist');
    } finally {
      for (const id of accepted) await server.graphql(CancelModelRunDocument, { id });
      for (const id of accepted) assert.ok(TERMINAL.includes((await waitForRun(server, id)).status));
      await server.stop();
    }
  });
});
