import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { SqlDialect } from '../../../../src/datastore/dialects/dialect';
import type { ColumnDefinition, SqlValue, UpsertSpec } from '../../../../src/datastore/types';
import { itPerDialect } from '../../../support/sql-table';
import { compileValuesUpsert } from '../../../support/values-upsert';

describe('multi-row VALUES chunking under the row and bind limits (compileValuesUpsert, every dialect)', () => {
  // Rows per statement = min(maxRowsPerStatement, floor(maxBindParameters / columns)).
  itPerDialect(
    (rows: number[]) => `a 5,000-row batch of 4 columns compiles into ${rows.length} statements, every row in order`,
    {
      sqlite: [1000, 1000, 1000, 1000, 1000],
      postgresql: [1000, 1000, 1000, 1000, 1000],
      mysql: [1000, 1000, 1000, 1000, 1000],
      mariadb: [1000, 1000, 1000, 1000, 1000],
      // The Oracle family's 500 binds: 125 rows of 4 columns.
      oracle: Array.from({ length: 40 }, () => 125),
      tibero: Array.from({ length: 40 }, () => 125),
    },
    (dialect, rowsPerStatement) => assertChunked(dialect, 4, 5_000, rowsPerStatement),
  );

  // 70 columns: 32,766 / 70 = 468 rows (the ODBC ceiling); 7,000 / 70 = 100 (psqlODBC); 500 / 70 = 7 (the Oracle family).
  itPerDialect(
    (rows: number[]) => `a 2,000-row batch of 70 columns crossing the bind limit compiles into ${rows.length} statements, every row in order`,
    {
      sqlite: [468, 468, 468, 468, 128],
      postgresql: Array.from({ length: 20 }, () => 100),
      mysql: [468, 468, 468, 468, 128],
      mariadb: [468, 468, 468, 468, 128],
      oracle: [...Array.from({ length: 285 }, () => 7), 5],
      tibero: [...Array.from({ length: 285 }, () => 7), 5],
    },
    (dialect, rowsPerStatement) => assertChunked(dialect, 70, 2_000, rowsPerStatement),
  );
});

function wideBatch(columnCount: number, rowCount: number): UpsertSpec {
  const columns: ColumnDefinition[] = [
    { name: 'id', type: 'string' },
    ...Array.from({ length: columnCount - 1 }, (_, index): ColumnDefinition => ({ name: `c${index + 1}`, type: 'integer' })),
  ];
  const rows = Array.from({ length: rowCount }, (_, row) => {
    const values: Record<string, SqlValue> = { id: `row-${row}` };
    for (let index = 1; index < columnCount; index++) values[`c${index}`] = row * 100 + index;
    return values;
  });
  return { table: 'wide', keyColumns: ['id'], columns, rows };
}

/** The batch compiled into statements of the expected row counts, within the bind limit, values in order. */
function assertChunked(dialect: SqlDialect, columnCount: number, rowCount: number, expectedRowsPerStatement: readonly number[]): void {
  const batch = wideBatch(columnCount, rowCount);
  const statements = compileValuesUpsert(dialect, batch);
  assert.deepEqual(
    statements.map((statement) => statement.parameters.length / columnCount),
    expectedRowsPerStatement,
  );
  for (const statement of statements) {
    assert.ok(statement.parameters.length <= dialect.maxBindParameters, `${statement.parameters.length} parameters`);
    assert.equal(statement.sql.split('?').length - 1, statement.parameters.length, 'one ? per parameter');
    assert.equal(statement.kind, 'upsert');
  }
  const expected = batch.rows.flatMap((row) => batch.columns.map((column) => row[column.name]));
  assert.deepEqual(
    statements.flatMap((statement) => statement.parameters),
    expected,
  );
}
