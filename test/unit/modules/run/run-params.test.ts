import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/errors/app-error';
import type { DatasetRecord } from '../../../../src/modules/dataset/dataset.record';
import { checkAgainstRows, MAX_K, resolveRunParams, rowsNeeded, RUN_DEFAULTS, type StartRunInput } from '../../../../src/modules/run/run-params';
import type { RunParams } from '../../../../src/modules/run/run.record';

const DATASET: DatasetRecord = {
  id: 'ds-1',
  name: 'iris',
  table: 'iris_measurements',
  keyColumns: ['plant_id', 'measured_on'],
  featureColumns: ['sepal_length', 'sepal_width', 'petal_length'],
  description: null,
  outcomeTable: null,
  createdAt: new Date('2024-01-01T00:00:00Z'),
  updatedAt: new Date('2024-01-01T00:00:00Z'),
};

const MAX_SEED = 2 ** 31 - 1;

function resolve(overrides: Partial<StartRunInput>): RunParams {
  return resolveRunParams({ datasetId: DATASET.id, k: 3, ...overrides }, DATASET);
}

/** Asserts a BAD_USER_INPUT AppError whose details name `field`. */
function refusedFor(field: string) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, 'BAD_USER_INPUT');
    assert.equal(error.details?.field, field);
    return true;
  };
}

