import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMatrix, prepare, type Matrix } from '../../../../../src/modules/modeling/model';
import { kMeansPlusPlusInitialization } from '../../../../../src/modules/modeling/model/initialization';
import { chunkRows } from '../../../../../src/modules/modeling/model/lloyd-arrays';
import { lloydSteps, type LloydOptions, type LloydStep } from '../../../../../src/modules/modeling/model/lloyd';
import { webAssemblyKernelAvailable } from '../../../../../src/modules/modeling/model/lloyd-rows-kernel';
import { LloydThreads } from '../../../../../src/modules/modeling/model/lloyd-threads';
import { sharedFloat64Array } from '../../../../../src/modules/modeling/model/matrix';
import { memoryOf } from '../../../../../src/modules/modeling/model/wasm/shared-memory';
import { SeededRandom } from '../../../../../src/shared/seeded-random';
import { referenceSteps } from '../../../../support/kmeans-oracle';
import { toRowArrays } from '../../../../support/modeling';
import { blobs, lattice } from './lloyd-fixtures';

/**
 * The WebAssembly rows pass (wasm/lloyd-module.ts) against the JavaScript one (lloyd-kernel.ts), from
 * the same start: every step's assignments, centroids, centroid shifts, cluster sizes, inertia,
 * distance computations, iteration count and convergence flag, compared EXACTLY (deepStrictEqual on
 * doubles), on one thread and split between threads, for the four variants of the engine.
 */

const VARIANTS: readonly { name: string; options: Partial<LloydOptions> }[] = [
  { name: 'bounds', options: {} },
  { name: 'bounds + inertia', options: { trackInertia: true } },
  { name: 'no bounds', options: { useBounds: false } },
  { name: 'no bounds + inertia', options: { useBounds: false, trackInertia: true } },
];

/** The same matrix in a shared WebAssembly memory (where prepare() puts a run's matrix). */
function inWasmMemory(matrix: Matrix): Matrix {
  const values = sharedFloat64Array(matrix.values.length);
  values.set(matrix.values);
  return createMatrix(values, matrix.rows, matrix.columns);
}

const record = (step: LloydStep) => ({
  iterations: step.iterations,
  converged: step.converged,
  clusters: Array.from(step.clusters),
  centroids: Array.from(step.centroids),
  centroidShifts: Array.from(step.centroidShifts),
  clusterSizes: Array.from(step.clusterSizes),
  inertia: step.inertia,
  distanceComputations: step.distanceComputations,
});

/** Every step, and the kernel each step reports. */
function steps(matrix: Matrix, start: number[][], options: LloydOptions) {
  const all = Array.from(lloydSteps(matrix, start, options), (step) => ({ kernel: step.kernel, step: record(step) }));
  return { kernels: new Set(all.map((s) => s.kernel)), steps: all.map((s) => s.step) };
}

const start = (matrix: Matrix, k: number, seed: number) => kMeansPlusPlusInitialization(matrix, k, new SeededRandom(seed), 10_000);

