import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelInputError, prepare, rowView, unscaleCentroids, type Matrix } from '../../../../../src/modules/modeling/model';
import { scaleCentroids } from '../../../../support/modeling';

const NaN_ = Number.NaN;

function table(rows: number[][]) {
  return { values: Float64Array.from(rows.flat()), rows: rows.length, columns: rows[0]!.length };
}

/** The table's values on a SharedArrayBuffer, as readFeatureTable gives them. */
function sharedTable(rows: number[][]) {
  const values = new Float64Array(new SharedArrayBuffer(rows.length * rows[0]!.length * 8));
  values.set(rows.flat());
  return { values, rows: rows.length, columns: rows[0]!.length };
}

function column(matrix: Matrix, j: number): number[] {
  return Array.from({ length: matrix.rows }, (_, i) => rowView(matrix, i)[j]!);
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const populationStd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

const WITH_GAPS = [
  [1, 10],
  [2, NaN_],
  [NaN_, 30],
  [4, 40],
  [5, 50],
];

describe('prepare', () => {
  it('DROP removes every row with a missing value, keeps the others in order and reports rowsDropped', () => {
    const prepared = prepare(table(WITH_GAPS), { missing: 'DROP', scaling: 'NONE' });
    assert.equal(prepared.rowsRead, 5);
    assert.equal(prepared.rowsDropped, 2);
    assert.deepEqual(Array.from(prepared.keptRowIndexes!), [0, 3, 4]);
    assert.deepEqual(Array.from(prepared.matrix.values), [1, 10, 4, 40, 5, 50]);
  });

  for (const inPlace of [false, true]) {
    it(`DROP with no missing value keeps every row without an index array, the values unchanged${inPlace ? ' (in place)' : ''}`, () => {
      const full = [
        [1, 10],
        [2, 20],
        [3, 30],
      ];
      const raw = inPlace ? sharedTable(full) : table(full);
      const prepared = prepare(raw, { missing: 'DROP', scaling: 'NONE' }, undefined, inPlace);
      assert.equal(prepared.keptRowIndexes, null);
      assert.equal(prepared.rowsDropped, 0);
      assert.deepEqual(Array.from(prepared.matrix.values), [1, 10, 2, 20, 3, 30]);
      assert.equal(prepared.matrix.values.buffer === raw.values.buffer, inPlace);
    });
  }

  it('DROP with only the last row incomplete, or only the first: the index array names the rows kept', () => {
    const last = prepare(
      table([
        [1, 10],
        [2, 20],
        [3, NaN],
      ]),
      { missing: 'DROP', scaling: 'NONE' },
    );
    assert.deepEqual(Array.from(last.keptRowIndexes!), [0, 1]);
    assert.deepEqual(Array.from(last.matrix.values), [1, 10, 2, 20]);
    const first = prepare(
      table([
        [NaN, 10],
        [2, 20],
        [3, 30],
      ]),
      { missing: 'DROP', scaling: 'NONE' },
    );
    assert.deepEqual(Array.from(first.keptRowIndexes!), [1, 2]);
    assert.deepEqual(Array.from(first.matrix.values), [2, 20, 3, 30]);
  });

  it('MEAN replaces each missing value by its column mean over the non-missing values and keeps every row', () => {
    const prepared = prepare(table(WITH_GAPS), { missing: 'MEAN', scaling: 'NONE' });
    assert.equal(prepared.rowsDropped, 0);
    assert.equal(prepared.keptRowIndexes, null, 'every row kept: no index array');
    assert.deepEqual(column(prepared.matrix, 0), [1, 2, 3, 4, 5]); // mean of 1, 2, 4, 5
    assert.deepEqual(column(prepared.matrix, 1), [10, 32.5, 30, 40, 50]); // mean of 10, 30, 40, 50
  });

  it('column stats describe the raw input: counts, nulls, min, max, mean and population stddev of the non-missing values', () => {
    const { columnStats } = prepare(table(WITH_GAPS), { missing: 'DROP', scaling: 'STANDARD' });
    assert.deepEqual(columnStats[0], { count: 4, nulls: 1, min: 1, max: 5, mean: 3, stddev: Math.sqrt(2.5) });
    assert.equal(columnStats[1]!.nulls, 1);
    assert.equal(columnStats[1]!.mean, 32.5);
  });

  it('STANDARD gives every column mean 0 and population standard deviation 1 (as StandardScaler)', () => {
    const prepared = prepare(
      table([
        [1, 100],
        [2, 300],
        [3, 200],
        [10, 900],
        [4, 0],
      ]),
      { missing: 'DROP', scaling: 'STANDARD' },
    );
    for (const j of [0, 1]) {
      const values = column(prepared.matrix, j);
      assert.ok(Math.abs(mean(values)) < 1e-12, `column ${j} mean ${mean(values)}`);
      assert.ok(Math.abs(populationStd(values) - 1) < 1e-12, `column ${j} std ${populationStd(values)}`);
    }
    assert.deepEqual(prepared.scaling.offset, [4, 300]);
    assert.equal(prepared.scaling.scale[0], populationStd([1, 2, 3, 10, 4]));
  });

  it('STANDARD after MEAN imputation is fitted on the imputed column, so it still has std 1', () => {
    const prepared = prepare(table(WITH_GAPS), { missing: 'MEAN', scaling: 'STANDARD' });
    assert.ok(Math.abs(populationStd(column(prepared.matrix, 1)) - 1) < 1e-12);
  });

  it('MINMAX maps every column onto [0, 1] with the minimum at 0 and the maximum at 1', () => {
    const prepared = prepare(
      table([
        [-3, 5],
        [7, 6],
        [2, 9],
      ]),
      { missing: 'DROP', scaling: 'MINMAX' },
    );
    assert.deepEqual(column(prepared.matrix, 0), [0, 1, 0.5]);
    assert.deepEqual(column(prepared.matrix, 1), [0, 0.25, 1]);
  });

  for (const scaling of ['STANDARD', 'MINMAX'] as const) {
    it(`${scaling} turns a constant column into zeros with scale 1 instead of dividing by zero`, () => {
      const prepared = prepare(
        table([
          [0.1, 1],
          [0.1, 2],
          [0.1, 4],
        ]),
        { missing: 'DROP', scaling },
      );
      assert.deepEqual(column(prepared.matrix, 0), [0, 0, 0]);
      assert.equal(prepared.scaling.scale[0], 1);
      assert.equal(prepared.scaling.offset[0], 0.1);
    });
  }

  it('a table with no missing value is scaled exactly as the same rows are once an incomplete row is dropped (the moments taken while describing it are the ones a fit takes)', () => {
    const rows = Array.from({ length: 2_000 }, (_, i) => [
      Math.sin(i) * 1e3,
      i % 7 === 0 ? 5 : i / 3,
      (i % 11) * 1e-100,
      ((i * 7919) % 1_000) * 1e100,
      0.1 * i,
    ]);
    for (const scaling of ['NONE', 'STANDARD', 'MINMAX'] as const) {
      const complete = prepare(table(rows), { missing: 'DROP', scaling });
      const dropped = prepare(table([...rows.slice(0, 1_000), [1, NaN_, 2, 3, 4], ...rows.slice(1_000)]), { missing: 'DROP', scaling });
      assert.equal(dropped.rowsDropped, 1);
      assert.deepEqual(complete.scaling, dropped.scaling, scaling);
      assert.deepEqual(Array.from(complete.matrix.values), Array.from(dropped.matrix.values), scaling);
      assert.equal(complete.keptRowIndexes, null);
      assert.deepEqual(complete.matrix.values.length, rows.length * 5);
    }
  });

  it('a column that is entirely missing is a ModelInputError naming the column index', () => {
    assert.throws(
      () =>
        prepare(
          table([
            [1, NaN_],
            [2, NaN_],
          ]),
          { missing: 'MEAN', scaling: 'NONE' },
        ),
      (error: unknown) => error instanceof ModelInputError && error.reason === 'COLUMN_ALL_MISSING' && error.message.includes('column 1'),
    );
  });

  it('input that has no row left after DROP is a ModelInputError (EMPTY_INPUT)', () => {
    assert.throws(
      () =>
        prepare(
          table([
            [1, NaN_],
            [NaN_, 2],
          ]),
          { missing: 'DROP', scaling: 'NONE' },
        ),
      (error: unknown) => error instanceof ModelInputError && error.reason === 'EMPTY_INPUT',
    );
  });

  it('an input with zero rows is a ModelInputError (EMPTY_INPUT)', () => {
    assert.throws(
      () => prepare({ values: new Float64Array(0), rows: 0, columns: 3 }, { missing: 'DROP', scaling: 'NONE' }),
      (error: unknown) => error instanceof ModelInputError && error.reason === 'EMPTY_INPUT',
    );
  });

  it('an infinite value is a ModelInputError (NON_FINITE_VALUE), not a missing value', () => {
    assert.throws(
      () =>
        prepare(
          table([
            [1, Infinity],
            [2, 3],
          ]),
          { missing: 'MEAN', scaling: 'NONE' },
        ),
      (error: unknown) => error instanceof ModelInputError && error.reason === 'NON_FINITE_VALUE',
    );
  });

  for (const scaling of ['NONE', 'STANDARD', 'MINMAX'] as const) {
    it(`${scaling}: unscaleCentroids(scaleCentroids(x)) gives x back, and scaled rows unscale to the input rows`, () => {
      const rows = [
        [1.5, -20, 7],
        [3.25, 40, 7],
        [-8, 0.001, 7],
        [2, 1e6, 7],
      ];
      const prepared = prepare(table(rows), { missing: 'DROP', scaling });
      const points = [
        [0.3, 12345.678, 7],
        [-100, -0.5, 7],
      ];
      const back = unscaleCentroids(scaleCentroids(points, prepared.scaling), prepared.scaling);
      const scaledRows = Array.from({ length: prepared.matrix.rows }, (_, i) => Array.from(rowView(prepared.matrix, i)));
      const original = unscaleCentroids(scaledRows, prepared.scaling);
      // Round-trips are exact up to rounding relative to the column's magnitude (offset and scale).
      const { offset, scale } = prepared.scaling;
      for (const [actual, expected] of [
        [back, points],
        [original, rows],
      ] as const) {
        actual.forEach((point, r) =>
          point.forEach((v, j) => {
            const e = expected[r]![j]!;
            const tolerance = 1e-12 * (Math.abs(e) + Math.abs(offset[j]!) + scale[j]!);
            assert.ok(Math.abs(v - e) <= tolerance, `${v} vs ${e}`);
          }),
        );
      }
    });
  }

  describe('extreme magnitudes: scaling computes in a power-of-two unit of each column, so nothing overflows or underflows', () => {
    const MAX = Number.MAX_VALUE;
    const finite = (values: Iterable<number>) => [...values].every((v) => Number.isFinite(v));
    const zScores = (xs: number[]) => xs.map((x) => (x - mean(xs)) / populationStd(xs));
    const close = (actual: number[], expected: number[], what: string) =>
      actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-12 * Math.max(1, Math.abs(expected[i]!)), `${what}[${i}]: ${v} vs ${expected[i]}`));

    it('STANDARD on a column of ±1e308: every scaled value is ±1 (the column is not ignored), and the centroids unscale to ±1e308', () => {
      const prepared = prepare(
        table([
          [1e308, 1],
          [-1e308, 2],
          [1e308, 3],
          [-1e308, 4],
        ]),
        { missing: 'DROP', scaling: 'STANDARD' },
      );
      assert.deepEqual(column(prepared.matrix, 0), [1, -1, 1, -1]);
      close(column(prepared.matrix, 1), zScores([1, 2, 3, 4]), 'the ordinary column');
      assert.deepEqual(
        unscaleCentroids(
          [
            [1, 0],
            [-1, 0],
          ],
          prepared.scaling,
        ).map((point) => point[0]),
        [1e308, -1e308],
      );
    });

    it('STANDARD and MINMAX on ±Number.MAX_VALUE: finite scaling parameters, scaled values and unscaled centroids', () => {
      for (const scaling of ['STANDARD', 'MINMAX'] as const) {
        const prepared = prepare(
          table([
            [MAX, 0],
            [-MAX, 1],
            [MAX / 2, 2],
            [-MAX / 4, 3],
          ]),
          { missing: 'DROP', scaling },
        );
        assert.ok(finite(prepared.matrix.values), `${scaling}: scaled values ${Array.from(prepared.matrix.values).join(', ')}`);
        assert.ok(finite([...prepared.scaling.offset, ...prepared.scaling.scale]), `${scaling}: ${JSON.stringify(prepared.scaling)}`);
        const extremes = unscaleCentroids([Array.from(rowView(prepared.matrix, 0)), Array.from(rowView(prepared.matrix, 1))], prepared.scaling);
        close(
          extremes.map((point) => point[0]! / MAX),
          [1, -1],
          `${scaling}: the extreme rows unscaled (within rounding)`,
        );
        assert.ok(finite(extremes.flat()), scaling);
      }
    });

    it('STANDARD on values around 1e-308: the squares no longer underflow to a zero standard deviation', () => {
      const tiny = [1e-308, 2e-308, 3e-308, 4e-308];
      const prepared = prepare(table(tiny.map((v) => [v])), { missing: 'DROP', scaling: 'STANDARD' });
      close(column(prepared.matrix, 0), zScores([1, 2, 3, 4]), 'scaled');
      close(
        unscaleCentroids([[0]], prepared.scaling)[0]!.map((v) => v / 1e-308),
        [2.5],
        'the mean, unscaled',
      );
    });

    it('mixed magnitudes (1e300, 1e-300, ordinary): each column scales as it would at an ordinary magnitude', () => {
      const base = [3, 1, 4, 1.5, 9];
      const prepared = prepare(table(base.map((v) => [v * 1e300, v * 1e-300, v])), { missing: 'DROP', scaling: 'STANDARD' });
      for (const j of [0, 1, 2]) close(column(prepared.matrix, j), zScores(base), `column ${j}`);
    });

    it('the column statistics of ±1e308 are finite: mean 0, population stddev 1e308', () => {
      const { columnStats } = prepare(table([[1e308], [-1e308], [1e308], [-1e308]]), { missing: 'DROP', scaling: 'STANDARD' });
      assert.deepEqual({ mean: columnStats[0]!.mean, stddev: columnStats[0]!.stddev }, { mean: 0, stddev: 1e308 });
    });

    it('NONE on a value too large to square fails with NON_FINITE_VALUE naming the column, by name when given', () => {
      assert.throws(
        () =>
          prepare(
            table([
              [1, 1e200],
              [2, 3],
            ]),
            { missing: 'DROP', scaling: 'NONE' },
            ['temp', 'pressure'],
          ),
        (error: unknown) => error instanceof ModelInputError && error.reason === 'NON_FINITE_VALUE' && error.message.includes('"pressure"'),
      );
    });
  });
});

