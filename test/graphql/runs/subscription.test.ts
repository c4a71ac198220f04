import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { CancelModelRunDocument, DatasetNamesDocument, ModelRunUpdatedDocument, RegisterDatasetDocument, StartModelRunDocument, type ModelRunUpdatedSubscription } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { collectUntil, connectGraphqlWs, requestOverWs } from '../../support/graphql-ws';
import { createNoiseTable, dataOf, LONG_RUN, registerInput, runState, startInput, TERMINAL, waitForRun } from '../../support/runs';

/** modelRunUpdated(id) over graphql-ws on the HTTP server's own port and path. */
describe('the modelRunUpdated subscription', () => {
  let server: TestServer;
  let client: Client | undefined;
  let datasetId: string;

  before(async () => {
    // One run at a time, so a second run waits QUEUED until the first has finished.
    server = await startTestServer({ RUN_CONCURRENCY: '1', RUN_HEARTBEAT_MS: '600000' });
    const features = await createNoiseTable(server.app.datastore, 'subscription_noise', 20_000, 8, 99);
    const result = await server.graphql(RegisterDatasetDocument, { input: registerInput({ name: 'noise', table: 'subscription_noise', keyColumns: ['id'], featureColumns: features }) });
    datasetId = dataOf(result, 'registerDataset').registerDataset.id;
  });
  after(async () => {
    await client?.dispose();
    await server?.stop();
  });

  it('delivers a started run’s updates over ws://…/graphql, RUNNING with non-decreasing progress, ending in SUCCEEDED', async () => {
    const start = async (fields: Parameters<typeof startInput>[0]) => dataOf(await server.graphql(StartModelRunDocument, { input: startInput(fields) }), 'start').startModelRun;
    // A long run occupies the only slot, so the run under test is still QUEUED when the subscription starts.
    const blocker = await start({ datasetId, ...LONG_RUN });
    await waitForRun(server, blocker.id, ['RUNNING']);
    const run = await start({ datasetId, k: 5, nInit: 2, maxIterations: 300, tolerance: 1e-12, seed: 5, publishOutcomes: false });
    assert.equal((await runState(server, run.id)).status, 'QUEUED');

    client = await connectGraphqlWs(server.url);
    const { done } = collectUntil(client, ModelRunUpdatedDocument, { id: run.id }, (event) => TERMINAL.includes(event.modelRunUpdated.status));
    // A round trip on the same socket after the subscribe message: the server has taken the subscription.
    const answered = await requestOverWs(client, DatasetNamesDocument, {});
    assert.ok(answered.data?.datasets.some((dataset) => dataset.name === 'noise'));
    dataOf(await server.graphql(CancelModelRunDocument, { id: blocker.id }), 'cancel the blocker');

    const events: ModelRunUpdatedSubscription['modelRunUpdated'][] = (await done).map((event) => event.modelRunUpdated);
    assert.ok(events.every((event) => event.id === run.id), 'only this run’s updates');
    const statuses = events.map((event) => event.status);
    assert.equal(statuses.at(-1), 'SUCCEEDED', JSON.stringify(statuses));
    assert.equal(statuses[0], 'RUNNING', 'the first update is the start of the computation');
    assert.ok(statuses.slice(0, -1).every((status) => status === 'RUNNING'), JSON.stringify(statuses));
    const iterations = events.map((event) => event.progress.iteration);
    assert.deepEqual(iterations, [...iterations].sort((a, b) => a - b), `non-decreasing progress: ${iterations.join(', ')}`);
    assert.ok(events.every((event) => event.progress.maxIterations === 600), 'budget: 300 iterations × 2 restarts');

    const final = await runState(server, run.id);
    assert.equal(final.status, 'SUCCEEDED');
    assert.equal(iterations.at(-1), final.progress.iteration);
    assert.ok(final.progress.iteration > 0);
  });
});
