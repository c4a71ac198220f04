import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CancelModelRunDocument, DatasetListDocument, RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { createNoiseTable, dataOf, LONG_RUN, pollUntil, registerInput, runState, startInput, waitForRun } from '../../support/runs';

/**
 * k-means runs on a worker thread: while a large run computes, the server keeps answering. If the
 * computation ran on the event loop, the queries below would only be answered once it had finished,
 * and the run would no longer be RUNNING after them.
 */
describe('the server while a large run computes', () => {
  let server: TestServer;
  let datasetId: string;

  before(async () => {
    server = await startTestServer({ RUN_HEARTBEAT_MS: '600000' });
    const features = await createNoiseTable(server.app.datastore, 'responsiveness_noise', 50_000, 8, 2_024);
    const result = await server.graphql(RegisterDatasetDocument, {
      input: registerInput({ name: 'noise', table: 'responsiveness_noise', keyColumns: ['id'], featureColumns: features }),
    });
    datasetId = dataOf(result, 'registerDataset').registerDataset.id;
  });
  after(async () => {
    await server?.stop();
  });

  it('answers 20 sequential { datasets { name } } queries while the run is RUNNING, and the run is still RUNNING after them', async () => {
    const run = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...LONG_RUN }) }), 'start').startModelRun;
    // Past reading the table: iterations are being computed.
    await pollUntil(
      () => runState(server, run.id),
      (state) => state.status !== 'QUEUED' && (state.status !== 'RUNNING' || state.progress.iteration > 0),
      'the run computing its first iterations',
    );
    assert.equal((await runState(server, run.id)).status, 'RUNNING');

    for (let query = 0; query < 20; query++) {
      const result = await server.graphql(DatasetListDocument);
      assert.deepEqual(
        dataOf(result, `query ${query + 1}`).datasets.map((dataset) => dataset.name),
        ['iris', 'noise', 'station_readings'],
      );
    }
    const afterwards = await runState(server, run.id);
    assert.equal(afterwards.status, 'RUNNING');
    assert.ok(afterwards.progress.iteration > 0);

    dataOf(await server.graphql(CancelModelRunDocument, { id: run.id }), 'cancel');
    assert.equal((await waitForRun(server, run.id)).status, 'CANCELLED');
  });
});
