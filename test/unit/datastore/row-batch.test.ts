import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PostgresqlDialect } from '../../../src/datastore/dialects/postgresql';
import { RowBatch } from '../../../src/datastore/row-batch';

describe('RowBatch', () => {
  it('copyNumbers passes numbers through, NULL becomes NaN, BIGINT and DECIMAL text become doubles', () => {
    const batch = new RowBatch(
      [
        { name: 'a', dataType: 8 },
        { name: 'b', dataType: -5 },
        { name: 'c', dataType: 3 },
      ],
      [
        [1.5, 5n, '12.25'],
        [null, null, null],
      ],
      new PostgresqlDialect(),
    );
    const target = new Float64Array(6);
    for (let column = 0; column < 3; column++) batch.copyNumbers(column, target, column, 3);
    assert.deepEqual(Array.from(target), [1.5, 5, 12.25, Number.NaN, Number.NaN, Number.NaN]);
    assert.deepEqual(batch.toRows(), [
      { a: 1.5, b: 5, c: 12.25 },
      { a: null, b: null, c: null },
    ]);
  });
});