describe('Lloyd rows pass in WebAssembly (lloyd-rows-kernel.ts) equals the JavaScript pass, bit for bit', () => {
  it('this runtime runs it, and sharedFloat64Array allocates in a shared WebAssembly memory', () => {
    assert.equal(webAssemblyKernelAvailable(), true);
    assert.ok(memoryOf(sharedFloat64Array(10).buffer));
  });

  it("prepare() puts a run's matrix in a WebAssembly memory (imputed or with rows dropped): its Lloyd steps run the WebAssembly pass, without a copy", () => {
    const raw = blobs(1_000, 3, 4, 2, 5);
    raw.values[7] = Number.NaN;
    for (const missing of ['MEAN', 'DROP'] as const) {
      const { matrix } = prepare(raw, { missing, scaling: 'STANDARD' });
      assert.ok(memoryOf(matrix.values.buffer), missing);
      const initial = start(matrix, 4, 1);
      const run = steps(matrix, initial, { maxIterations: 30, tolerance: 0, trackInertia: true });
      assert.deepStrictEqual(run.kernels, new Set(['webassembly']));
      assert.deepStrictEqual(run.steps, steps(matrix, initial, { maxIterations: 30, tolerance: 0, trackInertia: true, kernel: 'javascript' }).steps);
    }
  });

  // Rows not a multiple of the chunk size (2,048), nor of 4 (the centroids scanned side by side).
  for (const columns of [1, 2, 10, 37]) {
    it(`d = ${columns}, k = 1, 2, 10, 64, 2,501 rows, four variants: every step the same on one thread`, () => {
      for (const [index, k] of [1, 2, 10, 64].entries()) {
        const matrix = inWasmMemory(blobs(2_501, columns, Math.min(k, 12), 3, 100 + columns * 10 + index));
        const initial = start(matrix, k, index + 1);
        for (const variant of VARIANTS) {
          const options = { maxIterations: 60, tolerance: 0, ...variant.options };
          const webassembly = steps(matrix, initial, options);
          const javascript = steps(matrix, initial, { ...options, kernel: 'javascript' });
          assert.deepStrictEqual(webassembly.kernels, new Set(['webassembly']));
          assert.deepStrictEqual(javascript.kernels, new Set(['javascript']));
          assert.deepStrictEqual(webassembly.steps, javascript.steps, `k = ${k}, ${variant.name}`);
          assert.ok(webassembly.steps.length > 1 || k === 1, `k = ${k}: more than one iteration`);
        }
      }
    });
  }

  it('lattice data (exact ties between centroids are common), k = 7: the same steps, and equal to the reference (ml-kmeans, sums by chunks)', () => {
    const matrix = inWasmMemory(lattice(3_000, 3, 4, 7));
    const initial = start(matrix, 7, 3);
    const reference = referenceSteps(toRowArrays(matrix), initial, 100, 0);
    for (const variant of VARIANTS) {
      const options = { maxIterations: 100, tolerance: 0, ...variant.options };
      const webassembly = steps(matrix, initial, options);
      assert.deepStrictEqual(webassembly.steps, steps(matrix, initial, { ...options, kernel: 'javascript' }).steps, variant.name);
      assert.deepStrictEqual(
        webassembly.steps.map(({ iterations, converged, clusters, centroids }) => ({ iterations, converged, clusters, centroids: chunked(centroids, 3) })),
        reference,
        `${variant.name}: against the reference`,
      );
    }
  });

  for (const threads of [2, 3]) {
    it(`split between ${threads} threads (rows by chunks, each chunk's sums its own): every step the same as JavaScript on one thread`, () => {
      for (const [columns, k] of [
        [1, 2],
        [2, 10],
        [10, 10],
        [37, 64],
      ] as const) {
        const rows = 3 * chunkRows(0, k, columns) + 123;
        const matrix = inWasmMemory(blobs(rows, columns, Math.min(k, 12), 3, 7 * columns + k));
        const initial = start(matrix, k, 5);
        const pool = LloydThreads.open(matrix, threads, { minRows: 0, waitForHelpers: true })!;
        try {
          assert.equal(pool.matrix, matrix, 'the matrix is used in place, not copied');
          for (const variant of VARIANTS) {
            const options = { maxIterations: 40, tolerance: 0, ...variant.options };
            const shared = pool.sharedPasses;
            const threaded = steps(matrix, initial, { ...options, threads: pool });
            assert.ok(pool.sharedPasses > shared, 'no pass was shared');
            assert.deepStrictEqual(threaded.kernels, new Set(['webassembly']));
            assert.deepStrictEqual(
              threaded.steps,
              steps(matrix, initial, { ...options, kernel: 'javascript' }).steps,
              `d = ${columns}, k = ${k}, ${variant.name}`,
            );
          }
        } finally {
          pool.close();
        }
      }
    });
  }

  it('a matrix outside a WebAssembly memory runs the JavaScript pass (one thread), with the same steps', () => {
    const plain = blobs(3_000, 4, 5, 2, 9);
    const initial = start(plain, 5, 1);
    const options = { maxIterations: 50, tolerance: 0, trackInertia: true };
    const javascript = steps(plain, initial, options);
    assert.deepStrictEqual(javascript.kernels, new Set(['javascript']));
    assert.deepStrictEqual(steps(inWasmMemory(plain), initial, options).steps, javascript.steps);
  });

  it('a row with no finite distance (a NaN, or 1e200 overflowing): the same RangeError from both passes, on one thread and on two', () => {
    for (const bad of [Number.NaN, 1e200]) {
      const matrix = inWasmMemory(blobs(5_000, 3, 4, 1, 11));
      const initial = start(matrix, 4, 2);
      matrix.values[4_321 * 3 + 1] = bad;
      const failure = (options: LloydOptions) => {
        try {
          Array.from(lloydSteps(matrix, initial, options));
        } catch (error) {
          return { name: (error as Error).name, message: (error as Error).message };
        }
        return undefined;
      };
      const javascript = failure({ maxIterations: 10, tolerance: 0, kernel: 'javascript' });
      assert.deepStrictEqual(javascript, { name: 'RangeError', message: javascript?.message });
      assert.match(javascript.message, /^row 4321: /);
      assert.deepStrictEqual(failure({ maxIterations: 10, tolerance: 0 }), javascript);
      const pool = LloydThreads.open(matrix, 2, { minRows: 0, waitForHelpers: true })!;
      try {
        assert.deepStrictEqual(failure({ maxIterations: 10, tolerance: 0, threads: pool }), javascript);
      } finally {
        pool.close();
      }
    }
  });
});

function chunked(values: number[], columns: number): number[][] {
  return Array.from({ length: values.length / columns }, (_, c) => values.slice(c * columns, (c + 1) * columns));
}
