import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import type { SqlValue } from '../../../src/datastore/types';
import { ModelRunResultDocument, RegisterDatasetDocument, RunAssignmentsDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { embeddedDatastore } from '../../support/databases';
import { createTable, dataOf, registerInput, startInput, waitForRun } from '../../support/runs';

const ROWS = 40;
/** f1 up to ±1e308, alternating in sign; f2 ordinary. A sum of two f1 values can overflow. */
const f1 = (id: number) => (id % 2 === 0 ? 1 : -1) * 1e308 * (1 - (id % 5) / 10);
const f2 = (id: number) => id % 7;

/** The mean of values near MAX_VALUE, summed in a unit of 2^1000 so the sum cannot overflow. */
function mean(values: readonly number[]): number {
  const unit = 2 ** 1000;
  return (values.reduce((sum, value) => sum + value / unit, 0) / values.length) * unit;
}

describe('STANDARD, MINMAX and NONE on a column holding values up to ±1e308 (SQLite)', () => {
  let server: TestServer;
  let datastore: Datastore;
  let datasetId: string;

  before(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-extreme-'));
    server = await startTestServer({ DATA_DIR: dataDir });
    datastore = embeddedDatastore(dataDir);
    const rows: Record<string, SqlValue>[] = Array.from({ length: ROWS }, (_, index) => ({ id: index + 1, f1: f1(index + 1), f2: f2(index + 1) }));
    await createTable(
      datastore,
      {
        name: 'extreme',
        columns: [
          { name: 'id', type: 'integer', nullable: false },
          { name: 'f1', type: 'double' },
          { name: 'f2', type: 'double' },
        ],
        primaryKey: ['id'],
      },
      rows,
    );
    datasetId = dataOf(
      await server.graphql(RegisterDatasetDocument, {
        input: registerInput({ name: 'extreme', table: 'extreme', keyColumns: ['id'], featureColumns: ['f1', 'f2'] }),
      }),
      'register',
    ).registerDataset.id;
  });
  after(async () => {
    await server?.stop();
    await datastore?.close();
  });

  const run = async (scaling: 'STANDARD' | 'MINMAX' | 'NONE') => {
    const started = dataOf(
      await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, k: 2, seed: 5, preparation: { missing: 'DROP', scaling } }) }),
      `start ${scaling}`,
    ).startModelRun;
    return waitForRun(server, started.id);
  };

  for (const scaling of ['STANDARD', 'MINMAX'] as const) {
    it(`${scaling} succeeds, and every centroid's original is finite and the mean of its cluster's rows`, async () => {
      const ended = await run(scaling);
      assert.equal(ended.status, 'SUCCEEDED', JSON.stringify(ended.error));
      const result = dataOf(await server.graphql(ModelRunResultDocument, { id: ended.id }), 'modelRun with centroids').modelRun!;
      const assignments = dataOf(await server.graphql(RunAssignmentsDocument, { id: ended.id, first: 500, after: null, cluster: null }), 'assignments')
        .modelRun!.assignments.edges;
      assert.equal(assignments.length, ROWS);
      for (const centroid of result.centroids!) {
        const members = assignments.filter((edge) => edge.node.cluster === centroid.cluster).map((edge) => Number(edge.node.entityKey));
        assert.ok(
          centroid.original.every((value) => Number.isFinite(value)),
          JSON.stringify(centroid),
        );
        const expected = [mean(members.map(f1)), mean(members.map(f2))];
        centroid.original.forEach((value, j) =>
          assert.ok(
            Math.abs(value - expected[j]!) <= 1e-9 * Math.max(1, Math.abs(expected[j]!)),
            `cluster ${centroid.cluster}, feature ${j}: ${value} vs ${expected[j]}`,
          ),
        );
      }
      // The column is not ignored: it separates the two signs.
      assert.ok(
        result.centroids!.some((centroid) => centroid.original[0]! > 1e307) && result.centroids!.some((centroid) => centroid.original[0]! < -1e307),
        JSON.stringify(result.centroids),
      );
    });
  }

  it('NONE fails with NON_FINITE_VALUE naming the column "f1" (its squares would overflow), and the run reads back without error', async () => {
    const ended = await run('NONE');
    assert.equal(ended.status, 'FAILED');
    assert.equal(ended.error?.code, 'NON_FINITE_VALUE');
    assert.match(ended.error?.message ?? '', /"f1"/);
    dataOf(await server.graphql(ModelRunResultDocument, { id: ended.id }), 'the failed run');
  });
});
