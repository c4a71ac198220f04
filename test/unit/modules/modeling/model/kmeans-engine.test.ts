import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LLOYD_ENGINE,
  runKMeans,
  runModelingJob,
  RunCancelledError,
  selectK,
  type IterationEvent,
  type KMeansEngine,
  type KMeansOptions,
  type Matrix,
  type ModelingJobInput,
} from '../../../../../src/modules/modeling/model';
import { CHUNKED_REFERENCE_ENGINE } from '../../../../support/kmeans-oracle';
import { matrixFromRows } from '../../../../support/modeling';
import { standardizedIris } from './fixtures';
import { blobs, lattice } from './lloyd-fixtures';

/**
 * runKMeans, selectK and runModelingJob give the same result, bit for bit (assert.deepStrictEqual),
 * whether the Lloyd engine or its reference iterates (ml-kmeans with its centroid sums taken by chunks,
 * which is ml-kmeans itself up to one chunk: test/support/kmeans-oracle.ts): same seeds → same initial
 * centroids → same assignments, centroids, distances, inertias, iterations, convergence, cluster sizes
 * — and the same onIteration events.
 */

const OPTIONS: KMeansOptions = { k: 3, initialization: 'KMEANS_PLUS_PLUS', nInit: 3, maxIterations: 300, tolerance: 1e-8, seed: 7 };

const ENGINES = { reference: CHUNKED_REFERENCE_ENGINE, lloyd: LLOYD_ENGINE } as const;

function runBoth(matrix: Matrix, options: KMeansOptions) {
  const out = {} as Record<keyof typeof ENGINES, { result: ReturnType<typeof runKMeans>; events: IterationEvent[] }>;
  for (const name of ['reference', 'lloyd'] as const) {
    const events: IterationEvent[] = [];
    out[name] = { result: runKMeans(matrix, options, { onIteration: (event) => events.push(event) }, ENGINES[name]), events };
  }
  return out;
}

describe('k-means engines: the Lloyd engine equals its reference (ml-kmeans, sums by chunks) through the runner', () => {
  it('the default engine is the Lloyd engine (LLOYD_ENGINE)', () => {
    const matrix = standardizedIris();
    assert.deepStrictEqual(runKMeans(matrix, OPTIONS), runKMeans(matrix, OPTIONS, {}, LLOYD_ENGINE));
  });

  const cases: [string, () => Matrix, Partial<KMeansOptions>][] = [
    ['iris (standardized), k = 3', standardizedIris, {}],
    ['iris (standardized), k = 6, RANDOM', standardizedIris, { k: 6, initialization: 'RANDOM' }],
    ['blobs 10,000 × 10, k = 10, nInit 2', () => blobs(10_000, 10, 10, 2, 5), { k: 10, nInit: 2 }],
    ['overlapping blobs, RANDOM, stopped by maxIterations = 4', () => blobs(2_000, 3, 6, 4, 6), { k: 6, initialization: 'RANDOM', maxIterations: 4 }],
    ['duplicate rows, k = 5', () => lattice(200, 2, 3, 8), { k: 5 }],
    [
      'fewer distinct points than k (empty clusters)',
      () =>
        matrixFromRows([
          [0, 0],
          [0, 0],
          [0, 0],
          [5, 5],
          [5, 5],
          [5, 5],
        ]),
      { k: 3, nInit: 4 },
    ],
    ['large tolerance', () => blobs(3_000, 4, 6, 3, 8), { k: 6, tolerance: 0.5 }],
  ];
  for (const [name, data, change] of cases) {
    it(`${name}: identical results and identical onIteration events, seeds 1..3`, () => {
      const matrix = data();
      for (let seed = 1; seed <= 3; seed++) {
        const both = runBoth(matrix, { ...OPTIONS, ...change, seed });
        assert.deepStrictEqual(both.lloyd.result, both.reference.result);
        assert.deepStrictEqual(both.lloyd.events, both.reference.events);
        // …and without onIteration (the Lloyd engine then skips the per-iteration inertia pass).
        assert.deepStrictEqual(runKMeans(matrix, { ...OPTIONS, ...change, seed }, {}, LLOYD_ENGINE), both.reference.result);
      }
    });
  }

  it('selectK: identical results (scores, chosen k, chosen run) with either engine', () => {
    const matrix = blobs(1_500, 3, 4, 1.5, 12);
    const options = { initialization: 'KMEANS_PLUS_PLUS', nInit: 2, maxIterations: 300, tolerance: 1e-8, seed: 3, min: 2, max: 6 } as const;
    assert.deepStrictEqual(selectK(matrix, options, {}, LLOYD_ENGINE), selectK(matrix, options, {}, CHUNKED_REFERENCE_ENGINE));
  });

  it('runModelingJob: its engine is threaded through (k and k range) and does not change the output', () => {
    const { values, rows, columns } = blobs(800, 4, 3, 2, 4);
    const base = {
      initialization: 'KMEANS_PLUS_PLUS',
      nInit: 2,
      maxIterations: 300,
      tolerance: 1e-8,
      seed: 9,
      preparation: { missing: 'DROP', scaling: 'STANDARD' },
    } as const;
    for (const shape of [
      { k: 3, kRange: null },
      { k: null, kRange: { min: 2, max: 4 } },
    ]) {
      const job = (engine?: KMeansEngine) => {
        const input: ModelingJobInput = { values, rows, columns, params: { ...base, ...shape } };
        const { timings: _timings, ...output } = runModelingJob(input, {}, engine);
        return output;
      };
      const reference = job(CHUNKED_REFERENCE_ENGINE);
      assert.deepStrictEqual(job(LLOYD_ENGINE), reference);
      assert.deepStrictEqual(job(undefined), reference);
    }
  });

  it('Lloyd engine: shouldCancel turning true after the 3rd iteration throws RunCancelledError before a 4th', () => {
    let iterations = 0;
    const matrix = blobs(2_000, 2, 4, 3, 2);
    assert.throws(
      () =>
        runKMeans(
          matrix,
          { ...OPTIONS, k: 4, initialization: 'RANDOM' },
          { onIteration: () => iterations++, shouldCancel: () => iterations >= 3 },
          LLOYD_ENGINE,
        ),
      RunCancelledError,
    );
    assert.equal(iterations, 3);
  });
});
