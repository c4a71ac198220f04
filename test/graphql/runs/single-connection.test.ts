import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DatasetNamesDocument,
  DeleteDatasetDocument,
  PublishRunOutcomesDocument,
  RegisterDatasetDocument,
  StartModelRunDocument,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, readOutcomeTable, registerInput, startInput, waitForRun } from '../../support/runs';

/**
 * Mutations that work in a transaction must not wait for a second pooled connection while they hold
 * one: with DB_POOL_MAX=1 (allowed by the configuration), or with every connection held by such a
 * mutation, they would wait for themselves until DB_POOL_TIMEOUT.
 */
describe('publishRunOutcomes on a small connection pool', () => {
  let server: TestServer;
  const runIds: string[] = [];

  before(async () => {
    // A short acquire timeout only turns a deadlock into a quick DB_POOL_TIMEOUT instead of a long wait.
    server = await startTestServer({ DB_POOL_MAX: '2', DB_ACQUIRE_TIMEOUT_MS: '5000', RUN_HEARTBEAT_MS: '600000' });
    for (const seed of [1, 2, 3, 4]) {
      const run = dataOf(
        await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 3, seed, publishOutcomes: false }) }),
        'start',
      ).startModelRun;
      assert.equal((await waitForRun(server, run.id)).status, 'SUCCEEDED');
      runIds.push(run.id);
    }
  });
  after(async () => {
    await server?.stop();
  });

  it('four publishes at once on a pool of two connections all succeed, and the outcome table holds one of those runs entirely', async () => {
    const results = await Promise.all(runIds.map((runId) => server.graphql(PublishRunOutcomesDocument, { runId })));
    for (const result of results) assert.equal(dataOf(result, 'publishRunOutcomes').publishRunOutcomes.status, 'SUCCEEDED');
    const table = await readOutcomeTable(server.app.datastore, 'demo-iris');
    assert.equal(table.length, 150);
    const owners = new Set(table.map((row) => row.runId));
    assert.equal(owners.size, 1, 'each publish is one transaction: no mix of runs');
    assert.ok(runIds.includes([...owners][0]!));
  });
});

describe('a server with DB_POOL_MAX=1', () => {
  it('publishes a succeeded run’s outcomes using the only connection', async () => {
    const server = await startTestServer({ DB_POOL_MAX: '1', DB_ACQUIRE_TIMEOUT_MS: '5000', RUN_HEARTBEAT_MS: '600000' });
    try {
      const run = dataOf(
        await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 3, seed: 9, publishOutcomes: false }) }),
        'start',
      ).startModelRun;
      assert.equal((await waitForRun(server, run.id)).status, 'SUCCEEDED');
      assert.deepEqual(await readOutcomeTable(server.app.datastore, 'demo-iris'), []);
      const published = dataOf(await server.graphql(PublishRunOutcomesDocument, { runId: run.id }), 'publishRunOutcomes').publishRunOutcomes;
      assert.ok(published.outcomesPublishedAt);
      const table = await readOutcomeTable(server.app.datastore, 'demo-iris');
      assert.equal(table.length, 150);
      assert.ok(table.every((row) => row.runId === run.id));
    } finally {
      await server.stop();
    }
  });

  it('deletes a dataset (the active-run check and the deletes share the only connection)', async () => {
    const server = await startTestServer({ DB_POOL_MAX: '1', DB_ACQUIRE_TIMEOUT_MS: '5000', RUN_HEARTBEAT_MS: '600000' });
    try {
      const dataset = dataOf(
        await server.graphql(RegisterDatasetDocument, {
          input: registerInput({ name: 'iris petals', table: 'iris', keyColumns: ['sample_id'], featureColumns: ['petal_length', 'petal_width'] }),
        }),
        'registerDataset',
      ).registerDataset;
      const run = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: dataset.id, k: 2, seed: 1 }) }), 'start').startModelRun;
      assert.equal((await waitForRun(server, run.id)).status, 'SUCCEEDED');
      const deleted = dataOf(await server.graphql(DeleteDatasetDocument, { id: dataset.id }), 'deleteDataset').deleteDataset;
      assert.equal(deleted.id, dataset.id);
      const names = dataOf(await server.graphql(DatasetNamesDocument), 'datasets').datasets.map((entry) => entry.name);
      assert.deepEqual(names, ['iris', 'station_readings']);
      // Its published outcomes go with it: nothing is left under a deleted dataset's id.
      assert.deepEqual(await readOutcomeTable(server.app.datastore, dataset.id), []);
    } finally {
      await server.stop();
    }
  });
});
