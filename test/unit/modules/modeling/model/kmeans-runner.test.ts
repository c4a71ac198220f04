import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kmeans } from 'ml-kmeans';
import {
  LLOYD_ENGINE,
  ModelInputError,
  rowView,
  runKMeans,
  RunCancelledError,
  type IterationEvent,
  type KMeansOptions,
  type Matrix,
} from '../../../../../src/modules/modeling/model';
import { ML_KMEANS_ENGINE } from '../../../../support/kmeans-oracle';
import { matrixFromRows } from '../../../../support/modeling';
import { adjustedRandIndex, blobMatrix, iris, purity, standardizedIris, THREE_BLOB_CENTRES } from './fixtures';

const OPTIONS: KMeansOptions = { k: 3, initialization: 'KMEANS_PLUS_PLUS', nInit: 1, maxIterations: 300, tolerance: 1e-8, seed: 7 };

/** Overlapping blobs and random starts: many iterations, to exercise the per-iteration hooks. */
const SLOW = {
  matrix: blobMatrix(
    [
      [0, 0],
      [3, 0],
      [0, 3],
      [3, 3],
    ],
    100,
    1.2,
    11,
  ),
  options: { ...OPTIONS, k: 4, initialization: 'RANDOM' as const },
};

const toRows = (matrix: Matrix) => Array.from({ length: matrix.rows }, (_, i) => Array.from(rowView(matrix, i)));

const isInputError = (reason: string) => (error: unknown) => error instanceof ModelInputError && error.reason === reason;

