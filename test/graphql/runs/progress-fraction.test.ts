import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { CancelModelRunDocument, DatasetNamesDocument, ModelRunUpdatedDocument, RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { connectGraphqlWs, requestOverWs, untilServerEnds } from '../../support/graphql-ws';
import { createNoiseTable, dataOf, LONG_RUN, registerInput, runState, startInput, waitForRun } from '../../support/runs';

/** progress.fraction as a subscriber sees it: the work done, not the iterations spent against their budget. */
describe('the progress fraction of a run with a k range', () => {
  let server: TestServer;
  let client: Client | undefined;
  let datasetId: string;

  before(async () => {
    // One run at a time, so the run under test waits QUEUED behind a blocker until its subscriber is in place.
    server = await startTestServer({ RUN_CONCURRENCY: '1', RUN_HEARTBEAT_MS: '600000' });
    const features = await createNoiseTable(server.app.datastore, 'progress_fraction_noise', 20_000, 6, 31);
    const result = await server.graphql(RegisterDatasetDocument, {
      input: registerInput({ name: 'progress_fraction_noise', table: 'progress_fraction_noise', keyColumns: ['id'], featureColumns: features }),
    });
    datasetId = dataOf(result, 'registerDataset').registerDataset.id;
  });
  after(async () => {
    await client?.dispose();
    await server?.stop();
  });

  const start = async (fields: Parameters<typeof startInput>[0]) =>
    dataOf(await server.graphql(StartModelRunDocument, { input: startInput(fields) }), 'start').startModelRun;

  it('k 2..6 × 2 restarts: from 0 to 1, never back, through the middle, in steps below 0.25, though restarts converge far within maxIterations', async (t) => {
    const blocker = await start({ datasetId, ...LONG_RUN });
    await waitForRun(server, blocker.id, ['RUNNING']);
    const run = await start({ datasetId, kRange: { min: 2, max: 6 }, nInit: 2, maxIterations: 300, seed: 8, publishOutcomes: false });
    assert.equal((await runState(server, run.id)).status, 'QUEUED');

    client = await connectGraphqlWs(server.url);
    const outcome = untilServerEnds(client, ModelRunUpdatedDocument, { id: run.id });
    // A round trip on the same socket after the subscribe message: the server has taken the subscription.
    await requestOverWs(client, DatasetNamesDocument, {});
    dataOf(await server.graphql(CancelModelRunDocument, { id: blocker.id }), 'cancel the blocker');
    const { events, ending } = await outcome;
    assert.equal(ending, 'complete');

    const states = events.map((event) => dataOf(event, 'event').modelRunUpdated);
    const fractions = states.map((state) => state.progress.fraction);
    const seen = `${states.map((state) => `${state.status}:${state.progress.fraction.toFixed(3)}@${state.progress.iteration}`).join(' ')}`;
    t.diagnostic(seen);
    assert.equal(states[0]!.status, 'QUEUED');
    assert.equal(fractions[0], 0, seen);
    assert.equal(states.at(-1)!.status, 'SUCCEEDED');
    assert.equal(fractions.at(-1), 1, seen);
    for (let index = 1; index < fractions.length; index++) {
      assert.ok(fractions[index]! >= fractions[index - 1]!, `never back: ${seen}`);
      assert.ok(fractions[index]! - fractions[index - 1]! < 0.25, `no step of a quarter or more: ${seen}`);
    }
    assert.ok(
      fractions.some((fraction) => fraction >= 0.3 && fraction <= 0.7),
      `through the middle: ${seen}`,
    );
    // What the old fraction (iterations / budget) could not tell: the restarts used a small part of their budget.
    const final = await runState(server, run.id);
    assert.ok(final.progress.iteration < final.progress.maxIterations / 2, `iterations ${final.progress.iteration} of ${final.progress.maxIterations}`);
  });
});
