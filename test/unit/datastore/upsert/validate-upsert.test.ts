import assert from 'node:assert/strict';
import { describe, mock } from 'node:test';
import type { SqlValue, UpsertSpec } from '../../../../src/datastore/types';
import { itForEveryDialect } from '../../../support/sql-table';

const labelled: UpsertSpec = {
  table: 'dataset_row',
  keyColumns: ['id'],
  columns: [
    { name: 'id', type: 'string' },
    { name: 'label', type: 'string' },
    { name: 'score', type: 'integer' },
  ],
  rows: [{ id: 'a', label: 'Alpha', score: 1 }],
};

describe('UPSERT batches refused before any statement', () => {
  itForEveryDialect('a row without a value for one column is refused with UPSERT_INVALID', (d) => {
    const rows: Record<string, SqlValue>[] = [
      { id: 'a', label: 'Alpha', score: 1 },
      { id: 'b', score: 2 },
    ];
    assert.throws(() => d.compileUpsert({ ...labelled, rows }), {
      code: 'UPSERT_INVALID',
      message: /row 1 has no value for "label"/,
    });
  });

  itForEveryDialect('a key column missing from the columns is refused with UPSERT_INVALID', (d) => {
    assert.throws(() => d.compileUpsert({ ...labelled, keyColumns: ['uuid'] }), {
      code: 'UPSERT_INVALID',
      message: /key column "uuid" is not among the columns/,
    });
  });

  itForEveryDialect('an UPSERT without key columns is refused with UPSERT_INVALID', (d) => {
    assert.throws(() => d.compileUpsert({ ...labelled, keyColumns: [] }), { code: 'UPSERT_INVALID', message: /no key columns/ });
  });

  for (const table of ['t; DROP TABLE x', 'a"b']) {
    itForEveryDialect(`the table name ${JSON.stringify(table)} is refused with INVALID_IDENTIFIER before any SQL is produced`, (d) => {
      const quote = mock.method(d, 'quoteIdentifier');
      assert.throws(() => d.compileUpsert({ ...labelled, table }), { code: 'INVALID_IDENTIFIER' });
      assert.equal(quote.mock.callCount(), 0);
    });
  }
});