describe('runKMeans', () => {
  const datasets = [
    ['iris (standardized)', standardizedIris()],
    ['three 3-D blobs', blobMatrix(THREE_BLOB_CENTRES, 200, 2, 5)],
  ] as const;
  for (const [name, matrix] of datasets) {
    for (const initialization of ['KMEANS_PLUS_PLUS', 'RANDOM'] as const) {
      it(`${name}, ${initialization}: from the same initial centroids, assignments, centroids and iterations equal ml-kmeans kmeans() called directly`, () => {
        const ours = runKMeans(matrix, { ...OPTIONS, initialization });
        const theirs = kmeans(toRows(matrix), 3, { initialization: ours.initialCentroids, maxIterations: 300, tolerance: 1e-8 });
        assert.deepEqual(Array.from(ours.assignments), theirs.clusters);
        assert.deepEqual(ours.centroids, theirs.centroids);
        assert.equal(ours.iterations, theirs.iterations);
        assert.equal(ours.converged, theirs.converged);
      });
    }
  }

  it('the same seed gives identical results twice (assignments, centroids, distances, inertias)', () => {
    const matrix = standardizedIris();
    for (const initialization of ['KMEANS_PLUS_PLUS', 'RANDOM'] as const) {
      const options = { ...OPTIONS, initialization, nInit: 4 };
      assert.deepEqual(runKMeans(matrix, options), runKMeans(matrix, options));
    }
  });

  it('different seeds start from different initial centroids', () => {
    const matrix = standardizedIris();
    const a = runKMeans(matrix, { ...OPTIONS, seed: 1 });
    const b = runKMeans(matrix, { ...OPTIONS, seed: 2 });
    assert.notDeepEqual(a.initialCentroids, b.initialCentroids);
  });

  it('iris, k = 3, STANDARD scaling: reaches the known optimum (inertia 139.8205, sizes 47/50/53), isolates setosa and agrees with the species (purity ≥ 0.8, ARI ≥ 0.6)', () => {
    const { species } = iris();
    const result = runKMeans(standardizedIris(), { ...OPTIONS, nInit: 5, seed: 1 });
    // scikit-learn: KMeans(n_clusters=3, n_init=10, random_state=0).fit(StandardScaler().fit_transform(load_iris().data)).inertia_ == 139.82049635974982
    assert.ok(Math.abs(result.inertia - 139.82049635974982) < 1e-9, `inertia ${result.inertia}`);
    assert.deepEqual(
      [...result.clusterSizes].sort((x, y) => x - y),
      [47, 50, 53],
    );
    const setosaClusters = new Set(species.flatMap((s, i) => (s === 'setosa' ? [result.assignments[i]] : [])));
    assert.equal(setosaClusters.size, 1);
    assert.equal(result.clusterSizes[[...setosaClusters][0]!], 50);
    assert.ok(purity(result.assignments, species) >= 0.8, `purity ${purity(result.assignments, species)}`);
    assert.ok(adjustedRandIndex(result.assignments, species) >= 0.6, `ARI ${adjustedRandIndex(result.assignments, species)}`);
  });

  it('nInit = 5 keeps the restart with the lowest inertia, and restart 0 is the nInit = 1 run', () => {
    const matrix = standardizedIris();
    const result = runKMeans(matrix, { ...OPTIONS, nInit: 5, seed: 1 });
    assert.equal(result.restartInertias.length, 5);
    assert.ok(new Set(result.restartInertias).size > 1, 'the restarts should differ for this seed, or the test proves nothing');
    const lowest = Math.min(...result.restartInertias);
    assert.equal(result.inertia, lowest);
    assert.equal(result.bestRestart, result.restartInertias.indexOf(lowest));
    assert.notEqual(result.bestRestart, 0);
    assert.equal(runKMeans(matrix, { ...OPTIONS, nInit: 1, seed: 1 }).inertia, result.restartInertias[0]);
  });

  for (const [name, engine] of [
    ['Lloyd', LLOYD_ENGINE],
    ['ml-kmeans', ML_KMEANS_ENGINE],
  ] as const) {
    it(`tolerance 0 (${name}), overlapping blobs from RANDOM starts: converges, the assignments are a fixed point and equal ml-kmeans run from the same start until no centroid moves`, () => {
      const { matrix, options } = SLOW;
      const result = runKMeans(matrix, { ...options, tolerance: 0, maxIterations: 10_000 }, {}, engine);
      assert.equal(result.converged, true);
      assert.ok(result.iterations > 2, `needs several iterations to prove anything, got ${result.iterations}`);
      // One more assignment step keeps every row where it is (ties go to the lower index, as in ml-kmeans).
      for (let i = 0; i < matrix.rows; i++) {
        const distances = result.centroids.map((centroid) => Array.from(rowView(matrix, i)).reduce((sum, v, j) => sum + (v - centroid[j]!) ** 2, 0));
        assert.equal(distances.indexOf(Math.min(...distances)), result.assignments[i], `row ${i}`);
      }
      const reference = kmeans(toRows(matrix), options.k, { initialization: result.initialCentroids, maxIterations: 10_000, tolerance: 0 });
      assert.equal(reference.converged, true);
      assert.deepEqual(Array.from(result.assignments), reference.clusters);
      assert.deepEqual(result.centroids, reference.centroids);
      assert.equal(result.iterations, reference.iterations);
      // A positive tolerance stops earlier on the same start: 0 is not read as "use the default".
      assert.ok(runKMeans(matrix, { ...options, tolerance: 0.05, maxIterations: 10_000 }, {}, engine).iterations < result.iterations);
    });
  }

  it('inertia is the sum of squared row-to-centroid distances, and distances are Euclidean to the assigned centroid', () => {
    const matrix = blobMatrix(THREE_BLOB_CENTRES, 50, 2, 3);
    const result = runKMeans(matrix, OPTIONS);
    let sum = 0;
    for (let i = 0; i < matrix.rows; i++) {
      const centroid = result.centroids[result.assignments[i]!]!;
      const expected = Math.hypot(...Array.from(rowView(matrix, i), (v, j) => v - centroid[j]!));
      assert.ok(Math.abs(result.distances[i]! - expected) < 1e-12);
      sum += result.distances[i]! ** 2;
    }
    assert.ok(Math.abs(result.inertia - sum) < 1e-9 * sum);
    assert.deepEqual(
      result.clusterSizes.reduce((a, b) => a + b, 0),
      matrix.rows,
    );
  });

  it('onIteration is called once per iteration, numbered 1.., with non-increasing inertia within each restart; the best restart’s last event matches the result', () => {
    const events: IterationEvent[] = [];
    const result = runKMeans(SLOW.matrix, { ...SLOW.options, nInit: 3, seed: 4 }, { onIteration: (event) => events.push(event) });
    for (let restart = 0; restart < 3; restart++) {
      const own = events.filter((event) => event.restart === restart);
      assert.ok(own.length > 3, `restart ${restart} ran only ${own.length} iterations`);
      assert.deepEqual(
        own.map((event) => event.iteration),
        own.map((_, i) => i + 1),
      );
      for (let i = 1; i < own.length; i++) {
        assert.ok(own[i]!.inertia <= own[i - 1]!.inertia * (1 + 1e-12), `restart ${restart}, iteration ${i + 1}: ${own[i]!.inertia} > ${own[i - 1]!.inertia}`);
        assert.equal(
          own[i]!.clusterSizes.reduce((a, b) => a + b, 0),
          SLOW.matrix.rows,
        );
      }
    }
    const best = events.filter((event) => event.restart === result.bestRestart);
    assert.equal(best.length, result.iterations);
    assert.equal(best.at(-1)!.inertia, result.inertia);
    assert.deepEqual(best.at(-1)!.clusterSizes, result.clusterSizes);
    if (result.converged) assert.ok(best.at(-1)!.centroidShift <= 1e-8);
  });

  it('shouldCancel turning true after the 3rd iteration throws RunCancelledError before a 4th iteration runs', () => {
    let iterations = 0;
    assert.throws(
      () =>
        runKMeans(SLOW.matrix, SLOW.options, {
          onIteration: () => iterations++,
          shouldCancel: () => iterations >= 3,
        }),
      RunCancelledError,
    );
    assert.equal(iterations, 3);
  });

  it('shouldCancel already true throws RunCancelledError before any iteration', () => {
    let iterations = 0;
    assert.throws(() => runKMeans(SLOW.matrix, SLOW.options, { onIteration: () => iterations++, shouldCancel: () => true }), RunCancelledError);
    assert.equal(iterations, 0);
  });

  it('k-means++ seeding on a sample smaller than the table still finds three well-separated blobs', () => {
    const result = runKMeans(blobMatrix(THREE_BLOB_CENTRES, 300, 1, 9), { ...OPTIONS, seedingSampleSize: 30 });
    assert.deepEqual(result.clusterSizes, [300, 300, 300]);
  });

  it('data with fewer distinct points than k runs and reports an empty cluster (size 0)', () => {
    const matrix = matrixFromRows([
      [0, 0],
      [0, 0],
      [0, 0],
      [5, 5],
      [5, 5],
      [5, 5],
    ]);
    const result = runKMeans(matrix, { ...OPTIONS, k: 3 });
    assert.deepEqual([...result.clusterSizes].sort(), [0, 3, 3]);
    assert.equal(result.inertia, 0);
  });

  for (const k of [1, 0, -2, 2.5, 7]) {
    it(`k = ${k} on 6 rows is a ModelInputError (INVALID_K)`, () => {
      const matrix = matrixFromRows([[0], [1], [2], [3], [4], [5]]);
      assert.throws(() => runKMeans(matrix, { ...OPTIONS, k }), isInputError('INVALID_K'));
    });
  }

  const badOptions: [string, Partial<KMeansOptions>][] = [
    ['nInit = 0', { nInit: 0 }],
    ['nInit = 51', { nInit: 51 }],
    ['maxIterations = 0', { maxIterations: 0 }],
    ['maxIterations = 10001', { maxIterations: 10_001 }],
    ['tolerance = -1e-12', { tolerance: -1e-12 }],
    ['tolerance = NaN', { tolerance: Number.NaN }],
    ['tolerance = Infinity', { tolerance: Number.POSITIVE_INFINITY }],
    ['seed = -1', { seed: -1 }],
    ['seed = 2^32', { seed: 2 ** 32 }],
    ['seedingSampleSize = 0', { seedingSampleSize: 0 }],
    ['initialization = mostDistant', { initialization: 'mostDistant' as never }],
  ];
  for (const [name, change] of badOptions) {
    it(`${name} is a ModelInputError (INVALID_OPTION)`, () => {
      assert.throws(() => runKMeans(blobMatrix(THREE_BLOB_CENTRES, 5, 1, 1), { ...OPTIONS, ...change }), isInputError('INVALID_OPTION'));
    });
  }

  it('a NaN or an astronomically large value in the matrix is a ModelInputError (NON_FINITE_VALUE)', () => {
    for (const bad of [Number.NaN, 1e200]) {
      assert.throws(
        () =>
          runKMeans(
            matrixFromRows([
              [0, 1],
              [2, bad],
              [3, 4],
            ]),
            { ...OPTIONS, k: 2 },
          ),
        isInputError('NON_FINITE_VALUE'),
      );
    }
  });
});
