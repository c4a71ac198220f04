import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import {
  CancelModelRunDocument,
  DatasetNamesDocument,
  ModelRunReadProgressDocument,
  RegisterDatasetDocument,
  StartModelRunDocument,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { connectGraphqlWs, requestOverWs, untilServerEnds } from '../../support/graphql-ws';
import { createNoiseTable, dataOf, LONG_RUN, registerInput, runState, startInput, waitForRun } from '../../support/runs';

const TABLE = 'read_progress_rows';
const ROWS = 300_000;

/** progress.rowsRead and rowsPerSecond as a subscriber sees them while a run reads a table of 300k rows. */
describe('the read progress of a run', () => {
  let server: TestServer;
  let client: Client | undefined;
  let datasetId: string;
  let blockerDatasetId: string;

  before(async () => {
    // Small batches so the read is many batches long; one run at a time, so the run under test waits
    // QUEUED behind a blocker until its subscriber is in place.
    server = await startTestServer({ RUN_CONCURRENCY: '1', RUN_HEARTBEAT_MS: '600000', RUN_READ_BATCH_ROWS: '200' });
    const { datastore } = server.app;
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    await datastore.execute({
      sql: `CREATE TABLE ${q(TABLE)} (${q('id')} INTEGER PRIMARY KEY, ${q('x')} DOUBLE, ${q('y')} DOUBLE, ${q('z')} DOUBLE)`,
      parameters: [],
      kind: 'ddl',
    });
    // SQL alone: 300k rows in a second, where binding them would take far longer.
    await datastore.execute({
      sql:
        `INSERT INTO ${q(TABLE)} WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${ROWS}) ` +
        `SELECT n, (n * 7919) % 1000 / 10.0, (n * 104729) % 997 / 10.0, n % 13 FROM s`,
      parameters: [],
      kind: 'insert',
    });
    const registered = await server.graphql(RegisterDatasetDocument, {
      input: registerInput({ name: TABLE, table: TABLE, keyColumns: ['id'], featureColumns: ['x', 'y', 'z'] }),
    });
    datasetId = dataOf(registered, 'registerDataset').registerDataset.id;
    const features = await createNoiseTable(datastore, 'read_progress_blocker', 2_000, 3, 5);
    const blocker = await server.graphql(RegisterDatasetDocument, {
      input: registerInput({ name: 'read_progress_blocker', table: 'read_progress_blocker', keyColumns: ['id'], featureColumns: features }),
    });
    blockerDatasetId = dataOf(blocker, 'registerDataset').registerDataset.id;
  });
  after(async () => {
    await client?.dispose();
    await server?.stop();
  });

  const start = async (fields: Parameters<typeof startInput>[0]) =>
    dataOf(await server.graphql(StartModelRunDocument, { input: startInput(fields) }), 'start').startModelRun;

  it('while reading, rowsRead grows below the table’s rows with a positive rate; once read, rowsRead is the table’s 300,000 rows', async (t) => {
    const blocker = await start({ datasetId: blockerDatasetId, ...LONG_RUN });
    await waitForRun(server, blocker.id, ['RUNNING']);
    const run = await start({ datasetId, k: 3, seed: 4, publishOutcomes: false });
    assert.equal((await runState(server, run.id)).status, 'QUEUED');

    client = await connectGraphqlWs(server.url);
    const outcome = untilServerEnds(client, ModelRunReadProgressDocument, { id: run.id });
    await requestOverWs(client, DatasetNamesDocument, {});
    dataOf(await server.graphql(CancelModelRunDocument, { id: blocker.id }), 'cancel the blocker');
    const { events, ending } = await outcome;
    assert.equal(ending, 'complete');

    const states = events.map((event) => dataOf(event, 'event').modelRunUpdated);
    const seen = states.map((state) => `${state.status}:${state.progress.rowsRead}@${state.progress.rowsPerSecond?.toFixed(0)}`).join(' ');
    t.diagnostic(seen);
    assert.deepEqual([states[0]!.progress.rowsRead, states[0]!.progress.rowsPerSecond], [null, null], `QUEUED has read nothing: ${seen}`);
    const reading = states.filter((state) => state.status === 'RUNNING' && state.progress.rowsRead !== null && state.progress.rowsRead < ROWS);
    assert.ok(new Set(reading.map((state) => state.progress.rowsRead)).size >= 2, `at least two counts while reading: ${seen}`);
    for (const state of reading) {
      assert.ok(state.progress.rowsRead! > 0 && state.progress.rowsPerSecond! > 0, `a count and a rate: ${seen}`);
      assert.equal(state.progress.fraction, 0, `the fraction waits for the read: ${seen}`);
    }
    const counts = states.map((state) => state.progress.rowsRead ?? 0);
    for (let index = 1; index < counts.length; index++) assert.ok(counts[index]! >= counts[index - 1]!, `never back: ${seen}`);
    const last = states.at(-1)!;
    assert.equal(last.status, 'SUCCEEDED');
    assert.equal(last.progress.rowsRead, ROWS);
    assert.ok(last.progress.rowsPerSecond! > 0, seen);
  });
});
