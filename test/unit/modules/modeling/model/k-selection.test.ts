import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_K_RANGE_WIDTH, ModelInputError, runKMeans, RunCancelledError, selectK, type KScore } from '../../../../../src/modules/modeling/model';
import { matrixFromRows } from '../../../../support/modeling';
import { blobMatrix, THREE_BLOB_CENTRES } from './fixtures';

const RUN = { initialization: 'KMEANS_PLUS_PLUS', nInit: 3, maxIterations: 300, tolerance: 1e-8, seed: 13 } as const;
const isInputError = (reason: string) => (error: unknown) => error instanceof ModelInputError && error.reason === reason;

describe('selectK', () => {
  it('three well-separated blobs, range 2..6: scores every k and chooses 3 by the highest silhouette', () => {
    const matrix = blobMatrix(THREE_BLOB_CENTRES, 100, 1, 17);
    const result = selectK(matrix, { ...RUN, min: 2, max: 6 });
    assert.deepEqual(
      result.scores.map((s) => s.k),
      [2, 3, 4, 5, 6],
    );
    assert.equal(result.rule, 'MAX_SILHOUETTE');
    assert.equal(result.chosenK, 3);
    const best = Math.max(...result.scores.map((s) => s.silhouette!));
    assert.equal(result.scores.find((s) => s.k === 3)!.silhouette, best);
    assert.deepEqual(result.run.clusterSizes, [100, 100, 100]);
    assert.deepEqual(result.evaluatedRange, { min: 2, max: 6 });
    assert.equal(result.maxCappedByRows, false);
    for (const s of result.scores) {
      assert.ok(s.daviesBouldin !== null && s.calinskiHarabasz !== null && s.converged, `k = ${s.k}`);
    }
    // The blobs are separated: at k = 3, Davies–Bouldin is at its lowest and Calinski–Harabasz at its highest too.
    const at3 = result.scores[1]!;
    assert.ok(result.scores.every((s) => s.daviesBouldin! >= at3.daviesBouldin! && s.calinskiHarabasz! <= at3.calinskiHarabasz!));
  });

  it('the chosen run is exactly what runKMeans gives for that k with the same options', () => {
    const matrix = blobMatrix(THREE_BLOB_CENTRES, 40, 1.5, 3);
    const result = selectK(matrix, { ...RUN, min: 2, max: 5 });
    assert.deepEqual(result.run, runKMeans(matrix, { ...RUN, k: result.chosenK }));
    assert.equal(result.scores.find((s) => s.k === result.chosenK)!.inertia, result.run.inertia);
  });

  it(`a range of ${MAX_K_RANGE_WIDTH} values is accepted; one of ${MAX_K_RANGE_WIDTH + 1} is rejected with K_RANGE_TOO_WIDE`, () => {
    assert.equal(MAX_K_RANGE_WIDTH, 12);
    const matrix = blobMatrix(THREE_BLOB_CENTRES, 10, 1, 1);
    assert.equal(selectK(matrix, { ...RUN, nInit: 1, min: 2, max: 13 }).scores.length, 12);
    assert.throws(() => selectK(matrix, { ...RUN, min: 2, max: 14 }), isInputError('K_RANGE_TOO_WIDE'));
  });

  it('max above rows − 1 is capped at rows − 1 and reported', () => {
    const matrix = matrixFromRows([[0], [1], [5], [6], [20]]);
    const result = selectK(matrix, { ...RUN, min: 2, max: 8 });
    assert.deepEqual(
      result.scores.map((s) => s.k),
      [2, 3, 4],
    );
    assert.deepEqual(result.evaluatedRange, { min: 2, max: 4 });
    assert.equal(result.maxCappedByRows, true);
  });

  const badRanges: [string, number, number][] = [
    ['min above rows − 1', 5, 6],
    ['min below 2', 1, 3],
    ['max below min', 4, 3],
    ['a non-integer bound', 2, 3.5],
  ];
  for (const [name, min, max] of badRanges) {
    it(`${name} (${min}..${max} on 5 rows) is a ModelInputError (INVALID_K_RANGE)`, () => {
      const matrix = matrixFromRows([[0], [1], [5], [6], [20]]);
      assert.throws(() => selectK(matrix, { ...RUN, min, max }), isInputError('INVALID_K_RANGE'));
    });
  }

  it('equal silhouettes choose the smaller k (two distinct points: every k ≥ 2 scores 1)', () => {
    const matrix = matrixFromRows([[0], [0], [0], [5], [5], [5]]);
    const result = selectK(matrix, { ...RUN, min: 2, max: 4 });
    assert.deepEqual(
      result.scores.map((s) => s.silhouette),
      [1, 1, 1],
    );
    assert.equal(result.chosenK, 2);
  });

  it('when no k has a defined silhouette (all rows identical), the smallest k is chosen and the scores are null', () => {
    const matrix = matrixFromRows([
      [1, 1],
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    const result = selectK(matrix, { ...RUN, min: 2, max: 3 });
    assert.equal(result.chosenK, 2);
    assert.ok(result.scores.every((s) => s.silhouette === null && s.daviesBouldin === null && s.calinskiHarabasz === null));
  });

  it('hooks: onIteration events carry their k, onKEvaluated is called once per k in order', () => {
    const matrix = blobMatrix(THREE_BLOB_CENTRES, 30, 1, 8);
    const ks = new Set<number>();
    const evaluated: KScore[] = [];
    const result = selectK(matrix, { ...RUN, min: 2, max: 4 }, { onIteration: (event) => ks.add(event.k), onKEvaluated: (score) => evaluated.push(score) });
    assert.deepEqual([...ks], [2, 3, 4]);
    assert.deepEqual(evaluated, result.scores);
  });

  it('shouldCancel during the second k throws RunCancelledError', () => {
    const matrix = blobMatrix(THREE_BLOB_CENTRES, 30, 1, 8);
    let evaluated = 0;
    assert.throws(
      () => selectK(matrix, { ...RUN, min: 2, max: 4 }, { onKEvaluated: () => evaluated++, shouldCancel: () => evaluated >= 1 }),
      RunCancelledError,
    );
    assert.equal(evaluated, 1);
  });
});
