import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FormattedExecutionResult } from 'graphql';
import { RunRepository } from '../../../src/modules/run/run.repository';
import {
  CancelModelRunDocument,
  DatasetNamesDocument,
  DeleteDatasetDocument,
  ModelRunsPageDocument,
  PublishRunOutcomesDocument,
  RegisterDatasetDocument,
  StartModelRunDocument,
  UpdateDatasetDocument,
  type StartModelRunInput,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import {
  allRunIds,
  assertGraphqlError,
  createTable,
  dataOf,
  registerInput,
  runRecord,
  snapshotOutcomeTable,
  startInput,
  updateInput,
  waitForRun,
} from '../../support/runs';

/**
 * Every refusal is BAD_USER_INPUT (or CONFLICT) with a message naming the problem, and nothing is
 * written: no run row, no dataset row, no outcome row. On the embedded default.
 */
describe('bad input to the run and dataset mutations', () => {
  let server: TestServer;
  const ids: Record<'five' | 'empty' | 'allNull' | 'someNull', string> = { five: '', empty: '', allNull: '', someNull: '' };

  /** What the mutations could write: every run, every dataset, the whole outcome table. */
  const state = async () => ({
    runs: (await allRunIds(server)).sort(),
    datasets: dataOf(await server.graphql(DatasetNamesDocument), 'datasets').datasets,
    outcomes: await snapshotOutcomeTable(server.app.datastore),
  });
  /** Sends the request, asserts the error and that nothing was written; returns the error. */
  const refused = async (send: () => Promise<FormattedExecutionResult<unknown>>, code: string, message: RegExp, field?: string) => {
    const before = await state();
    const error = assertGraphqlError(await send(), code, message);
    if (field !== undefined) assert.equal(error.extensions?.field, field);
    assert.deepEqual(await state(), before, 'nothing written');
    return error;
  };
  const start = (fields: Partial<StartModelRunInput>) => () =>
    server.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', ...fields }) });
  const register = (fields: Partial<Parameters<typeof registerInput>[0]>) => () =>
    server.graphql(RegisterDatasetDocument, {
      input: registerInput({ name: 'flowers', table: 'iris', keyColumns: ['sample_id'], featureColumns: ['sepal_length'], ...fields }),
    });

  before(async () => {
    server = await startTestServer({ RUN_HEARTBEAT_MS: '600000' });
    const datastore = server.app.datastore;
    const columns = [
      { name: 'id', type: 'integer' as const, nullable: false },
      { name: 'a', type: 'double' as const },
      { name: 'b', type: 'double' as const },
    ];
    await createTable(
      datastore,
      { name: 'five_rows', columns, primaryKey: ['id'] },
      [1, 2, 3, 4, 5].map((id) => ({ id, a: id, b: id * 2 })),
    );
    await createTable(datastore, { name: 'no_rows', columns, primaryKey: ['id'] }, []);
    await createTable(
      datastore,
      { name: 'null_feature', columns, primaryKey: ['id'] },
      [1, 2, 3, 4].map((id) => ({ id, a: id, b: null })),
    );
    // 300 rows, b NULL on every eighth (38 of them): 262 complete rows.
    const someNull = Array.from({ length: 300 }, (_, index) => ({ id: index + 1, a: index % 17, b: index % 8 === 0 ? null : index % 11 }));
    await createTable(datastore, { name: 'some_null', columns, primaryKey: ['id'] }, someNull);
    for (const [key, table] of [
      ['five', 'five_rows'],
      ['empty', 'no_rows'],
      ['allNull', 'null_feature'],
      ['someNull', 'some_null'],
    ] as const) {
      const result = await server.graphql(RegisterDatasetDocument, {
        input: registerInput({ name: table, table, keyColumns: ['id'], featureColumns: ['a', 'b'] }),
      });
      ids[key] = dataOf(result, `register ${table}`).registerDataset.id;
    }
    // One finished run, so the outcome table has rows that must stay as they are.
    const run = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 3, seed: 5 }) }), 'iris run').startModelRun;
    assert.equal((await waitForRun(server, run.id)).status, 'SUCCEEDED');
    assert.equal((await snapshotOutcomeTable(server.app.datastore)).length, 150);
  });
  after(async () => {
    await server?.stop();
  });

  describe('startModelRun', () => {
    it('k: 1 (below 2) is refused, naming k', async () => {
      await refused(start({ k: 1 }), 'BAD_USER_INPUT', /k must be an integer from 2 to 1000, got 1/, 'k');
    });

    it('k: 6 on a 5-row table is refused: k is larger than the rows to cluster', async () => {
      await refused(start({ datasetId: ids.five, k: 6 }), 'BAD_USER_INPUT', /k \(6\) is larger than the 5 rows/, 'k');
    });

    it('k: 263 on a table of 262 complete rows (300 in all) is refused with the exact number of complete rows', async () => {
      await refused(start({ datasetId: ids.someNull, k: 263 }), 'BAD_USER_INPUT', /^k \(263\) is larger than the 262 rows to cluster$/, 'k');
    });

    it('k: 301 with missing: MEAN is refused with the 300 rows of the table: no row is dropped', async () => {
      await refused(
        start({ datasetId: ids.someNull, k: 301, preparation: { missing: 'MEAN', scaling: 'STANDARD' } }),
        'BAD_USER_INPUT',
        /^k \(301\) is larger than the 300 rows to cluster$/,
        'k',
      );
    });

    it('a kRange whose min is not below the 5 rows is refused, naming them', async () => {
      await refused(
        start({ datasetId: ids.five, kRange: { min: 5, max: 6 } }),
        'BAD_USER_INPUT',
        /^kRange\.min \(5\) must be below the 5 rows to cluster$/,
        'kRange',
      );
    });

    it('k: 3 on the table of 262 complete rows (far more than the 3 counted) is accepted, and the run clusters all 262', async () => {
      const run = dataOf(
        await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: ids.someNull, k: 3, seed: 3 }) }),
        'start on some_null',
      ).startModelRun;
      assert.equal((await waitForRun(server, run.id)).status, 'SUCCEEDED');
      const [stored] = await new RunRepository(server.app.datastore).findByIds([run.id]);
      assert.equal(
        stored!.clusterSizes!.reduce((sum, size) => sum + size, 0),
        262,
      );
    });

    it('both k and kRange are refused: give exactly one', async () => {
      await refused(start({ k: 3, kRange: { min: 2, max: 4 } }), 'BAD_USER_INPUT', /exactly one of k or kRange/);
    });

    it('neither k nor kRange is refused: give exactly one', async () => {
      await refused(start({}), 'BAD_USER_INPUT', /exactly one of k or kRange/);
    });

    it('a kRange of 13 values (wider than 12) is refused', async () => {
      await refused(start({ kRange: { min: 2, max: 14 } }), 'BAD_USER_INPUT', /kRange may span at most 12 values of k, got 13/, 'kRange');
    });

    it('a kRange whose max is below its min is refused', async () => {
      await refused(start({ kRange: { min: 5, max: 3 } }), 'BAD_USER_INPUT', /kRange\.max \(3\) is below kRange\.min \(5\)/, 'kRange');
    });

    it('nInit 0 and nInit 51 are refused (1 to 50)', async () => {
      await refused(start({ k: 3, nInit: 0 }), 'BAD_USER_INPUT', /nInit must be an integer from 1 to 50, got 0/, 'nInit');
      await refused(start({ k: 3, nInit: 51 }), 'BAD_USER_INPUT', /nInit must be an integer from 1 to 50, got 51/, 'nInit');
    });

    it('maxIterations 0 is refused (1 to 10,000)', async () => {
      await refused(start({ k: 3, maxIterations: 0 }), 'BAD_USER_INPUT', /maxIterations must be an integer from 1 to 10000, got 0/, 'maxIterations');
    });

    it('a negative tolerance is refused (0 is accepted)', async () => {
      await refused(start({ k: 3, tolerance: -0.5 }), 'BAD_USER_INPUT', /tolerance must be a finite number ≥ 0, got -0\.5/, 'tolerance');
      await refused(start({ k: 3, tolerance: -1e-300 }), 'BAD_USER_INPUT', /tolerance must be a finite number ≥ 0, got -1e-300/, 'tolerance');
    });

    it('a negative seed is refused', async () => {
      await refused(start({ k: 3, seed: -1 }), 'BAD_USER_INPUT', /seed must be an integer from 0 to 2147483647, got -1/, 'seed');
    });

    it('an unknown datasetId is refused, naming the id', async () => {
      await refused(start({ datasetId: 'no-such-dataset', k: 3 }), 'BAD_USER_INPUT', /No dataset has id "no-such-dataset"/, 'datasetId');
    });

    it('a dataset whose table is empty is refused before a run exists', async () => {
      await refused(start({ datasetId: ids.empty, k: 2 }), 'BAD_USER_INPUT', /has no values \(every row is NULL or the table is empty\)/, 'datasetId');
    });

    it('a dataset with a feature column that is entirely NULL is refused, naming the column', async () => {
      await refused(start({ datasetId: ids.allNull, k: 2 }), 'BAD_USER_INPUT', /Feature column "b" has no values/, 'datasetId');
    });

    it('an idempotencyKey longer than 128 characters is refused', async () => {
      await refused(start({ k: 3, idempotencyKey: 'x'.repeat(129) }), 'BAD_USER_INPUT', /idempotencyKey must have 1 to 128 characters/, 'idempotencyKey');
    });
  });

  describe('registerDataset', () => {
    it('an unknown table is refused, naming it', async () => {
      await refused(register({ table: 'no_such_table' }), 'BAD_USER_INPUT', /Table "no_such_table" does not exist/, 'table');
    });

    it('an unknown column is refused, naming the table and the column', async () => {
      await refused(
        register({ featureColumns: ['sepal_length', 'stem_length'] }),
        'BAD_USER_INPUT',
        /Table "iris" has no column "stem_length"/,
        'featureColumns',
      );
    });

    it('a non-numeric feature column is refused: k-means needs numbers', async () => {
      await refused(register({ featureColumns: ['species'] }), 'BAD_USER_INPUT', /Feature column "species" is .+, not numeric/, 'featureColumns');
    });

    it('an injection attempt as the table name is refused as an invalid identifier, and iris is intact', async () => {
      await refused(register({ table: 'iris; DROP TABLE iris' }), 'BAD_USER_INPUT', /"iris; DROP TABLE iris" is not a valid identifier/, 'table');
      const names = dataOf(await server.graphql(DatasetNamesDocument), 'datasets').datasets;
      assert.equal(names.find((dataset) => dataset.name === 'iris')?.rowCount, 150);
    });

    it('a name another dataset has is refused', async () => {
      await refused(register({ name: 'iris' }), 'BAD_USER_INPUT', /A dataset named "iris" already exists/, 'name');
    });
  });

  describe('updateDataset and deleteDataset', () => {
    it('updateDataset of an unknown id is refused, naming the id', async () => {
      await refused(
        () => server.graphql(UpdateDatasetDocument, { id: 'nope', input: updateInput({ description: 'x' }) }),
        'BAD_USER_INPUT',
        /No dataset has id "nope"/,
      );
    });

    it('deleteDataset of an unknown id is refused, naming the id', async () => {
      await refused(() => server.graphql(DeleteDatasetDocument, { id: 'nope' }), 'BAD_USER_INPUT', /No dataset has id "nope"/);
    });

    it('deleteDataset while one of its runs is running is refused with CONFLICT, and the dataset and run stay', async () => {
      const active = runRecord(ids.five, { status: 'RUNNING', startedAt: new Date(), owner: 'another-live-server' });
      await new RunRepository(server.app.datastore).insert(active);
      try {
        await refused(
          () => server.graphql(DeleteDatasetDocument, { id: ids.five }),
          'CONFLICT',
          /Dataset "five_rows" has 1 queued or running run\(s\); cancel them first/,
        );
        assert.ok((await allRunIds(server)).includes(active.id));
      } finally {
        dataOf(await server.graphql(CancelModelRunDocument, { id: active.id }), 'cancel the inserted run');
      }
    });
  });

  describe('cancelModelRun and publishRunOutcomes', () => {
    it('cancelModelRun of an unknown run is refused, naming the id', async () => {
      await refused(() => server.graphql(CancelModelRunDocument, { id: 'no-run' }), 'BAD_USER_INPUT', /No model run has id "no-run"/);
    });

    it('publishRunOutcomes of an unknown run is refused, naming the id', async () => {
      await refused(() => server.graphql(PublishRunOutcomesDocument, { runId: 'no-run' }), 'BAD_USER_INPUT', /No model run has id "no-run"/);
    });

    it('publishRunOutcomes of a FAILED run and of a CANCELLED run is refused: only a SUCCEEDED run’s outcomes can be published', async () => {
      const repository = new RunRepository(server.app.datastore);
      const failed = runRecord('demo-iris', { status: 'FAILED', finishedAt: new Date(), error: { code: 'EMPTY_INPUT', message: 'no rows' } });
      const cancelled = runRecord('demo-iris', { status: 'CANCELLED', finishedAt: new Date() });
      await repository.insert(failed);
      await repository.insert(cancelled);
      await refused(
        () => server.graphql(PublishRunOutcomesDocument, { runId: failed.id }),
        'BAD_USER_INPUT',
        /is FAILED; only a SUCCEEDED run's outcomes can be published/,
        'runId',
      );
      await refused(
        () => server.graphql(PublishRunOutcomesDocument, { runId: cancelled.id }),
        'BAD_USER_INPUT',
        /is CANCELLED; only a SUCCEEDED run's outcomes can be published/,
        'runId',
      );
    });
  });

  describe('paging', () => {
    it('first: 501 is refused (at most 500 a page)', async () => {
      await refused(
        () => server.graphql(ModelRunsPageDocument, { first: 501, after: null, filter: null, orderBy: null }),
        'BAD_USER_INPUT',
        /first must be an integer from 0 to 500, got 501/,
        'first',
      );
    });

    it('a cursor this server did not give out is refused', async () => {
      for (const cursor of ['not-a-cursor', Buffer.from('offset:-1').toString('base64url'), Buffer.from('offset:1e3').toString('base64url')]) {
        await refused(
          () => server.graphql(ModelRunsPageDocument, { first: 2, after: cursor, filter: null, orderBy: null }),
          'BAD_USER_INPUT',
          /is not a cursor this server gave out/,
          'after',
        );
      }
    });
  });
});
