import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/errors/app-error';
import type { DatasetRecord } from '../../../../src/modules/dataset/dataset.record';
import type { StartRunInput } from '../../../../src/modules/run/run-params';
import type { ModelRunRecord } from '../../../../src/modules/run/run.record';
import { RunService, type RunServiceDependencies } from '../../../../src/modules/run/run.service';

const DATASET: DatasetRecord = {
  id: 'dataset-1',
  name: 'readings',
  table: 'readings',
  keyColumns: ['id'],
  featureColumns: ['temp', 'wind', 'rain'],
  description: null,
  outcomeTable: null,
  createdAt: new Date('2024-01-01T00:00:00.000Z'),
  updatedAt: new Date('2024-01-01T00:00:00.000Z'),
};

interface Table {
  /** What featuresWithoutValue answers. */
  readonly empty?: string[];
  /** The rows to cluster; rowsUpTo answers at most its cap of them, as the database does. */
  readonly completeRows: number;
  readonly allRows: number;
}

/**
 * A RunService over stand-ins that record what start() asks of the dataset's table. profile() throws:
 * start must not scan the table. Everything start does not reach is left out.
 */
function serviceOver(table: Table) {
  const calls: { method: string; args: unknown[] }[] = [];
  const inserted: ModelRunRecord[] = [];
  const started: unknown[][] = [];
  const datasetTables = {
    featuresWithoutValue: (...args: unknown[]) => {
      calls.push({ method: 'featuresWithoutValue', args });
      return Promise.resolve(table.empty ?? []);
    },
    rowsUpTo: (name: string, columns: readonly string[], options: { completeOnly: boolean; cap: number }) => {
      calls.push({ method: 'rowsUpTo', args: [name, columns, options] });
      return Promise.resolve(Math.min(options.completeOnly ? table.completeRows : table.allRows, options.cap));
    },
    profile: () => Promise.reject(new Error('start() must not profile the whole table')),
  };
  const dependencies = {
    datasets: {
      require: () => Promise.resolve(DATASET),
      lock: () => Promise.resolve(true),
      refusalToRun: () => Promise.resolve(null),
    },
    // The run is written in a transaction that locks the dataset's row first.
    datastore: { transaction: (work: (transaction: object) => Promise<unknown>) => work({}) },
    datasetTables,
    runs: {
      findByIdempotencyKey: () => Promise.resolve(null),
      insert: (run: ModelRunRecord) => (inserted.push(run), Promise.resolve()),
      findByIds: (ids: string[]) => Promise.resolve(inserted.filter((run) => ids.includes(run.id))),
      countQueued: () => Promise.resolve(inserted.filter((run) => run.status === 'QUEUED').length),
    },
    claimer: { wake: () => undefined, freeSlots: 1 },
    queueLimit: 16,
    events: { on: () => undefined },
    updates: { publish: () => undefined },
    tracer: { started: (...args: unknown[]) => void started.push(args) },
  } as unknown as RunServiceDependencies;
  return { service: new RunService(dependencies), calls, inserted, started };
}

const input = (fields: Partial<StartRunInput>): StartRunInput => ({ datasetId: DATASET.id, seed: 1, ...fields });

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => assert.fail('expected startModelRun to be refused'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
  assert.equal(error.code, 'BAD_USER_INPUT');
  return error;
}

describe('RunService.start refuses bad data with bounded queries', () => {
  it('a feature column with no value is refused on datasetId, naming the first such column, before any row count or run', async () => {
    const { service, calls, inserted } = serviceOver({ empty: ['wind', 'rain'], completeRows: 0, allRows: 10 });
    const error = await refusal(service.start(input({ k: 2 })));
    assert.equal(error.details?.field, 'datasetId');
    assert.equal(error.message, 'Feature column "wind" has no values (every row is NULL or the table is empty)');
    assert.deepEqual(calls, [{ method: 'featuresWithoutValue', args: ['readings', DATASET.featureColumns] }]);
    assert.deepEqual(inserted, []);
  });

  it('k above the complete rows (missing: DROP) is refused with their exact number, counted only up to k', async () => {
    const { service, calls, inserted } = serviceOver({ completeRows: 5, allRows: 9 });
    const error = await refusal(service.start(input({ k: 6 })));
    assert.equal(error.details?.field, 'k');
    assert.equal(error.message, 'k (6) is larger than the 5 rows to cluster');
    assert.deepEqual(calls.at(-1), { method: 'rowsUpTo', args: ['readings', DATASET.featureColumns, { completeOnly: true, cap: 6 }] });
    assert.deepEqual(inserted, []);
  });

  it('with missing: MEAN every row counts: k 9 on 9 rows (5 complete) is accepted, k 10 is refused naming 9 rows', async () => {
    const accepted = serviceOver({ completeRows: 5, allRows: 9 });
    await accepted.service.start(input({ k: 9, preparation: { missing: 'MEAN' } }));
    assert.deepEqual(accepted.calls.at(-1), { method: 'rowsUpTo', args: ['readings', DATASET.featureColumns, { completeOnly: false, cap: 9 }] });
    assert.equal(accepted.inserted.length, 1);

    const refused = serviceOver({ completeRows: 5, allRows: 9 });
    const error = await refusal(refused.service.start(input({ k: 10, preparation: { missing: 'MEAN' } })));
    assert.equal(error.message, 'k (10) is larger than the 9 rows to cluster');
  });

  it('kRange.min not below the rows is refused with their exact number, counted only up to kRange.min + 1', async () => {
    const { service, calls } = serviceOver({ completeRows: 4, allRows: 4 });
    const error = await refusal(service.start(input({ kRange: { min: 4, max: 6 } })));
    assert.equal(error.details?.field, 'kRange');
    assert.equal(error.message, 'kRange.min (4) must be below the 4 rows to cluster');
    assert.deepEqual(calls.at(-1)!.args[2], { completeOnly: true, cap: 5 });
  });

  it('a table with far more rows than the cap is accepted: the run is stored QUEUED and traced as started with the run and dataset only', async () => {
    const { service, calls, inserted, started } = serviceOver({ completeRows: 1_000_000, allRows: 1_000_000 });
    const run = await service.start(input({ k: 3 }));
    assert.equal(run.status, 'QUEUED');
    assert.deepEqual(
      calls.map((call) => call.method),
      ['featuresWithoutValue', 'rowsUpTo'],
    );
    assert.deepEqual(calls[1]!.args[2], { completeOnly: true, cap: 3 });
    assert.deepEqual(
      inserted.map((stored) => stored.id),
      [run.id],
    );
    assert.deepEqual(started, [[run, DATASET]]);
  });
});
