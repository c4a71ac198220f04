import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepare, prepareRow, StreamingPreparation } from '../../../../../src/modules/modeling/model';
import { SeededRandom } from '../../../../../src/shared/seeded-random';

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} against ${expected}`);

/** 500 rows × 3 columns of varied scale, NULLs in the first row, the last row and at random. */
function table() {
  const random = new SeededRandom(9);
  const rows = 500;
  const values = Float64Array.from({ length: rows * 3 }, (_, at) => (random.next() < 0.05 ? Number.NaN : (random.normal() + (at % 3)) * 10 ** (at % 3)));
  values[0] = Number.NaN;
  values[rows * 3 - 1] = Number.NaN;
  return { values, rows, columns: 3 };
}

describe('StreamingPreparation and prepareRow (MINI_BATCH) against prepare', () => {
  for (const missing of ['DROP', 'MEAN'] as const) {
    for (const scaling of ['NONE', 'STANDARD', 'MINMAX'] as const) {
      it(`${missing} + ${scaling}: the same column statistics, scaling and prepared rows as prepare() on the whole table, to 1e-12`, () => {
        const raw = table();
        const whole = prepare({ ...raw, values: Float64Array.from(raw.values) }, { missing, scaling });
        const streaming = new StreamingPreparation(raw.columns, String);
        for (let row = 0; row < raw.rows; row++) streaming.add(raw.values, row * raw.columns);
        const fitted = streaming.finish({ missing, scaling });
        assert.equal(fitted.rowsKept, whole.matrix.rows);
        fitted.columnStats.forEach((stats, j) => {
          const expected = whole.columnStats[j]!;
          assert.deepEqual([stats.count, stats.nulls, stats.min, stats.max], [expected.count, expected.nulls, expected.min, expected.max]);
          close(stats.mean, expected.mean, `mean ${j}`);
          close(stats.stddev, expected.stddev, `stddev ${j}`);
          close(fitted.scaling.offset[j]!, whole.scaling.offset[j]!, `offset ${j}`);
          close(fitted.scaling.scale[j]!, whole.scaling.scale[j]!, `scale ${j}`);
        });
        const out = new Float64Array(raw.columns);
        let kept = 0;
        for (let row = 0; row < raw.rows; row++) {
          if (!prepareRow(raw.values, row * raw.columns, out, { missing, scaling }, fitted.columnStats, fitted.scaling, String)) continue;
          assert.equal(whole.keptRowIndexes ? whole.keptRowIndexes[kept] : kept, row);
          out.forEach((value, j) => assert.ok(Math.abs(value - whole.matrix.values[kept * raw.columns + j]!) <= 1e-9, `row ${row} column ${j}`));
          kept += 1;
        }
        assert.equal(kept, whole.matrix.rows);
      });
    }
  }
});
