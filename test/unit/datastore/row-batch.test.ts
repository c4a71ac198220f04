import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OracleDialect } from '../../../src/datastore/dialects/oracle';
import { PostgresqlDialect } from '../../../src/datastore/dialects/postgresql';
import { TiberoDialect } from '../../../src/datastore/dialects/tibero';
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

  it('withExactKeys: a key read as a double past 2^53 becomes its exact text, the text columns go, everything else stays as the driver gave it', () => {
    const SQL_NUMERIC = 2;
    const SQL_VARCHAR = 12;
    const batch = new RowBatch(
      [
        { name: 'id', dataType: SQL_NUMERIC },
        { name: 'region', dataType: SQL_VARCHAR },
        { name: 'x', dataType: 8 },
        { name: 'key_text_0', dataType: SQL_VARCHAR },
        { name: 'key_text_1', dataType: SQL_VARCHAR },
      ],
      [
        [-5879600940257460000, 'north', 1.5, '-5879600940257459901', 'north'],
        [42, 'south', 2.5, '42', 'south'],
        [0.1, 'east', null, '.1', 'east'],
        [null, 'west', 3, null, 'west'],
      ],
      new OracleDialect(),
    ).withExactKeys([
      { column: 0, text: 3, sql: '' },
      { column: 1, text: 4, sql: '' },
    ]);
    assert.deepEqual(
      batch.columns.map((column) => column.name),
      ['id', 'region', 'x'],
    );
    assert.deepEqual(
      [0, 1, 2, 3].map((row) => batch.rawValues(row, [0, 1, 2])),
      [
        ['-5879600940257459901', 'north', 1.5],
        [42, 'south', 2.5],
        [0.1, 'east', null],
        [null, 'west', 3],
      ],
    );
    assert.deepEqual(
      batch.toRows().map((row) => row.id),
      ['-5879600940257459901', 42, 0.1, null],
    );
  });

  it('rawValues gives a timestamp key back as the driver read it, or as its Date on the Oracle family (bound through TO_TIMESTAMP)', () => {
    const columns = [
      { name: 'at', dataType: 93 },
      { name: 'n', dataType: 2 },
      { name: 's', dataType: 12 },
    ];
    const row = ['2024-02-29 23:59:58.123', '12', 'x'];
    assert.deepEqual(new RowBatch(columns, [row], new PostgresqlDialect()).rawValues(0, [0, 1, 2]), row);
    for (const dialect of [new OracleDialect(), new TiberoDialect()]) {
      assert.deepEqual(new RowBatch(columns, [row], dialect).rawValues(0, [0, 1, 2]), [new Date('2024-02-29T23:59:58.123Z'), '12', 'x']);
    }
  });
});