describe('resolveRunParams', () => {
  describe('k or kRange', () => {
    it('neither k nor kRange is refused with BAD_USER_INPUT on field k', () => {
      assert.throws(() => resolveRunParams({ datasetId: DATASET.id }, DATASET), refusedFor('k'));
      assert.throws(() => resolveRunParams({ datasetId: DATASET.id, k: null, kRange: null }, DATASET), refusedFor('k'));
    });

    it('both k and kRange is refused with BAD_USER_INPUT on field k', () => {
      assert.throws(() => resolve({ k: 3, kRange: { min: 2, max: 4 } }), refusedFor('k'));
    });

    it('k alone is kept and kRange is null', () => {
      const params = resolve({ k: 5 });
      assert.equal(params.k, 5);
      assert.equal(params.kRange, null);
    });

    it('kRange alone is kept and k is null', () => {
      const params = resolve({ k: null, kRange: { min: 2, max: 6 } });
      assert.equal(params.k, null);
      assert.deepEqual(params.kRange, { min: 2, max: 6 });
    });

    it(`k 2 and k ${MAX_K} are accepted`, () => {
      assert.equal(resolve({ k: 2 }).k, 2);
      assert.equal(resolve({ k: MAX_K }).k, MAX_K);
    });

    it('k 1 is refused on field k', () => {
      assert.throws(() => resolve({ k: 1 }), refusedFor('k'));
    });

    it(`k ${MAX_K + 1} is refused on field k`, () => {
      assert.equal(MAX_K, 1_000);
      assert.throws(() => resolve({ k: MAX_K + 1 }), refusedFor('k'));
    });

    it('a fractional k is refused on field k', () => {
      assert.throws(() => resolve({ k: 2.5 }), refusedFor('k'));
    });

    it('kRange.min 1 is refused on field kRange.min', () => {
      assert.throws(() => resolve({ k: null, kRange: { min: 1, max: 4 } }), refusedFor('kRange.min'));
    });

    it(`kRange.max ${MAX_K + 1} is refused on field kRange.max`, () => {
      assert.throws(() => resolve({ k: null, kRange: { min: 995, max: MAX_K + 1 } }), refusedFor('kRange.max'));
    });

    it('kRange.max below kRange.min is refused on field kRange', () => {
      assert.throws(() => resolve({ k: null, kRange: { min: 5, max: 4 } }), refusedFor('kRange'));
    });

    it('kRange min = max (one value of k) is accepted', () => {
      assert.deepEqual(resolve({ k: null, kRange: { min: 4, max: 4 } }).kRange, { min: 4, max: 4 });
    });

    it('kRange spanning 13 values of k is refused on field kRange', () => {
      assert.throws(() => resolve({ k: null, kRange: { min: 2, max: 14 } }), refusedFor('kRange'));
    });

    it('kRange spanning 12 values of k is accepted', () => {
      assert.deepEqual(resolve({ k: null, kRange: { min: 2, max: 13 } }).kRange, { min: 2, max: 13 });
    });
  });

  describe('range checks', () => {
    const refusals: [string, Partial<StartRunInput>, string][] = [
      ['nInit 0', { nInit: 0 }, 'nInit'],
      ['nInit 51', { nInit: 51 }, 'nInit'],
      ['nInit 1.5', { nInit: 1.5 }, 'nInit'],
      ['maxIterations 0', { maxIterations: 0 }, 'maxIterations'],
      ['maxIterations 10001', { maxIterations: 10_001 }, 'maxIterations'],
      ['tolerance -1', { tolerance: -1 }, 'tolerance'],
      ['tolerance NaN', { tolerance: Number.NaN }, 'tolerance'],
      ['tolerance Infinity', { tolerance: Number.POSITIVE_INFINITY }, 'tolerance'],
      ['seed -1', { seed: -1 }, 'seed'],
      ['seed 2^31', { seed: 2 ** 31 }, 'seed'],
      ['seed 0.5', { seed: 0.5 }, 'seed'],
      ['an empty idempotencyKey', { idempotencyKey: '' }, 'idempotencyKey'],
      ['an idempotencyKey of 129 characters', { idempotencyKey: 'x'.repeat(129) }, 'idempotencyKey'],
    ];
    for (const [scenario, overrides, field] of refusals) {
      it(`${scenario} is refused with BAD_USER_INPUT on field ${field}`, () => {
        assert.throws(() => resolve(overrides), refusedFor(field));
      });
    }

    const acceptances: [string, Partial<StartRunInput>, keyof RunParams, unknown][] = [
      ['nInit 1', { nInit: 1 }, 'nInit', 1],
      ['nInit 50', { nInit: 50 }, 'nInit', 50],
      ['maxIterations 1', { maxIterations: 1 }, 'maxIterations', 1],
      ['maxIterations 10000', { maxIterations: 10_000 }, 'maxIterations', 10_000],
      ['tolerance 1e-12', { tolerance: 1e-12 }, 'tolerance', 1e-12],
      ["tolerance 0 (until no centroid moves, scikit-learn's tol=0)", { tolerance: 0 }, 'tolerance', 0],
      ['seed 0', { seed: 0 }, 'seed', 0],
      ['seed 2^31 - 1', { seed: MAX_SEED }, 'seed', MAX_SEED],
    ];
    for (const [scenario, overrides, key, expected] of acceptances) {
      it(`${scenario} is accepted and kept`, () => {
        assert.equal(resolve(overrides)[key], expected);
      });
    }

    it('idempotencyKeys of 1 and 128 characters are accepted (the key itself is not part of the params)', () => {
      assert.doesNotThrow(() => resolve({ idempotencyKey: 'a' }));
      assert.doesNotThrow(() => resolve({ idempotencyKey: 'a'.repeat(128) }));
    });
  });

  describe('defaults', () => {
    it('a request with only k gets KMEANS_PLUS_PLUS, nInit 1, 300 iterations, tolerance 1e-6, DROP/STANDARD and publishOutcomes true', () => {
      const params = resolve({});
      assert.equal(params.initialization, 'KMEANS_PLUS_PLUS');
      assert.equal(params.nInit, 1);
      assert.equal(params.maxIterations, 300);
      assert.equal(params.tolerance, 1e-6);
      assert.deepEqual(params.preparation, { missing: 'DROP', scaling: 'STANDARD' });
      assert.equal(params.publishOutcomes, true);
    });

    it('RUN_DEFAULTS states the same defaults', () => {
      assert.deepEqual(RUN_DEFAULTS, {
        initialization: 'KMEANS_PLUS_PLUS',
        nInit: { KMEANS_PLUS_PLUS: 1, RANDOM: 10 },
        maxIterations: 300,
        tolerance: 1e-6,
        missing: 'DROP',
        scaling: 'STANDARD',
        publishOutcomes: true,
        algorithm: 'LLOYD',
        batchSize: 1_024,
        miniBatchPasses: 10,
      });
    });

    it('RANDOM initialization without nInit defaults to 10 restarts', () => {
      const params = resolve({ initialization: 'RANDOM' });
      assert.equal(params.initialization, 'RANDOM');
      assert.equal(params.nInit, 10);
    });

    it('explicit nulls are filled with the defaults like omitted fields', () => {
      const params = resolve({
        initialization: null,
        nInit: null,
        maxIterations: null,
        tolerance: null,
        preparation: { missing: null, scaling: null },
        publishOutcomes: null,
        idempotencyKey: null,
      });
      assert.equal(params.initialization, 'KMEANS_PLUS_PLUS');
      assert.equal(params.nInit, 1);
      assert.equal(params.maxIterations, 300);
      assert.equal(params.tolerance, 1e-6);
      assert.deepEqual(params.preparation, { missing: 'DROP', scaling: 'STANDARD' });
      assert.equal(params.publishOutcomes, true);
    });

    it('given values override the defaults', () => {
      const params = resolve({
        initialization: 'RANDOM',
        nInit: 3,
        maxIterations: 50,
        tolerance: 1e-3,
        preparation: { missing: 'MEAN', scaling: 'NONE' },
        publishOutcomes: false,
      });
      assert.equal(params.initialization, 'RANDOM');
      assert.equal(params.nInit, 3);
      assert.equal(params.maxIterations, 50);
      assert.equal(params.tolerance, 1e-3);
      assert.deepEqual(params.preparation, { missing: 'MEAN', scaling: 'NONE' });
      assert.equal(params.publishOutcomes, false);
    });

    it('a preparation giving only scaling keeps the default missing policy', () => {
      assert.deepEqual(resolve({ preparation: { scaling: 'NONE' } }).preparation, { missing: 'DROP', scaling: 'NONE' });
    });
  });

  describe('seed', () => {
    it('an omitted seed is drawn and recorded as an integer from 0 to 2^31 - 1', () => {
      for (let i = 0; i < 50; i++) {
        const { seed } = resolve({});
        assert.ok(Number.isInteger(seed), `seed ${seed} is an integer`);
        assert.ok(seed >= 0 && seed <= MAX_SEED, `seed ${seed} is in range`);
      }
    });

    it('omitted seeds differ between runs (drawn, not a constant)', () => {
      const seeds = new Set(Array.from({ length: 20 }, () => resolve({ seed: null }).seed));
      assert.ok(seeds.size > 1);
    });

    it('a given seed is kept', () => {
      assert.equal(resolve({ seed: 12_345 }).seed, 12_345);
    });
  });

  describe('dataset snapshot', () => {
    it("the dataset's table, key columns and feature columns are copied into the params", () => {
      const params = resolve({});
      assert.equal(params.table, 'iris_measurements');
      assert.deepEqual(params.keyColumns, ['plant_id', 'measured_on']);
      assert.deepEqual(params.featureColumns, ['sepal_length', 'sepal_width', 'petal_length']);
    });
  });
});

