import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import {
  CancelModelRunDocument,
  DatasetNamesDocument,
  ModelRunHistoryUpdatedDocument,
  ModelRunResultDocument,
  ModelRunUpdatedDocument,
  RegisterDatasetDocument,
  StartModelRunDocument,
  type ModelRunUpdatedSubscription,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { connectGraphqlWs, requestOverWs, untilServerEnds } from '../../support/graphql-ws';
import { createNoiseTable, dataOf, LONG_RUN, registerInput, runState, startInput, waitForRun } from '../../support/runs';

/** modelRunUpdated(id) over graphql-ws on the HTTP server's own port and path. */
describe('the modelRunUpdated subscription', () => {
  let server: TestServer;
  let client: Client | undefined;
  let datasetId: string;

  before(async () => {
    // One run at a time, so a second run waits QUEUED until the first has finished.
    server = await startTestServer({ RUN_CONCURRENCY: '1', RUN_HEARTBEAT_MS: '600000' });
    const features = await createNoiseTable(server.app.datastore, 'subscription_noise', 20_000, 8, 99);
    const result = await server.graphql(RegisterDatasetDocument, {
      input: registerInput({ name: 'noise', table: 'subscription_noise', keyColumns: ['id'], featureColumns: features }),
    });
    datasetId = dataOf(result, 'registerDataset').registerDataset.id;
  });
  after(async () => {
    await client?.dispose();
    await server?.stop();
  });

  const start = async (fields: Parameters<typeof startInput>[0]) =>
    dataOf(await server.graphql(StartModelRunDocument, { input: startInput(fields) }), 'start').startModelRun;

  it('a queued run: its current state QUEUED first, then RUNNING with non-decreasing progress, then SUCCEEDED, and the server completes the subscription', async () => {
    // A long run occupies the only slot, so the run under test is still QUEUED when the subscription starts.
    const blocker = await start({ datasetId, ...LONG_RUN });
    await waitForRun(server, blocker.id, ['RUNNING']);
    const run = await start({ datasetId, k: 5, nInit: 2, maxIterations: 300, tolerance: 1e-12, seed: 5, publishOutcomes: false });
    assert.equal((await runState(server, run.id)).status, 'QUEUED');

    client = await connectGraphqlWs(server.url);
    const outcome = untilServerEnds(client, ModelRunUpdatedDocument, { id: run.id });
    // A round trip on the same socket after the subscribe message: the server has taken the subscription.
    const answered = await requestOverWs(client, DatasetNamesDocument, {});
    assert.ok(answered.data?.datasets.some((dataset) => dataset.name === 'noise'));
    dataOf(await server.graphql(CancelModelRunDocument, { id: blocker.id }), 'cancel the blocker');

    const { events, ending } = await outcome;
    assert.equal(ending, 'complete');
    const states: ModelRunUpdatedSubscription['modelRunUpdated'][] = events.map((event) => dataOf(event, 'event').modelRunUpdated);
    assert.ok(
      states.every((state) => state.id === run.id),
      'only this run’s updates',
    );
    const statuses = states.map((state) => state.status);
    assert.equal(statuses[0], 'QUEUED', `the current state comes first: ${JSON.stringify(statuses)}`);
    assert.equal(statuses.at(-1), 'SUCCEEDED', JSON.stringify(statuses));
    assert.ok(
      statuses.slice(1, -1).every((status) => status === 'RUNNING'),
      JSON.stringify(statuses),
    );
    assert.ok(statuses.length >= 3, `QUEUED, RUNNING …, SUCCEEDED: ${JSON.stringify(statuses)}`);
    const iterations = states.map((state) => state.progress.iteration);
    assert.deepEqual(
      iterations,
      [...iterations].sort((a, b) => a - b),
      `non-decreasing progress: ${iterations.join(', ')}`,
    );
    assert.ok(
      states.every((state) => state.progress.maxIterations === 600),
      'budget: 300 iterations × 2 restarts',
    );

    const final = await runState(server, run.id);
    assert.deepEqual(states.at(-1), {
      id: final.id,
      status: final.status,
      progress: { iteration: final.progress.iteration, maxIterations: final.progress.maxIterations, fraction: final.progress.fraction },
    });
    assert.ok(final.progress.iteration > 0);
  });

  it('a subscription selecting iterations gets null while the run waits and, at SUCCEEDED, the history ModelRun.iterations reads then', async () => {
    const blocker = await start({ datasetId, ...LONG_RUN });
    await waitForRun(server, blocker.id, ['RUNNING']);
    const run = await start({ datasetId, k: 3, nInit: 1, maxIterations: 50, tolerance: 1e-12, seed: 11, publishOutcomes: false });
    const historyClient = await connectGraphqlWs(server.url);
    try {
      const outcome = untilServerEnds(historyClient, ModelRunHistoryUpdatedDocument, { id: run.id });
      await requestOverWs(historyClient, DatasetNamesDocument, {});
      dataOf(await server.graphql(CancelModelRunDocument, { id: blocker.id }), 'cancel the blocker');
      const { events, ending } = await outcome;
      assert.equal(ending, 'complete');
      const states = events.map((event) => dataOf(event, 'event').modelRunUpdated);
      assert.deepEqual([states[0]?.status, states[0]?.iterations], ['QUEUED', null]);
      const stored = dataOf(await server.graphql(ModelRunResultDocument, { id: run.id }), 'the run').modelRun!;
      assert.equal(states.at(-1)?.status, 'SUCCEEDED');
      assert.ok(stored.iterations && stored.iterations.length > 0);
      // Read afresh for the last event: the null read for the first one is not kept for the subscription's life.
      assert.deepEqual(states.at(-1)?.iterations, stored.iterations);
    } finally {
      await historyClient.dispose();
    }
  });

  it('subscribing right after startModelRun gets the states in order, ending with SUCCEEDED, then complete', async () => {
    const run = await start({ datasetId: 'demo-iris', k: 3, seed: 2, publishOutcomes: false });
    client ??= await connectGraphqlWs(server.url);
    const { events, ending } = await untilServerEnds(client, ModelRunUpdatedDocument, { id: run.id });
    assert.equal(ending, 'complete');
    const statuses = events.map((event) => dataOf(event, 'event').modelRunUpdated.status);
    const order = ['QUEUED', 'RUNNING', 'SUCCEEDED'];
    assert.deepEqual(
      statuses,
      [...statuses].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
      `in order: ${JSON.stringify(statuses)}`,
    );
    assert.equal(statuses.at(-1), 'SUCCEEDED');
    assert.equal(statuses.filter((status) => status === 'SUCCEEDED').length, 1, JSON.stringify(statuses));
  });

  for (const [ending, end] of [
    ['SUCCEEDED', async () => start({ datasetId: 'demo-iris', k: 3, seed: 3, publishOutcomes: false })],
    [
      'CANCELLED',
      async () => {
        // Cancelled while queued behind a long run.
        const blocker = await start({ datasetId, ...LONG_RUN });
        await waitForRun(server, blocker.id, ['RUNNING']);
        const run = await start({ datasetId: 'demo-iris', k: 3, seed: 4, publishOutcomes: false });
        dataOf(await server.graphql(CancelModelRunDocument, { id: run.id }), 'cancel');
        dataOf(await server.graphql(CancelModelRunDocument, { id: blocker.id }), 'cancel the blocker');
        return run;
      },
    ],
  ] as const) {
    it(`a run that has already ended (${ending}): exactly one message, its terminal state, then complete`, async () => {
      const run = await end();
      const final = await waitForRun(server, run.id);
      assert.equal(final.status, ending);
      client ??= await connectGraphqlWs(server.url);
      const { events, ending: how } = await untilServerEnds(client, ModelRunUpdatedDocument, { id: run.id });
      assert.equal(how, 'complete');
      assert.deepEqual(
        events.map((event) => dataOf(event, 'event').modelRunUpdated),
        [
          {
            id: run.id,
            status: ending,
            progress: { iteration: final.progress.iteration, maxIterations: final.progress.maxIterations, fraction: final.progress.fraction },
          },
        ],
      );
    });
  }

  it('an unknown id still fails at once with BAD_USER_INPUT, and nothing else is sent', async () => {
    client ??= await connectGraphqlWs(server.url);
    const { events, ending } = await untilServerEnds(client, ModelRunUpdatedDocument, { id: 'no-such-run' });
    assert.equal(ending, 'complete');
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0]!.data ?? null, null);
    assert.deepEqual(
      events[0]!.errors?.map((error) => [error.extensions?.code, error.message]),
      [['BAD_USER_INPUT', 'No model run has id "no-such-run"']],
    );
  });
});
