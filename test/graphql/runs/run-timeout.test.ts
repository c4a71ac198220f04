import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { countStoredAssignments } from '../../support/assignments';
import { createNoiseTable, dataOf, LONG_RUN, readOutcomeTable, registerInput, startInput, waitForRun } from '../../support/runs';

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