describe('prepare in place', () => {
  const gaps = [
    [NaN_, 1, 2],
    [3, 4, 5],
    [6, NaN_, 8],
    [9, 10, 11],
    [12, 13, NaN_],
    [14, 15, 16],
  ];

  for (const missing of ['DROP', 'MEAN'] as const) {
    for (const scaling of ['NONE', 'STANDARD', 'MINMAX'] as const) {
      it(`${missing} + ${scaling}: on shared values the matrix is those values, prepared exactly as a copy would be (NULLs first, middle and last)`, () => {
        const copied = prepare(table(gaps), { missing, scaling });
        const raw = sharedTable(gaps);
        const inPlace = prepare(raw, { missing, scaling }, undefined, true);
        assert.equal(inPlace.matrix.values.buffer, raw.values.buffer, 'no copy');
        assert.deepEqual(Array.from(inPlace.matrix.values), Array.from(copied.matrix.values));
        assert.deepEqual(inPlace.keptRowIndexes && Array.from(inPlace.keptRowIndexes), copied.keptRowIndexes && Array.from(copied.keptRowIndexes));
        assert.deepEqual([inPlace.columnStats, inPlace.scaling, inPlace.rowsDropped], [copied.columnStats, copied.scaling, copied.rowsDropped]);
      });
    }
  }

  it('values that are not shared are copied even when in place is allowed: the caller’s array is left as it was', () => {
    const raw = table(gaps);
    const before = Array.from(raw.values);
    prepare(raw, { missing: 'MEAN', scaling: 'STANDARD' }, undefined, true);
    assert.deepEqual(Array.from(raw.values), before);
  });
});