describe('checkAgainstRows', () => {
  const withK = resolve({ k: 5 });
  const withRange = resolve({ k: null, kRange: { min: 3, max: 8 } });

  it('0 rows is refused with BAD_USER_INPUT on field datasetId', () => {
    assert.throws(() => checkAgainstRows(withK, 0), refusedFor('datasetId'));
    assert.throws(() => checkAgainstRows(withRange, 0), refusedFor('datasetId'));
  });

  it('k larger than the rows is refused on field k', () => {
    assert.throws(() => checkAgainstRows(withK, 4), refusedFor('k'));
  });

  it('k equal to the rows is accepted', () => {
    assert.doesNotThrow(() => checkAgainstRows(withK, 5));
  });

  it('kRange.min above rows - 1 is refused on field kRange', () => {
    assert.throws(() => checkAgainstRows(withRange, 3), refusedFor('kRange'));
  });

  it('kRange.min equal to rows - 1 is accepted, even with kRange.max above the rows', () => {
    assert.doesNotThrow(() => checkAgainstRows(withRange, 4));
  });
});

describe('rowsNeeded', () => {
  it('is k for a run with k, and kRange.min + 1 for a run with kRange', () => {
    assert.equal(rowsNeeded(resolve({ k: 5 })), 5);
    assert.equal(rowsNeeded(resolve({ k: null, kRange: { min: 3, max: 8 } })), 4);
  });

  it('checkAgainstRows accepts rowsNeeded rows and refuses one fewer, so a count capped there decides the same as the full count', () => {
    for (const params of [
      resolve({ k: 2 }),
      resolve({ k: 7 }),
      resolve({ k: MAX_K }),
      resolve({ k: null, kRange: { min: 2, max: 3 } }),
      resolve({ k: null, kRange: { min: 9, max: 12 } }),
    ]) {
      const needed = rowsNeeded(params);
      assert.doesNotThrow(() => checkAgainstRows(params, needed));
      assert.throws(() => checkAgainstRows(params, needed - 1), AppError);
    }
  });
});
