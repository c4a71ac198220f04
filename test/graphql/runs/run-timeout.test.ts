import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { countStoredAssignments } from '../../support/assignments';
import { createNoiseTable, dataOf, LONG_RUN, pollUntil, readOutcomeTable, registerInput, runState, startInput, waitForRun } from '../../support/runs';

const TIMEOUT_MS = 400;

/** RUN_TIMEOUT_MS: a run still computing when it passes ends FAILED with RUN_TIMEOUT, stores nothing, and frees its slot. */
describe('a run that runs longer than RUN_TIMEOUT_MS', () => {
  let server: TestServer;
  let datasetId: string;

  before(async () => {
    server = await startTestServer({ RUN_CONCURRENCY: '1', RUN_TIMEOUT_MS: String(TIMEOUT_MS), RATE_LIMIT_RUNS_PER_MINUTE: '1000' });
    const features = await createNoiseTable(server.app.datastore, 'timeout_rows', 20_000, 3, 5);
    const registered = await server.graphql(RegisterDatasetDocument, {
      input: registerInput({ name: 'timeout rows', table: 'timeout_rows', keyColumns: ['id'], featureColumns: features }),
    });
    datasetId = dataOf(registered, 'registerDataset').registerDataset.id;
  });
  after(async () => {
    await server?.stop();
  });

  const start = async (fields: Omit<Parameters<typeof startInput>[0], 'datasetId'>) =>
    dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...fields }) }), 'start').startModelRun.id;

  it('LLOYD and MINI_BATCH runs end FAILED with RUN_TIMEOUT one after another on the one slot, with nothing stored', async () => {
    // Both queued at once: the second can only run if the first let go of the slot. The LLOYD run
    // reads 20,000 rows in a few tens of ms, then computes for seconds on its worker (50 restarts).
    const lloyd = await start({ ...LONG_RUN, nInit: 50 });
    const miniBatch = await start({ ...LONG_RUN, nInit: 1, algorithm: 'MINI_BATCH', batchSize: 100 });
    for (const id of [lloyd, miniBatch]) {
      const run = await waitForRun(server, id);
      assert.equal(run.status, 'FAILED', JSON.stringify(run));
      assert.deepEqual(run.error, {
        code: 'RUN_TIMEOUT',
        message: `The run was stopped after RUN_TIMEOUT_MS (${TIMEOUT_MS} ms) while it was still reading or computing`,
      });
      assert.equal(run.attempts, 1, 'not requeued');
      assert.ok(run.durationMs! >= TIMEOUT_MS, `ran at least the limit: ${run.durationMs} ms`);
      assert.equal(await countStoredAssignments(server.app.datastore, id), 0, 'no assignment stored');
      assert.equal(run.outcomesPublishedAt, null);
    }
    assert.deepEqual(await readOutcomeTable(server.app.datastore, datasetId), [], 'no outcome published');
  });
});

describe('a run whose RUN_TIMEOUT_MS passes while its server shuts down', () => {
  it('ends FAILED with RUN_TIMEOUT, not CANCELLED (nobody cancelled it)', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-timeout-shutdown-'));
    const env = { DATA_DIR: dataDir, DEMO_DATASETS: 'false', RUN_CONCURRENCY: '1', RUN_TIMEOUT_MS: '1500' };
    const server = await startTestServer(env);
    const features = await createNoiseTable(server.app.datastore, 'shutdown_rows', 100_000, 3, 5);
    const registered = await server.graphql(RegisterDatasetDocument, {
      input: registerInput({ name: 'shutdown rows', table: 'shutdown_rows', keyColumns: ['id'], featureColumns: features }),
    });
    const datasetId = dataOf(registered, 'registerDataset').registerDataset.id;
    const started = await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...LONG_RUN, nInit: 50 }) });
    const id = dataOf(started, 'start').startModelRun.id;
    await pollUntil(
      () => runState(server, id),
      (run) => run.status === 'RUNNING',
      'the run running',
    );
    // The shutdown stops the executor first, then reads the runs to give back: slowed here (a busy
    // database) until the deadline has passed in between.
    const prototype = RunRepository.prototype;
    const findActiveOfOwner = Object.getOwnPropertyDescriptor(prototype, 'findActiveOfOwner')!;
    Object.defineProperty(prototype, 'findActiveOfOwner', {
      ...findActiveOfOwner,
      value: async function (this: RunRepository, owner: string) {
        await sleep(3_000);
        return (findActiveOfOwner.value as RunRepository['findActiveOfOwner']).call(this, owner);
      },
    });
    try {
      await server.stop();
    } finally {
      Object.defineProperty(prototype, 'findActiveOfOwner', findActiveOfOwner);
    }
    const again = await startTestServer({ ...env, RUN_TIMEOUT_MS: '0' });
    try {
      const run = await runState(again, id);
      assert.equal(run.status, 'FAILED', JSON.stringify(run));
      assert.equal(run.error?.code, 'RUN_TIMEOUT');
      assert.equal(run.attempts, 1);
      assert.equal(await countStoredAssignments(again.app.datastore, id), 0, 'no assignment stored');
    } finally {
      await again.stop();
    }
  });
});
