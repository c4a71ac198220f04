import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import {
  ddl,
  mariadbDatabase,
  openDatastore,
  oracleDatabase,
  postgresqlDatabase,
  sqliteDatabase,
  tiberoDatabase,
  type TestDatabase,
} from '../../support/databases';

/**
 * A run reads a dataset with a text key through the driver (no packed form), and the `odbc` package
 * reads a DECIMAL, NUMERIC or REAL column as text into ColumnSize + 2 characters: a negative value that
 * fills the precision has no room (PostgreSQL read NUMERIC(10,2)'s -99999999.99 as -99999999.9), and
 * a REAL's exponent was cut off (PostgreSQL's -1.7046803e-31 read as -1.7046803). Each number column
 * is read cast to a double (SqlDialect.exactNumberSql): every value comes whole, on every database,
 * the Oracle family's SQL on H2 included, at page sizes that cut the table anywhere.
 */
interface Target {
  readonly database: () => TestDatabase;
  readonly types: { readonly decimal10: string; readonly decimal5: string; readonly real: string; readonly double: string; readonly key: string };
  /** A REAL's value as read: its shortest text's double (PostgreSQL's, as the packed form reads it), or the float's own. */
  readonly real: (value: number) => number;
}

const ANSI = { decimal10: 'DECIMAL(10,2)', decimal5: 'DECIMAL(5,0)', real: 'REAL', double: 'DOUBLE PRECISION', key: 'VARCHAR(20)' };
const ORACLE = { decimal10: 'NUMBER(10,2)', decimal5: 'NUMBER(5,0)', real: 'BINARY_FLOAT', double: 'BINARY_DOUBLE', key: 'VARCHAR2(20)' };

const TARGETS: readonly Target[] = [
  // SQLite keeps a REAL as a double.
  { database: sqliteDatabase, types: ANSI, real: (value) => value },
  { database: postgresqlDatabase, types: ANSI, real: (value) => value },
  { database: mariadbDatabase, types: { ...ANSI, real: 'FLOAT', double: 'DOUBLE' }, real: Math.fround },
  { database: oracleDatabase, types: ORACLE, real: Math.fround },
  { database: tiberoDatabase, types: ORACLE, real: Math.fround },
];

// Each row: its key and its values in the DECIMAL(10,2), DECIMAL(5,0), REAL and DOUBLE columns.
const ROWS: readonly (readonly [string, number | null, number | null, number | null, number | null])[] = [
  ['r01', -99999999.99, -99999, -1.7046803e-31, -1.7976931348623157e308],
  ['r02', 99999999.99, 99999, 3.4e38, 1e-300],
  ['r03', -0.01, -1, -3.4e38, 0.30000000000000004],
  ['r04', null, null, null, null],
  ['r05', -12345678.9, -10000, 1.5e-30, -2.5e-308],
  ['r06', 0, 0, 0.1, 1 / 3],
  ['r07', -1.25, 12345, -9.999999e-21, 123456789.12345679],
];

for (const target of TARGETS) {
  const database = target.database();
  describe(`feature columns read whole through the driver, ${database.label}`, () => {
    let datastore: Datastore;
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    const columns = ['d10', 'd5', 'r', 'x'];

    before(async () => {
      ({ datastore } = await openDatastore(database));
      await datastore.execute(ddl(`DROP TABLE ${q('whole_numbers')}`)).catch(() => undefined);
      const { decimal10, decimal5, real, double, key } = target.types;
      await datastore.execute(
        ddl(
          `CREATE TABLE ${q('whole_numbers')} (${q('id')} ${key} NOT NULL PRIMARY KEY, ${q('d10')} ${decimal10}, ${q('d5')} ${decimal5}, ${q('r')} ${real}, ${q('x')} ${double})`,
        ),
      );
      // Bound as text and converted by the database, as a load tool would write them.
      for (const [id, ...values] of ROWS) {
        await datastore.execute({
          sql: `INSERT INTO ${q('whole_numbers')} VALUES (?, ${values.map((value) => (value === null ? 'NULL' : `CAST(? AS ${target.types.double})`)).join(', ')})`,
          parameters: [id, ...values.filter((value) => value !== null).map((value) => String(value))],
          kind: 'update',
        });
      }
    });
    after(async () => {
      await datastore?.execute(ddl(`DROP TABLE ${q('whole_numbers')}`)).catch(() => undefined);
      await datastore?.close();
    });

    it('a DECIMAL that fills its precision when negative, a REAL with an exponent, a double at its limits: each read as written, NULL as NaN, at page sizes 1, 2, 3 and 1,000', async () => {
      const expected = ROWS.map(([id, d10, d5, r, x]) => [id, d10 ?? Number.NaN, d5 ?? Number.NaN, r === null ? Number.NaN : target.real(r), x ?? Number.NaN]);
      for (const pageSize of [1, 2, 3, 1_000]) {
        const read: unknown[][] = [];
        await datastore.streamOrdered({ table: 'whole_numbers', columns: ['id', ...columns], keyColumns: ['id'], numbers: columns }, pageSize, (batch) => {
          const values = new Float64Array(batch.length * columns.length);
          columns.forEach((_, column) => batch.copyNumbers(column + 1, values, column, columns.length));
          for (let row = 0; row < batch.length; row++) read.push([batch.value(row, 0), ...values.subarray(row * columns.length, (row + 1) * columns.length)]);
        });
        assert.deepStrictEqual(read, expected, `page size ${pageSize}`);
      }
    });
  });
}
