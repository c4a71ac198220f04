import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/errors/app-error';
import { assertSameRequest } from '../../../../src/modules/run/idempotency';
import type { StartRunInput } from '../../../../src/modules/run/run-params';
import type { ModelRunRecord, RunParams } from '../../../../src/modules/run/run.record';
import { runRecord } from '../../../support/runs';

const runWith = (params: Partial<RunParams>): ModelRunRecord => {
  const run = runRecord('d');
  return { ...run, params: { ...run.params, ...params } };
};

const differencesOf = (call: () => unknown): unknown => {
  try {
    call();
    return [];
  } catch (error) {
    assert.ok(error instanceof AppError && error.code === 'IDEMPOTENCY_KEY_REUSED', String(error));
    return error.details?.differences;
  }
};

describe('assertSameRequest (an idempotency key replayed)', () => {
  const request = (fields: Partial<StartRunInput>): StartRunInput => ({ datasetId: 'd', k: 2, idempotencyKey: 'key', ...fields });

  it('a run that drew its seed: a replay without a seed is the same request, any given seed is not', () => {
    const run = runWith({ seed: 77, seedGiven: false });
    assert.deepEqual(
      differencesOf(() => assertSameRequest(run, request({}))),
      [],
    );
    assert.deepEqual(
      differencesOf(() => assertSameRequest(run, request({ seed: 77 }))),
      ['seed'],
    );
  });

  it('a run given its seed: only that seed is the same request', () => {
    const run = runWith({ seed: 77, seedGiven: true });
    assert.deepEqual(
      differencesOf(() => assertSameRequest(run, request({ seed: 77 }))),
      [],
    );
    assert.deepEqual(
      differencesOf(() => assertSameRequest(run, request({}))),
      ['seed'],
    );
    assert.deepEqual(
      differencesOf(() => assertSameRequest(run, request({ seed: 78 }))),
      ['seed'],
    );
  });

  it('a run recorded before seedGiven was kept: no seed or its own seed is the same request, another seed is not', () => {
    const run = runWith({ seed: 77 });
    assert.equal(run.params.seedGiven, undefined);
    assert.deepEqual(
      differencesOf(() => assertSameRequest(run, request({}))),
      [],
    );
    assert.deepEqual(
      differencesOf(() => assertSameRequest(run, request({ seed: 77 }))),
      [],
    );
    assert.deepEqual(
      differencesOf(() => assertSameRequest(run, request({ seed: 78 }))),
      ['seed'],
    );
  });

  it('defaults given explicitly equal defaults left out; the error names the run and the field', () => {
    const run = runWith({ seed: 1, seedGiven: true });
    assert.equal(
      assertSameRequest(
        run,
        request({
          seed: 1,
          nInit: 1,
          maxIterations: 300,
          tolerance: 1e-6,
          initialization: 'KMEANS_PLUS_PLUS',
          preparation: { missing: 'DROP', scaling: 'STANDARD' },
          publishOutcomes: true,
        }),
      ),
      run,
    );
    assert.throws(
      () => assertSameRequest(run, request({ seed: 1, k: 3 })),
      (error: unknown) => {
        assert.ok(error instanceof AppError);
        assert.equal(error.message, `idempotencyKey "key" already started run ${run.id} with other parameters (k)`);
        assert.deepEqual(error.details, { field: 'idempotencyKey', runId: run.id, differences: ['k'] });
        return true;
      },
    );
  });
});
