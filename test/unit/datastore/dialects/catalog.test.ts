import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { CatalogColumn, Row } from '../../../../src/datastore/types';
import { itForEveryDialect, itPerDialect } from '../../../support/sql-table';

describe('catalog', () => {
  itPerDialect(
    'column and primary key lookups bind table names as the catalog stores them',
    {
      sqlite: { columns: ['model_run', 'dataset_row'], primaryKey: ['model_run'] },
      postgresql: { columns: ['model_run', 'dataset_row'], primaryKey: ['model_run'] },
      mysql: { columns: ['model_run', 'dataset_row'], primaryKey: ['model_run'] },
      mariadb: { columns: ['model_run', 'dataset_row'], primaryKey: ['model_run'] },
      oracle: { columns: ['MODEL_RUN', 'DATASET_ROW'], primaryKey: ['MODEL_RUN'] },
      tibero: { columns: ['MODEL_RUN', 'DATASET_ROW'], primaryKey: ['MODEL_RUN'] },
    },
    (dialect, expected) => {
      const columns = dialect.listColumnsStatement(['model_run', 'dataset_row']);
      assert.deepEqual(columns.parameters, expected.columns);
      assert.match(columns.sql, / IN \(\?, \?\) /);
      assert.deepEqual(dialect.primaryKeyStatement('model_run').parameters, expected.primaryKey);
    },
  );

  itPerDialect(
    (max: number) => `an IN list takes 1 to ${max} values and refuses ${max + 1} or none with DIALECT_UNSUPPORTED`,
    { sqlite: 1_000, postgresql: 1_000, mysql: 1_000, mariadb: 1_000, oracle: 1_000, tibero: 1_000 },
    (dialect, max) => {
      assert.equal(dialect.inList(['a', 'b', 'c']), '?, ?, ?');
      assert.equal(dialect.inList(Array.from({ length: max }, (_, i) => i)).split('?').length - 1, max);
      assert.throws(() => dialect.inList(Array.from({ length: max + 1 }, (_, i) => i)), { name: 'AppError', code: 'DIALECT_UNSUPPORTED' });
      assert.throws(() => dialect.inList([]), { code: 'DIALECT_UNSUPPORTED' });
      const tables = Array.from({ length: max + 1 }, (_, i) => `t${i}`);
      assert.throws(() => dialect.listColumnsStatement(tables), { code: 'DIALECT_UNSUPPORTED' });
    },
  );

  // Rows as the datastore hands them over (keys in the app case, values as the database wrote them) and
  // the type each reads back with.
  const oracle = {
    row: { table_name: 'MODEL_RUN', column_name: 'STARTED_AT', data_type: 'TIMESTAMP(3)', is_nullable: 'N', position: 3 },
    type: 'TIMESTAMP(3)',
  };
  const mysql = {
    row: { table_name: 'model_run', column_name: 'started_at', data_type: 'datetime', is_nullable: 'NO', position: 3 },
    type: 'DATETIME',
  };
  itPerDialect(
    ({ row }: { row: Row }) => `a catalog row with is_nullable ${String(row.is_nullable)} reads back as a NOT NULL column named in the app case`,
    {
      sqlite: {
        row: { table_name: 'model_run', column_name: 'started_at', data_type: 'TIMESTAMP', is_nullable: 'NO', position: 3 },
        type: 'TIMESTAMP',
      },
      postgresql: {
        row: { table_name: 'model_run', column_name: 'started_at', data_type: 'timestamp without time zone', is_nullable: 'NO', position: 3 },
        type: 'TIMESTAMP WITHOUT TIME ZONE',
      },
      mysql,
      mariadb: mysql,
      oracle,
      tibero: oracle,
    },
    (dialect, { row, type }) => {
      const expected: CatalogColumn = { table: 'model_run', name: 'started_at', type, nullable: false, position: 3 };
      assert.deepEqual(dialect.readCatalogColumn(row), expected);
    },
  );

  const spellings: [unknown, boolean][] = [
    ['YES', true],
    ['yes', true],
    ['Y', true],
    [1, true],
    ['1', true],
    [true, true],
    ['NO', false],
    ['N', false],
    [0, false],
    ['0', false],
    [false, false],
  ];
  itForEveryDialect('is_nullable reads YES/NO, Y/N and 1/0', (dialect) => {
    for (const [isNullable, nullable] of spellings) {
      const row = { table_name: 't', column_name: 'c', data_type: 'x', is_nullable: isNullable, position: 1 };
      assert.equal(dialect.readCatalogColumn(row).nullable, nullable, `is_nullable ${JSON.stringify(isNullable)}`);
    }
  });
});
