import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CancelModelRunDocument, RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { countAssignments, createTable, dataOf, pollUntil, registerInput, runState, startInput } from '../../support/runs';

/**
 * Two replicas on one PostgreSQL database. A run executing on one is cancelled through the other: the
 * database says CANCELLED at once, and the executing replica learns it at its next progress write and
 * stops there. A MINI_BATCH run has no worker job to cancel, so it must stop through its own passes.
 */
const TABLE = 'cancel_elsewhere';
const ROWS = 20_000;
const FEATURES = ['a', 'b'];

describe('a run cancelled through another replica', () => {
  let schema: PostgresqlSchema;
  let executing: TestServer;
  let other: TestServer | undefined;

  before(async () => {
    schema = await createPostgresqlSchema('gql_cancelx');
    executing = await startTestServer({ DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, DEMO_DATASETS: 'false' });
  });
  after(async () => {
    await other?.stop();
    await executing?.stop();
    await schema?.drop();
  });

  it('MINI_BATCH: the executing replica stops passing over the table, and nothing of the run is stored', async () => {
    await createTable(
      executing.app.datastore,
      {
        name: TABLE,
        columns: [{ name: 'id', type: 'integer', nullable: false }, ...FEATURES.map((name) => ({ name, type: 'double' as const }))],
        primaryKey: ['id'],
      },
      Array.from({ length: ROWS }, (_, id) => ({ id, a: id % 7, b: (id * 13) % 11 })),
    );
    const datasetId = dataOf(
      await executing.graphql(RegisterDatasetDocument, { input: registerInput({ name: TABLE, table: TABLE, keyColumns: ['id'], featureColumns: FEATURES }) }),
      'register',
    ).registerDataset.id;
    // 10,000 passes over 20,000 rows: minutes of work if nothing stops it.
    const runId = dataOf(
      await executing.graphql(StartModelRunDocument, {
        input: startInput({ datasetId, algorithm: 'MINI_BATCH', k: 3, seed: 2, batchSize: 8, maxIterations: 10_000, tolerance: 0, publishOutcomes: false }),
      }),
      'start',
    ).startModelRun.id;
    await pollUntil(
      () => runState(executing, runId),
      (state) => state.status === 'RUNNING' && state.progress.iteration >= 1,
      'a first pass of updates on the executing replica',
    );

    // The second replica starts once the run is claimed, so it cannot be the one executing it.
    other = await startTestServer({ DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, DEMO_DATASETS: 'false' });
    const cancelled = dataOf(await other.graphql(CancelModelRunDocument, { id: runId }), 'cancel').cancelModelRun;
    assert.equal(cancelled.status, 'CANCELLED');

    // The executing replica ends the run's execution (it logs that the run was cancelled, at info) within seconds.
    await pollUntil(
      () => Promise.resolve(executing.logs.filter((line) => line.includes(runId) && line.includes('model run cancelled'))),
      (lines) => lines.length > 0,
      'the executing replica stopping the run',
      20_000,
    );
    const ended = await runState(executing, runId);
    assert.equal(ended.status, 'CANCELLED');
    assert.ok(ended.progress.iteration < 10_000, `stopped after ${ended.progress.iteration} passes`);
    assert.equal(await countAssignments(executing.app.datastore, runId), 0);
  });
});
