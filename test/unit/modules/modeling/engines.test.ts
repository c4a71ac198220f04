import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_KMEANS_ENGINE,
  matrixFromRows,
  ModelInputError,
  runKMeans,
  runModelingJob,
  RunCancelledError,
  selectK,
  type IterationEvent,
  type KMeansEngine,
  type KMeansOptions,
  type Matrix,
  type ModelingJobInput,
} from '../../../../src/modules/modeling/model';
import { blobs, lattice, standardizedIris } from './engine-fixtures';

/**
 * runKMeans, selectK and runModelingJob give the same result, bit for bit (assert.deepStrictEqual),
 * whichever engine iterates: same seeds → same initial centroids → same assignments, centroids,
 * distances, inertias, iterations, convergence, cluster sizes — and the same onIteration events.
 */

const OPTIONS: KMeansOptions = { k: 3, initialization: 'KMEANS_PLUS_PLUS', nInit: 3, maxIterations: 300, tolerance: 1e-8, seed: 7 };

function runBoth(matrix: Matrix, options: KMeansOptions) {
  const out = {} as Record<KMeansEngine, { result: ReturnType<typeof runKMeans>; events: IterationEvent[] }>;
  for (const engine of ['ml-kmeans', 'fast'] as const) {
    const events: IterationEvent[] = [];
    out[engine] = { result: runKMeans(matrix, { ...options, engine }, { onIteration: (event) => events.push(event) }), events };
  }
  return out;
}

describe('k-means engines: fast equals ml-kmeans through the runner', () => {
  it(`the default engine is 'fast'`, () => {
    assert.equal(DEFAULT_KMEANS_ENGINE, 'fast');
    const matrix = standardizedIris();
    assert.deepStrictEqual(runKMeans(matrix, OPTIONS), runKMeans(matrix, { ...OPTIONS, engine: 'fast' }));
  });

  const cases: [string, () => Matrix, Partial<KMeansOptions>][] = [
    ['iris (standardized), k = 3', standardizedIris, {}],
    ['iris (standardized), k = 6, RANDOM', standardizedIris, { k: 6, initialization: 'RANDOM' }],
    ['blobs 10,000 × 10, k = 10, nInit 2', () => blobs(10_000, 10, 10, 2, 5), { k: 10, nInit: 2 }],
    ['overlapping blobs, RANDOM, stopped by maxIterations = 4', () => blobs(2_000, 3, 6, 4, 6), { k: 6, initialization: 'RANDOM', maxIterations: 4 }],
    ['duplicate rows, k = 5', () => lattice(200, 2, 3, 8), { k: 5 }],
    ['fewer distinct points than k (empty clusters)', () => matrixFromRows([[0, 0], [0, 0], [0, 0], [5, 5], [5, 5], [5, 5]]), { k: 3, nInit: 4 }],
    ['large tolerance', () => blobs(3_000, 4, 6, 3, 8), { k: 6, tolerance: 0.5 }],
  ];
  for (const [name, data, change] of cases) {
    it(`${name}: identical results and identical onIteration events, seeds 1..3`, () => {
      const matrix = data();
      for (let seed = 1; seed <= 3; seed++) {
        const both = runBoth(matrix, { ...OPTIONS, ...change, seed });
        assert.deepStrictEqual(both.fast.result, both['ml-kmeans'].result);
        assert.deepStrictEqual(both.fast.events, both['ml-kmeans'].events);
        // …and without onIteration (the fast engine then skips the per-iteration inertia pass).
        assert.deepStrictEqual(runKMeans(matrix, { ...OPTIONS, ...change, seed, engine: 'fast' }), both['ml-kmeans'].result);
      }
    });
  }

  it('selectK: identical results (scores, chosen k, chosen run) with either engine', () => {
    const matrix = blobs(1_500, 3, 4, 1.5, 12);
    const options = { initialization: 'KMEANS_PLUS_PLUS', nInit: 2, maxIterations: 300, tolerance: 1e-8, seed: 3, min: 2, max: 6 } as const;
    assert.deepStrictEqual(selectK(matrix, { ...options, engine: 'fast' }), selectK(matrix, { ...options, engine: 'ml-kmeans' }));
  });

  it('runModelingJob: params.engine is threaded through (k and k range) and does not change the output', () => {
    const { values, rows, columns } = blobs(800, 4, 3, 2, 4);
    const base = { initialization: 'KMEANS_PLUS_PLUS', nInit: 2, maxIterations: 300, tolerance: 1e-8, seed: 9, preparation: { missing: 'DROP', scaling: 'STANDARD' } } as const;
    for (const shape of [{ k: 3, kRange: null }, { k: null, kRange: { min: 2, max: 4 } }]) {
      const job = (engine?: KMeansEngine) => {
        const input: ModelingJobInput = { values, rows, columns, params: { ...base, ...shape, engine } };
        const { timings: _timings, ...output } = runModelingJob(input);
        return output;
      };
      const reference = job('ml-kmeans');
      assert.deepStrictEqual(job('fast'), reference);
      assert.deepStrictEqual(job(undefined), reference);
    }
  });

  it('fast engine: shouldCancel turning true after the 3rd iteration throws RunCancelledError before a 4th', () => {
    let iterations = 0;
    const matrix = blobs(2_000, 2, 4, 3, 2);
    assert.throws(
      () => runKMeans(matrix, { ...OPTIONS, k: 4, initialization: 'RANDOM', engine: 'fast' }, { onIteration: () => iterations++, shouldCancel: () => iterations >= 3 }),
      RunCancelledError,
    );
    assert.equal(iterations, 3);
  });

  it('an unknown engine is a ModelInputError (INVALID_OPTION)', () => {
    assert.throws(
      () => runKMeans(standardizedIris(), { ...OPTIONS, engine: 'elkan' as never }),
      (error: unknown) => error instanceof ModelInputError && error.reason === 'INVALID_OPTION',
    );
  });
});
