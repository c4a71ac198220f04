import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunCancelledError, type Matrix } from '../../../../../src/modules/modeling/model';
import { kMeansPlusPlusInitialization, randomRowsInitialization } from '../../../../../src/modules/modeling/model/initialization';
import { centroidRows, lloydSteps } from '../../../../../src/modules/modeling/model/lloyd';
import { SeededRandom } from '../../../../../src/shared/seeded-random';
import { MIN_CHUNK_ROWS } from '../../../../../src/modules/modeling/model/lloyd-arrays';
import { assertCloseToMlKmeans, centroidBound, inertiaOf, mlKmeansSteps, referenceSteps, runLloyd } from '../../../../support/kmeans-oracle';
import { matrixFromRows, toRowArrays as toRows } from '../../../../support/modeling';
import { standardizedIris } from './fixtures';
import { blobs, lattice, recordedSteps, tiesAfterFirstIteration } from './lloyd-fixtures';

/**
 * The Lloyd engine against its reference, from the same initial centroids: ml-kmeans with its centroid
 * sums taken by chunks as the engine takes them (test/support/kmeans-oracle.ts), which is ml-kmeans
 * itself up to one chunk (MIN_CHUNK_ROWS rows). Every comparison with it is EXACT
 * (assert.deepStrictEqual: same doubles, bit for bit, no tolerance): at every iteration the
 * assignments and the centroids, and the iteration count and convergence flag of every step. Then the
 * final result against ml-kmeans' own kmeans(): the same assignments and iterations, the same
 * centroids up to one chunk, within the stated bound beyond it (assertCloseToMlKmeans). Each case runs the engine with Hamerly's bounds, with
 * bounds and per-iteration inertia (which tightens the bounds differently), and without bounds (with
 * and without inertia); the inertia must equal, bit for bit, the runner's sum for ml-kmeans' step.
 */

type Init = 'kmeans++' | 'random rows';
const initial = (matrix: Matrix, k: number, init: Init, seed: number) =>
  init === 'kmeans++' ? kMeansPlusPlusInitialization(matrix, k, new SeededRandom(seed), 10_000) : randomRowsInitialization(matrix, k, new SeededRandom(seed));

const VARIANTS = [
  { name: 'bounds', options: {} },
  { name: 'bounds + inertia', options: { trackInertia: true } },
  { name: 'no bounds', options: { useBounds: false } },
  { name: 'no bounds + inertia', options: { useBounds: false, trackInertia: true } },
] as const;

/** Asserts exact step-by-step equality with the reference for every variant, and its end against ml-kmeans; returns the reference steps. */
function assertSameAsMlKmeans(matrix: Matrix, start: number[][], maxIterations: number, tolerance: number) {
  const rows = toRows(matrix);
  const reference = referenceSteps(rows, start, maxIterations, tolerance);
  assertCloseToMlKmeans(rows, start, maxIterations, tolerance, reference.at(-1)!);
  const runs: Record<string, ReturnType<typeof recordedSteps>> = {};
  for (const variant of VARIANTS) {
    const steps = recordedSteps(matrix, start, { maxIterations, tolerance, ...variant.options });
    assert.deepStrictEqual(
      steps.map(({ iterations, converged, clusters, centroids }) => ({ iterations, converged, clusters, centroids })),
      reference,
      `${variant.name}: steps differ from the reference`,
    );
    for (const [t, step] of steps.entries()) {
      const ref = reference[t]!;
      assert.deepStrictEqual(
        step.clusterSizes,
        start.map((_, c) => ref.clusters.filter((x) => x === c).length),
      );
      if ('trackInertia' in variant.options) assert.equal(step.inertia, inertiaOf(rows, ref.clusters, ref.centroids), `iteration ${t + 1}: inertia`);
      else assert.ok(Number.isNaN(step.inertia));
    }
    runs[variant.name] = steps;
  }
  return { reference, runs };
}

const computations = (steps: { distanceComputations: number }[]) => steps.reduce((sum, s) => sum + s.distanceComputations, 0);

