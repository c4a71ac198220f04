import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calinskiHarabasz, daviesBouldin, rowView, silhouette, type Matrix } from '../../../../../src/modules/modeling/model';
import { matrixFromRows } from '../../../../support/modeling';
import { blobs } from './fixtures';

/*
 * Expected values computed once with Python 3.11 + scikit-learn 1.9.1 (numpy 2.4.6):
 *
 *   import numpy as np
 *   from sklearn.metrics import silhouette_score, davies_bouldin_score, calinski_harabasz_score
 *   X = np.array([[1, 2], [1.5, 1.8], [5, 8], [8, 8], [1, 0.6], [9, 11], [8, 2], [10, 2], [9, 3], [4, 7], [0.5, 1.5], [7.5, 9]])
 *   for labels in ([0, 0, 1, 1, 0, 1, 2, 2, 2, 1, 0, 1], [0, 0, 1, 1, 0, 1, 2, 2, 2, 3, 0, 1]):
 *       y = np.array(labels)
 *       print(repr(silhouette_score(X, y)), repr(davies_bouldin_score(X, y)), repr(calinski_harabasz_score(X, y)))
 *   Z = np.array([[0, 0], [0, 0], [1, 1], [1, 1]])
 *   z = np.array([0, 0, 1, 1])
 *   print(repr(silhouette_score(Z, z)), repr(davies_bouldin_score(Z, z)), repr(calinski_harabasz_score(Z, z)))
 *
 * which printed
 *   0.6993740901133969 0.4041196117548618 37.2479575272108
 *   0.5320865895034615 0.3550452856202158 38.103324269800886
 *   1.0 0.0 1.0
 */
const X = [
  [1, 2],
  [1.5, 1.8],
  [5, 8],
  [8, 8],
  [1, 0.6],
  [9, 11],
  [8, 2],
  [10, 2],
  [9, 3],
  [4, 7],
  [0.5, 1.5],
  [7.5, 9],
];
const CASES = [
  {
    name: 'three clusters',
    data: X,
    labels: [0, 0, 1, 1, 0, 1, 2, 2, 2, 1, 0, 1],
    k: 3,
    silhouette: 0.6993740901133969,
    daviesBouldin: 0.4041196117548618,
    calinskiHarabasz: 37.2479575272108,
  },
  {
    name: 'four clusters, one a singleton',
    data: X,
    labels: [0, 0, 1, 1, 0, 1, 2, 2, 2, 3, 0, 1],
    k: 4,
    silhouette: 0.5320865895034615,
    daviesBouldin: 0.3550452856202158,
    calinskiHarabasz: 38.103324269800886,
  },
  // sklearn ignores labels that do not occur; cluster 4 here is empty, so the values are those of the case above.
  {
    name: 'four clusters, one a singleton, plus an empty fifth',
    data: X,
    labels: [0, 0, 1, 1, 0, 1, 2, 2, 2, 3, 0, 1],
    k: 5,
    silhouette: 0.5320865895034615,
    daviesBouldin: 0.3550452856202158,
    calinskiHarabasz: 38.103324269800886,
  },
  // Zero within-cluster dispersion: silhouette 1, Davies–Bouldin 0 (sklearn's allclose rule), Calinski–Harabasz 1 (sklearn's convention).
  {
    name: 'two clusters of duplicated points',
    data: [
      [0, 0],
      [0, 0],
      [1, 1],
      [1, 1],
    ],
    labels: [0, 0, 1, 1],
    k: 2,
    silhouette: 1,
    daviesBouldin: 0,
    calinskiHarabasz: 1,
  },
];

/** Cluster means, as runKMeans returns them; an empty cluster gets an arbitrary far-away centroid that must be ignored. */
function means(matrix: Matrix, labels: Int32Array, k: number): number[][] {
  const sums = Array.from({ length: k }, () => new Array<number>(matrix.columns).fill(0));
  const sizes = new Array<number>(k).fill(0);
  labels.forEach((label, i) => {
    sizes[label]!++;
    rowView(matrix, i).forEach((v, j) => (sums[label]![j]! += v));
  });
  return sums.map((sum, c) => (sizes[c] ? sum.map((v) => v / sizes[c]!) : sum.map(() => 1e6)));
}

function assertClose(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs scikit-learn ${expected}`);
}

describe('scores', () => {
  for (const c of CASES) {
    it(`${c.name}: silhouette, Davies–Bouldin and Calinski–Harabasz equal scikit-learn's values`, () => {
      const matrix = matrixFromRows(c.data);
      const labels = Int32Array.from(c.labels);
      const centroids = means(matrix, labels, c.k);
      const s = silhouette(matrix, labels, c.k, { seed: 1 });
      assert.equal(s.sampled, false);
      assert.equal(s.sampleSize, c.data.length);
      assertClose(s.value, c.silhouette, 'silhouette');
      assertClose(daviesBouldin(matrix, labels, centroids), c.daviesBouldin, 'Davies–Bouldin');
      assertClose(calinskiHarabasz(matrix, labels, centroids), c.calinskiHarabasz, 'Calinski–Harabasz');
    });
  }

  it('every score is null (undefined, where scikit-learn raises) when only one cluster has rows', () => {
    const matrix = matrixFromRows([[0], [1], [2]]);
    const labels = Int32Array.from([1, 1, 1]);
    const centroids = [[9], [1]];
    assert.equal(silhouette(matrix, labels, 2, { seed: 1 }).value, null);
    assert.equal(daviesBouldin(matrix, labels, centroids), null);
    assert.equal(calinskiHarabasz(matrix, labels, centroids), null);
  });

  it('every score is null when each row is its own cluster (as many clusters as rows)', () => {
    const matrix = matrixFromRows([[0], [1], [2]]);
    const labels = Int32Array.from([0, 1, 2]);
    assert.equal(silhouette(matrix, labels, 3, { seed: 1 }).value, null);
    assert.equal(daviesBouldin(matrix, labels, [[0], [1], [2]]), null);
    assert.equal(calinskiHarabasz(matrix, labels, [[0], [1], [2]]), null);
  });

  it('silhouette on 4,000 rows with sampleSize 1,000 reports sampled=true and stays within 0.04 of the exact value', () => {
    // Over 60 seeds the sampled value here is unbiased with a standard deviation of about 0.01, so 0.04 is a ~4σ bound.
    const data = blobs(
      [
        [0, 0],
        [4, 0],
        [2, 3],
      ],
      1334,
      1.3,
      21,
    );
    const matrix = matrixFromRows(data.rows.slice(0, 4000));
    const labels = Int32Array.from(data.labels.slice(0, 4000));
    const exact = silhouette(matrix, labels, 3, { sampleSize: 4000, seed: 1 });
    assert.equal(exact.sampled, false);
    for (const seed of [1, 2, 3]) {
      const sampled = silhouette(matrix, labels, 3, { sampleSize: 1000, seed });
      assert.equal(sampled.sampled, true);
      assert.equal(sampled.sampleSize, 1000);
      assert.ok(Math.abs(sampled.value! - exact.value!) < 0.04, `seed ${seed}: ${sampled.value} vs exact ${exact.value}`);
    }
  });

  it('the sampled silhouette is deterministic for a seed', () => {
    const data = blobs(
      [
        [0, 0],
        [4, 0],
      ],
      300,
      1,
      2,
    );
    const matrix = matrixFromRows(data.rows);
    const labels = Int32Array.from(data.labels);
    assert.deepEqual(silhouette(matrix, labels, 2, { sampleSize: 100, seed: 9 }), silhouette(matrix, labels, 2, { sampleSize: 100, seed: 9 }));
  });
});
