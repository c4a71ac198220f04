import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstTwoComponents } from '../../../../../src/modules/run/report/principal-components';
import { Reservoir } from '../../../../../src/modules/run/report/reservoir';
import { SeededRandom } from '../../../../../src/shared/seeded-random';

describe('the report sample (Reservoir)', () => {
  it('keeps every item, in order, when the stream is shorter than the limit', () => {
    const reservoir = new Reservoir<number>(10, 1);
    for (let item = 0; item < 7; item++) reservoir.offer(item);
    assert.deepEqual(reservoir.items(), [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(reservoir.offered, 7);
  });

  it('keeps exactly the limit from a long stream, distinct and in stream order, the same for the same seed and another for another seed', () => {
    const draw = (seed: number) => {
      const reservoir = new Reservoir<number>(50, seed);
      for (let item = 0; item < 10_000; item++) reservoir.offer(item);
      return reservoir.items();
    };
    const sample = draw(42);
    assert.equal(sample.length, 50);
    assert.equal(new Set(sample).size, 50);
    assert.deepEqual(
      sample,
      [...sample].sort((a, b) => a - b),
    );
    assert.deepEqual(draw(42), sample);
    assert.notDeepEqual(draw(43), sample);
  });

  it('gives every item the same chance: over 2,000 draws of 10 from 100, each item is kept about 200 times', () => {
    const kept = new Array<number>(100).fill(0);
    for (let seed = 0; seed < 2_000; seed++) {
      const reservoir = new Reservoir<number>(10, seed);
      for (let item = 0; item < 100; item++) reservoir.offer(item);
      for (const item of reservoir.items()) kept[item]! += 1;
    }
    // Binomial(2000, 0.1): mean 200, sd 13.4; ±5 sd.
    assert.ok(
      kept.every((count) => count > 133 && count < 267),
      JSON.stringify(kept),
    );
  });
});

describe('the first two principal components', () => {
  it('of points along a line y = 2x in 3-D with noise on z: PC1 follows the line and explains the variance of the two correlated columns', () => {
    const random = new SeededRandom(5);
    const rows = 500;
    const values = new Float64Array(rows * 3);
    for (let row = 0; row < rows; row++) {
      const t = random.normal();
      values.set([t, 2 * t, random.normal()], row * 3);
    }
    const { x, y, explained } = firstTwoComponents(values, rows, 3);
    // Standardized, the first two columns are the same column: PC1 is their sum over √2, with 2/3 of the variance
    // (z's chance correlation with them in 500 rows tilts it a little).
    assert.ok(Math.abs(explained[0] - 2 / 3) < 0.02, `PC1 explains ${explained[0]}`);
    assert.ok(Math.abs(explained[1] - 1 / 3) < 0.02, `PC2 explains ${explained[1]}`);
    const correlation = pearson(
      x,
      Float64Array.from({ length: rows }, (_, row) => values[row * 3]!),
    );
    assert.ok(correlation > 0.99, `PC1 against the line's parameter: ${correlation}`);
    assert.ok(Math.abs(pearson(x, y)) < 1e-9, 'the components are uncorrelated');
  });

  it('is the same for the same rows, with each sign fixed', () => {
    const random = new SeededRandom(9);
    const values = Float64Array.from({ length: 40 * 4 }, () => random.next());
    const first = firstTwoComponents(values, 40, 4);
    const second = firstTwoComponents(Float64Array.from(values), 40, 4);
    assert.deepEqual([...first.x, ...first.y], [...second.x, ...second.y]);
  });

  it('of one column: PC1 is the standardized column and PC2 is zero', () => {
    const { x, y, explained } = firstTwoComponents(Float64Array.from([1, 2, 3, 4]), 4, 1);
    const sd = Math.sqrt(1.25);
    assert.deepEqual(
      [...x].map((value) => Number(value.toFixed(12))),
      [-1.5, -0.5, 0.5, 1.5].map((value) => Number((value / sd).toFixed(12))),
    );
    assert.deepEqual([...y], [0, 0, 0, 0]);
    assert.deepEqual(explained, [1, 0]);
  });
});

function pearson(a: Float64Array, b: Float64Array): number {
  const mean = (values: Float64Array) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const [ma, mb] = [mean(a), mean(b)];
  let [ab, aa, bb] = [0, 0, 0];
  for (let index = 0; index < a.length; index++) {
    ab += (a[index]! - ma) * (b[index]! - mb);
    aa += (a[index]! - ma) ** 2;
    bb += (b[index]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}