describe('Lloyd engine (lloyd.ts) equals its reference from the same initial centroids, exactly, and ml-kmeans within the stated bound', () => {
  const iris = standardizedIris();
  for (const k of [3, 5]) {
    for (const init of ['kmeans++', 'random rows'] as const) {
      it(`iris (standardized), k = ${k}, ${init}, seeds 1..5: every step, bit for bit`, () => {
        for (let seed = 1; seed <= 5; seed++) assertSameAsMlKmeans(iris, initial(iris, k, init, seed), 300, 1e-8);
      });
    }
  }

  for (const spread of [1, 4]) {
    it(`blobs 10,000 × 10, k = 10, spread ${spread}, k-means++ seeds 1..3: every step, bit for bit; the bounds skip most distances`, () => {
      const matrix = blobs(10_000, 10, 10, spread, 42 + spread);
      for (let seed = 1; seed <= 3; seed++) {
        const { reference, runs } = assertSameAsMlKmeans(matrix, initial(matrix, 10, 'kmeans++', seed), 300, 1e-8);
        const full = matrix.rows * 10 * reference.length;
        assert.equal(computations(runs['no bounds']!), full);
        if (reference.length > 2) assert.ok(computations(runs.bounds!) < full / 2, `bounds computed ${computations(runs.bounds!)} of ${full} distances`);
      }
    });
  }

  it('a hand-made exact tie after the first iteration: row 0 is equidistant (4) from both centroids and goes to centroid 0, as in ml-kmeans', () => {
    // Iteration 1 from (-4, 1): rows 0, 2, 10 → centroid 1, whose mean becomes 4; row 0 (value 0) is then at 4 from both.
    // Hamerly's bounds after iteration 1 give u = 1 + 3 = 4 and l = 4: a non-strict test (u ≤ l) would wrongly keep centroid 1.
    const matrix = matrixFromRows([[-4], [0], [2], [10]]);
    const { reference, runs } = assertSameAsMlKmeans(matrix, [[-4], [1]], 100, 1e-12);
    assert.deepStrictEqual(reference[0]!.centroids, [[-4], [4]]);
    assert.deepStrictEqual(reference[1]!.clusters, [0, 0, 1, 1]);
    assert.ok(runs.bounds![1]!.distanceComputations >= 2, 'the tied row must have been scanned');
  });

  it("a near-tie decided by rounding: Hamerly's test without its safety margin would keep the wrong centroid", () => {
    // Iteration 2 runs with centroids c0 = (0.52, 0.73) and c1 = (5.92, 4.65), the exact mean of rows 1 and 2; row 1 is their
    // midpoint. ml-kmeans computes 11.131599999999999 to c0 and 11.1316 to c1, so row 1 leaves c1 for c0; yet the square root
    // of 11.1316 is below half the computed c0–c1 distance, so an unguarded u < s test would skip row 1 and keep c1.
    const c0 = [0.52, 0.73];
    const c1 = [5.92, 4.65];
    const mid = c0.map((v, j) => (v + c1[j]!) / 2);
    const far = c1.map((v, j) => 2 * v - mid[j]!);
    const matrix = matrixFromRows([c0, mid, far]);
    const { reference } = assertSameAsMlKmeans(matrix, [c0, mid], 10, 1e-12);
    assert.deepStrictEqual(reference[0]!.centroids, [c0, c1]);
    assert.deepStrictEqual(reference[1]!.clusters, [0, 0, 1]);
  });

  it('exact ties in 1-D, centroid order reversed: the tie goes to the lower index whichever centroid the row had', () => {
    for (const start of [
      [[0], [2]],
      [[2], [0]],
      [[1], [1]],
      [[2], [0], [2]],
    ]) {
      assertSameAsMlKmeans(matrixFromRows([[0], [1], [2], [1], [1], [3], [-1]]), start, 50, 1e-12);
    }
  });

  it('duplicates and ties: 300 random small integer tables (many duplicate rows, exact ties after iteration 1, duplicate centroids, empty clusters), tolerance 0 / 1e-9 / 0.5', () => {
    const random = new SeededRandom(2024);
    let ties = 0;
    for (let trial = 0; trial < 300; trial++) {
      const n = 4 + random.integer(40);
      const columns = 1 + random.integer(3);
      const matrix = lattice(n, columns, 1 + random.integer(6), random.integer(2 ** 32));
      const k = 2 + random.integer(Math.min(6, n - 1));
      // Half the starts are rows (possibly equal), half are points on a half-integer grid (possibly duplicated).
      const start =
        trial % 2 === 0
          ? randomRowsInitialization(matrix, k, new SeededRandom(trial))
          : Array.from({ length: k }, () => Array.from({ length: columns }, () => random.integer(13) / 2));
      const tolerance = [0, 1e-9, 0.5][trial % 3]!;
      const { reference } = assertSameAsMlKmeans(matrix, start, 100, tolerance);
      ties += tiesAfterFirstIteration(toRows(matrix), reference);
    }
    // Otherwise the test would prove nothing about ties under the bounds.
    assert.ok(ties > 50, `only ${ties} tied rows after the first iteration`);
  });

  it('a cluster that empties in iteration 2 (after the bounds exist) keeps its centroid, as in ml-kmeans', () => {
    const matrix = matrixFromRows([
      [0, 3],
      [1, 2],
      [6, 3],
      [5, 2],
      [0, 3],
    ]);
    const { reference } = assertSameAsMlKmeans(
      matrix,
      [
        [1.5, 6],
        [6, 4.5],
        [3.5, 0.5],
      ],
      20,
      1e-9,
    );
    assert.deepStrictEqual(reference[0]!.clusters, [0, 2, 1, 2, 0]);
    assert.deepStrictEqual(reference[1]!.clusters, [0, 0, 1, 1, 0]);
    assert.deepStrictEqual(reference[1]!.centroids[2], reference[0]!.centroids[2]);
  });

  it('fewer distinct points than k, and a centroid far from every row: empty clusters keep their centroid', () => {
    const matrix = matrixFromRows([
      [0, 0],
      [0, 0],
      [0, 0],
      [5, 5],
      [5, 5],
      [5, 5],
    ]);
    assertSameAsMlKmeans(
      matrix,
      [
        [0, 0],
        [0, 0],
        [5, 5],
      ],
      100,
      1e-8,
    );
    const { reference } = assertSameAsMlKmeans(
      matrix,
      [
        [0, 0],
        [5, 5],
        [100, 100],
      ],
      100,
      1e-8,
    );
    assert.deepStrictEqual(reference.at(-1)!.centroids[2], [100, 100]);
    const iris = standardizedIris();
    assertSameAsMlKmeans(iris, [...initial(iris, 3, 'kmeans++', 1), [50, 50, 50, 50], [-50, 0, 0, 0]], 300, 1e-8);
  });

  for (const maxIterations of [1, 2, 5]) {
    it(`stopped by maxIterations = ${maxIterations} (not converged), overlapping blobs, random-row starts, seeds 1..3`, () => {
      const matrix = blobs(2_000, 5, 8, 5, 7);
      for (let seed = 1; seed <= 3; seed++) {
        const { reference } = assertSameAsMlKmeans(matrix, initial(matrix, 8, 'random rows', seed), maxIterations, 1e-8);
        assert.equal(reference.length, maxIterations);
        assert.equal(reference.at(-1)!.converged, false);
      }
    });
  }

  for (const tolerance of [1e6, 0.5, 0.01]) {
    it(`large tolerance ${tolerance}: stops as early as ml-kmeans does, k-means++ seeds 1..3`, () => {
      const matrix = blobs(3_000, 4, 6, 3, 8);
      for (let seed = 1; seed <= 3; seed++) {
        const { reference } = assertSameAsMlKmeans(matrix, initial(matrix, 6, 'kmeans++', seed), 300, tolerance);
        assert.equal(reference.at(-1)!.converged, true);
        if (tolerance === 1e6) assert.equal(reference.length, 1);
      }
    });
  }

  it('tolerance 0 runs until no centroid moves at all (the assignments repeat), as ml-kmeans', () => {
    const matrix = blobs(5_000, 3, 5, 3, 9);
    const { reference } = assertSameAsMlKmeans(matrix, initial(matrix, 5, 'random rows', 4), 1000, 0);
    assert.ok(reference.at(-1)!.converged);
    assert.deepStrictEqual(reference.at(-1)!.clusters, reference.at(-2)!.clusters);
  });

  it('runLloyd (test/support): hooks see every step; shouldCancel turning true after the 2nd iteration throws RunCancelledError', () => {
    const matrix = blobs(1_000, 2, 4, 4, 3);
    const start = initial(matrix, 4, 'random rows', 1);
    const seen: number[] = [];
    const last = runLloyd(matrix, start, { maxIterations: 300, tolerance: 1e-8 }, { onStep: (step) => seen.push(step.iterations) });
    assert.ok(last.iterations > 2);
    assert.deepStrictEqual(
      seen,
      Array.from({ length: last.iterations }, (_, i) => i + 1),
    );
    let steps = 0;
    assert.throws(
      () => runLloyd(matrix, start, { maxIterations: 300, tolerance: 1e-8 }, { onStep: () => steps++, shouldCancel: () => steps >= 2 }),
      RunCancelledError,
    );
    assert.equal(steps, 2);
  });

  it('rejects bad shapes, and a NaN instead of assigning cluster −1 as ml-kmeans would', () => {
    const matrix = matrixFromRows([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    const run = (start: number[][], data = matrix) => [...lloydSteps(data, start, { maxIterations: 10, tolerance: 0 })];
    assert.throws(() => run([[0, 0], [1]]), RangeError);
    assert.throws(
      () =>
        run([
          [0, 0],
          [1, 1],
          [2, 2],
          [3, 3],
        ]),
      RangeError,
    );
    assert.throws(
      () =>
        run(
          [
            [0, 0],
            [1, 1],
          ],
          matrixFromRows([
            [0, 0],
            [Number.NaN, 1],
            [2, 2],
          ]),
        ),
      RangeError,
    );
    assert.deepStrictEqual(centroidRows(Float64Array.of(1, 2, 3, 4), 2), [
      [1, 2],
      [3, 4],
    ]);
  });
});

describe('the reference (test/support/kmeans-oracle.ts): ml-kmeans with its centroid sums taken by chunks', () => {
  it(`up to one chunk (${MIN_CHUNK_ROWS} rows) it is ml-kmeans itself: every step bit for bit`, () => {
    const iris = standardizedIris();
    const cases: [Matrix, number, Init, number][] = [
      [iris, 3, 'kmeans++', 1],
      [iris, 5, 'random rows', 2],
      [blobs(2_000, 5, 8, 5, 7), 8, 'random rows', 1],
      [blobs(MIN_CHUNK_ROWS, 10, 10, 4, 3), 10, 'kmeans++', 1],
      [lattice(500, 3, 4, 9), 6, 'random rows', 4],
    ];
    for (const [matrix, k, init, seed] of cases) {
      const start = initial(matrix, k, init, seed);
      const rows = toRows(matrix);
      assert.deepStrictEqual(referenceSteps(rows, start, 300, 0), mlKmeansSteps(rows, start, 300, 0));
    }
  });

  it('beyond one chunk, blobs 30,000 × 10 and 5,000 × 4: at every step the assignments and the iteration of ml-kmeans, centroids within centroidBound, and some not the same bits', () => {
    for (const [matrix, k] of [
      [blobs(30_000, 10, 10, 4, 43), 10],
      [blobs(5_000, 4, 5, 3, 2), 5],
    ] as const) {
      const start = initial(matrix, k, 'kmeans++', 1);
      const rows = toRows(matrix);
      const chunked = referenceSteps(rows, start, 300, 0);
      const plain = mlKmeansSteps(rows, start, 300, 0);
      assert.equal(chunked.length, plain.length);
      let differing = 0;
      chunked.forEach((step, t) => {
        assert.deepStrictEqual(
          [step.iterations, step.converged, step.clusters],
          [plain[t]!.iterations, plain[t]!.converged, plain[t]!.clusters],
          `step ${t + 1}`,
        );
        step.centroids.forEach((centroid, c) =>
          centroid.forEach((value, j) => {
            const theirs = plain[t]!.centroids[c]![j]!;
            if (value !== theirs) differing++;
            assert.ok(Math.abs(value - theirs) <= centroidBound(rows, k, step.clusters, c, j, theirs), `step ${t + 1}, centroid ${c}, column ${j}`);
          }),
        );
      });
      assert.ok(differing > 0, `rows ${matrix.rows}: every centroid had ml-kmeans' bits`);
    }
  });
});
