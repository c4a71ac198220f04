import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { UpsertSpec } from '../../../../src/datastore/types';
import { itForEveryDialect } from '../../../support/sql-table';

const assignment: UpsertSpec = {
  table: 'assignment',
  keyColumns: ['run_id', 'row_index'],
  columns: [
    { name: 'run_id', type: 'string' },
    { name: 'row_index', type: 'integer' },
    { name: 'cluster_id', type: 'integer' },
  ],
  rows: [{ run_id: 'r1', row_index: 7, cluster_id: 2 }],
};

describe('a key repeated in one UPSERT batch', () => {
  itForEveryDialect('two rows with the same composite key in one batch are refused with UPSERT_INVALID naming the second row', (d) => {
    const rows = [
      { run_id: 'r1', row_index: 1, cluster_id: 0 },
      { run_id: 'r1', row_index: 1, cluster_id: 1 },
    ];
    assert.throws(() => d.compileUpsert({ ...assignment, rows }), {
      name: 'AppError',
      code: 'UPSERT_INVALID',
      details: { table: 'assignment', row: 1 },
    });
  });

  itForEveryDialect('rows sharing only part of a composite key are not duplicates', (d) => {
    const rows = [
      { run_id: 'r1', row_index: 1, cluster_id: 0 },
      { run_id: 'r1', row_index: 2, cluster_id: 0 },
      { run_id: 'r2', row_index: 1, cluster_id: 0 },
    ];
    assert.equal(d.compileUpsert({ ...assignment, rows }).length, 1);
  });

  itForEveryDialect('a repeated key is found whether the batch is in key order or not, naming the row that repeats it', (d) => {
    const row = (run_id: string, row_index: number) => ({ run_id, row_index, cluster_id: 0 });
    const inOrder = [row('r1', 1), row('r1', 2), row('r2', 1), row('r2', 2)];
    assert.equal(d.compileUpsert({ ...assignment, rows: inOrder }).length, 1);
    assert.throws(() => d.compileUpsert({ ...assignment, rows: [...inOrder, row('r2', 2)] }), {
      code: 'UPSERT_INVALID',
      details: { table: 'assignment', row: 4 },
    });
    const shuffled = [row('r2', 2), row('r1', 1), row('r2', 1), row('r1', 2)];
    assert.equal(d.compileUpsert({ ...assignment, rows: shuffled }).length, 1);
    assert.throws(() => d.compileUpsert({ ...assignment, rows: [...shuffled, row('r2', 9), row('r1', 1)] }), {
      code: 'UPSERT_INVALID',
      message: /row 5 repeats key \["r1",1\]/,
    });
    // '1' and 1 are different values to the batch check, as they were before it had an ordered path.
    assert.equal(d.compileUpsert({ ...assignment, rows: [row('r1', 1), { ...row('r1', 1), row_index: '1' }] }).length, 1);
  });
});
