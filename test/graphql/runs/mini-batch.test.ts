import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { SeededRandom } from '../../../src/shared/seeded-random';
import { ModelInputError } from '../../../src/modules/modeling/model';
import { AssignmentRepository } from '../../../src/modules/run/assignment.repository';
import { runMiniBatch } from '../../../src/modules/run/mini-batch-run';
import type { RunParams } from '../../../src/modules/run/run.record';
import {
  CancelModelRunDocument,
  ModelRunAlgorithmDocument,
  ModelRunResultDocument,
  RegisterDatasetDocument,
  StartModelRunDocument,
  type StartModelRunInput,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import {
  assertGraphqlError,
  countAssignments,
  createTable,
  dataOf,
  pollUntil,
  registerInput,
  runRecord,
  runState,
  startInput,
  waitForRun,
} from '../../support/runs';

const TABLE = 'mini_batch_blobs';
const SPARSE_TABLE = 'mini_batch_sparse';
const ROWS = 30_000;
const FEATURES = ['a', 'b', 'c', 'd'];
const CENTRES = [
  [20, 0, 0, 0],
  [0, 20, 0, 0],
  [0, 0, 20, 0],
  [0, 0, 0, 20],
  [-20, -20, -20, -20],
];

/** Five blobs of standard deviation 1, twenty apart: every reasonable clustering finds them. */
async function createBlobs(datastore: Datastore): Promise<void> {
  const random = new SeededRandom(16);
  const rows = Array.from({ length: ROWS }, (_, id) => {
    const centre = CENTRES[random.integer(CENTRES.length)]!;
    return { id, ...Object.fromEntries(FEATURES.map((name, j) => [name, centre[j]! + random.normal()])) };
  });
  await createTable(
    datastore,
    {
      name: TABLE,
      columns: [{ name: 'id', type: 'integer', nullable: false }, ...FEATURES.map((name) => ({ name, type: 'double' as const }))],
      primaryKey: ['id'],
    },
    rows,
  );
}

/** A run's stored assignments, every one, in key order (read from their chunks). */
async function assignmentsOf(datastore: Datastore, runId: string): Promise<{ key: string; cluster: number; distance: number }[]> {
  const rows = await new AssignmentRepository(datastore).page(runId, null, { limit: 1_000_000, after: null });
  return rows.map((row) => ({ key: row.entityKey, cluster: row.cluster, distance: row.distance }));
}

describe('algorithm MINI_BATCH', () => {
  let server: TestServer;
  let datasetId: string;

  before(async () => {
    server = await startTestServer({ RUN_READ_BATCH_ROWS: '1000' });
    await createBlobs(server.app.datastore);
    datasetId = dataOf(
      await server.graphql(RegisterDatasetDocument, { input: registerInput({ name: TABLE, table: TABLE, keyColumns: ['id'], featureColumns: FEATURES }) }),
      'register',
    ).registerDataset.id;
  });
  after(async () => {
    await server?.stop();
  });

  const run = async (fields: Partial<StartModelRunInput>) => {
    const started = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, publishOutcomes: false, ...fields }) }), 'start');
    const ended = await waitForRun(server, started.startModelRun.id);
    assert.equal(ended.status, 'SUCCEEDED', JSON.stringify(ended.error));
    return dataOf(await server.graphql(ModelRunResultDocument, { id: ended.id }), 'result').modelRun!;
  };

  it('one seed twice: the same centroids, inertia, passes and every row’s cluster and distance', async () => {
    const first = await run({ algorithm: 'MINI_BATCH', k: 5, seed: 11, batchSize: 256 });
    const second = await run({ algorithm: 'MINI_BATCH', k: 5, seed: 11, batchSize: 256 });
    assert.deepEqual(second.centroids, first.centroids);
    assert.deepEqual(
      [second.metrics!.inertia, second.metrics!.iterations, second.clusterSizes],
      [first.metrics!.inertia, first.metrics!.iterations, first.clusterSizes],
    );
    const firstRows = await assignmentsOf(server.app.datastore, first.id);
    assert.equal(firstRows.length, ROWS);
    assert.deepEqual(await assignmentsOf(server.app.datastore, second.id), firstRows);
    const params = dataOf(await server.graphql(ModelRunAlgorithmDocument, { id: first.id }), 'params').modelRun!.params;
    assert.deepEqual(params, { algorithm: 'MINI_BATCH', batchSize: 256, nInit: 1, maxIterations: 10 });
  });

  it('on well-separated blobs: inertia within 0.5% of LLOYD’s, and the same partition of the rows (clusters relabelled)', async () => {
    const miniBatch = await run({ algorithm: 'MINI_BATCH', k: 5, seed: 3 });
    const lloyd = await run({ k: 5, seed: 3 });
    const ratio = miniBatch.metrics!.inertia / lloyd.metrics!.inertia;
    assert.ok(ratio >= 1 - 1e-9 && ratio <= 1.005, `MINI_BATCH ${miniBatch.metrics!.inertia} against LLOYD ${lloyd.metrics!.inertia}: ${ratio}`);
    const ours = await assignmentsOf(server.app.datastore, miniBatch.id);
    const theirs = await assignmentsOf(server.app.datastore, lloyd.id);
    assert.deepEqual(
      ours.map((row) => row.key),
      theirs.map((row) => row.key),
    );
    const relabel = new Map<number, number>();
    ours.forEach((row, index) => {
      const other = theirs[index]!.cluster;
      if (!relabel.has(row.cluster)) relabel.set(row.cluster, other);
      assert.equal(relabel.get(row.cluster), other, `row ${row.key}: cluster ${row.cluster} against LLOYD's ${other}`);
    });
    assert.equal(new Set(relabel.values()).size, 5);
    const lloydParams = dataOf(await server.graphql(ModelRunAlgorithmDocument, { id: lloyd.id }), 'params').modelRun!.params;
    assert.deepEqual(lloydParams, { algorithm: 'LLOYD', batchSize: null, nInit: 1, maxIterations: 300 });
  });

  it('a cancel during the passes ends the run CANCELLED with no assignment stored', async () => {
    const started = dataOf(
      await server.graphql(StartModelRunDocument, {
        input: startInput({ datasetId, algorithm: 'MINI_BATCH', k: 5, seed: 5, batchSize: 8, maxIterations: 10_000, tolerance: 0, publishOutcomes: false }),
      }),
      'start',
    ).startModelRun;
    await pollUntil(
      () => runState(server, started.id),
      (state) => state.progress.iteration >= 1,
      'a first pass of updates',
    );
    dataOf(await server.graphql(CancelModelRunDocument, { id: started.id }), 'cancel');
    const ended = await waitForRun(server, started.id);
    assert.equal(ended.status, 'CANCELLED');
    assert.ok(ended.progress.iteration < 10_000, `stopped after ${ended.progress.iteration} passes`);
    assert.equal(await countAssignments(server.app.datastore, started.id), 0);
  });

  // The start refuses k above the rows to cluster (BAD_USER_INPUT); the run checks again when it reads,
  // since the table can change between the start and the read. Here the read finds fewer rows.
  it('k above the rows the read finds (the table shrank after the start): runMiniBatch refuses it with INVALID_K', async () => {
    await createTable(
      server.app.datastore,
      {
        name: SPARSE_TABLE,
        columns: [{ name: 'id', type: 'integer', nullable: false }, ...FEATURES.map((name) => ({ name, type: 'double' as const }))],
        primaryKey: ['id'],
      },
      // 12 rows, 8 of them with a NULL: 4 are left to cluster, fewer than k = 5.
      Array.from({ length: 12 }, (_, id) => ({ id, a: id < 8 ? null : id, b: id, c: -id, d: id * 2 })),
    );
    for (const initialization of ['KMEANS_PLUS_PLUS', 'RANDOM'] as const) {
      const params: RunParams = {
        ...runRecord(datasetId).params,
        ...{ table: SPARSE_TABLE, keyColumns: ['id'], featureColumns: FEATURES, algorithm: 'MINI_BATCH', batchSize: 4, k: 5, seed: 1, initialization },
      };
      const { datastore } = server.app;
      await assert.rejects(
        runMiniBatch(datastore, datastore.dialect, params, 1_000, { shouldCancel: () => false }),
        (error: unknown) => error instanceof ModelInputError && error.reason === 'INVALID_K' && error.message.includes('number of rows (4), got 5'),
        initialization,
      );
    }
  });

  const refused: [string, Partial<StartModelRunInput>, string, RegExp][] = [
    ['batchSize 0', { algorithm: 'MINI_BATCH', k: 3, batchSize: 0 }, 'batchSize', /batchSize must be an integer from 1 to 1000000, got 0/],
    ['batchSize above 1,000,000', { algorithm: 'MINI_BATCH', k: 3, batchSize: 1_000_001 }, 'batchSize', /from 1 to 1000000/],
    ['batchSize without MINI_BATCH', { k: 3, batchSize: 100 }, 'batchSize', /applies to algorithm MINI_BATCH only/],
    // The dataset has 4 feature columns: 250,001 rows a batch hold 1,000,004 values.
    [
      'batchSize × 4 feature columns above 1,000,000 values',
      { algorithm: 'MINI_BATCH', k: 3, batchSize: 250_001 },
      'batchSize',
      /at most 1,000,000 .*: 250001 × 4 columns is 1,000,004/,
    ],
    ['a kRange', { algorithm: 'MINI_BATCH', kRange: { min: 2, max: 4 } }, 'kRange', /takes k, not kRange/],
    ['nInit 3', { algorithm: 'MINI_BATCH', k: 3, nInit: 3 }, 'nInit', /one restart \(nInit 1\), got 3/],
  ];
  for (const [what, fields, field, message] of refused) {
    it(`${what}: BAD_USER_INPUT naming ${field}, and no run is queued`, async () => {
      const before = await server.app.datastore.query({ sql: 'SELECT COUNT(*) AS n FROM ai_model_run', parameters: [], kind: 'select' });
      const error = assertGraphqlError(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...fields }) }), 'BAD_USER_INPUT', message);
      assert.equal(error.extensions?.field, field);
      const afterwards = await server.app.datastore.query({ sql: 'SELECT COUNT(*) AS n FROM ai_model_run', parameters: [], kind: 'select' });
      assert.equal(Number(afterwards[0]!.n), Number(before[0]!.n));
    });
  }
});
