import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import odbc from 'odbc';
import type { Datastore } from '../../../src/datastore/datastore';
import type { ColumnDefinition, Row, SqlValue, TableDefinition } from '../../../src/datastore/types';
import { ddl, openDatastore, oracleDatabase, select, tiberoDatabase } from '../../support/databases';

/**
 * How the Oracle and Tibero dialects hand values to the driver (docs/databases-and-tibero.md, "Binding
 * values on Oracle and Tibero"), run on H2 in Oracle mode, whose connections refuse what Oracle's driver
 * refuses: a 64-bit integer bind (test/support/oracle-driver-rules.ts).
 */

const NUMBERS: TableDefinition = {
  name: 'binds_numbers',
  columns: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'big', type: 'bigint' },
    { name: 'ratio', type: 'double' },
    { name: 'flag', type: 'boolean' },
  ],
  primaryKey: ['id'],
};

// Whole numbers as a JS number and as a BigInt, whole-valued doubles (3.0, 2^60, 1e21 and the largest
// double, whose shortest text has an exponent) beside fractions, which the driver binds as doubles anyway.
const NUMBER_ROWS: readonly Record<string, SqlValue>[] = [
  { id: 1, big: 0, ratio: 3, flag: true },
  { id: 2, big: -1, ratio: 0.1, flag: false },
  { id: 3, big: Number.MAX_SAFE_INTEGER, ratio: 2 ** 60, flag: null },
  { id: 4, big: -9_007_199_254_740_991n, ratio: 1e21, flag: true },
  { id: 5, big: 4_611_686_018_427_387_904n, ratio: Number.MAX_VALUE, flag: false },
  { id: 6, big: null, ratio: -0.5, flag: true },
];

/** A row as readNumbers gives it back: `big` as the database's decimal text of it, a boolean as 1/0. */
function asRead(row: Record<string, SqlValue>): Row {
  return { id: row.id, big: row.big === null ? null : String(row.big), ratio: row.ratio, flag: row.flag === null ? null : row.flag ? 1 : 0 };
}

for (const database of [oracleDatabase(), tiberoDatabase()]) {
  describe(`binding values on ${database.label}`, () => {
    let datastore: Datastore;
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    const table = (definition: TableDefinition) => `${definition.name}_${database.dialect}`;

    const recreate = async (definition: TableDefinition) => {
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${q(table(definition))}`));
      await datastore.execute(datastore.dialect.compileCreateTable({ ...definition, name: table(definition) }));
    };
    // NUMBER(19) as the text the database holds: how the driver reads it back is values.ts's concern, not this file's.
    const readNumbers = () =>
      datastore.query(
        select(`SELECT ${q('id')}, TO_CHAR(${q('big')}) AS ${q('big')}, ${q('ratio')}, ${q('flag')} FROM ${q(table(NUMBERS))} ORDER BY ${q('id')}`),
      );

    before(async () => {
      ({ datastore } = await openDatastore(database));
    });
    after(async () => {
      await datastore?.execute(ddl(`DROP TABLE IF EXISTS ${q(table(NUMBERS))}`));
      await datastore?.close();
    });

    it('the target refuses a whole number bound as the driver binds it (SQL_C_SBIGINT), as Oracle’s driver does', async () => {
      const connection = await odbc.connect(database.connectionString);
      try {
        await assert.rejects(connection.query('SELECT 1 AS one FROM DUAL WHERE 1 = ?', [1]), (error: { odbcErrors?: { state?: string }[] }) => {
          assert.equal(error.odbcErrors?.[0]?.state, 'HY004');
          return true;
        });
        // The `odbc` typings leave BigInt out; the package binds it (as SQL_C_SBIGINT).
        await assert.rejects(connection.query('SELECT 1 AS one FROM DUAL WHERE 1 = ?', [1n] as unknown as number[]));
        assert.deepEqual([...(await connection.query<unknown[]>('SELECT 1 AS one FROM DUAL WHERE 1 = ?', ['1']))], [{ one: 1 }]);
      } finally {
        await connection.close();
      }
    });

    it('whole numbers, BigInts, booleans and whole-valued doubles written by MERGE, INSERT and UPDATE read back as written', async () => {
      await recreate(NUMBERS);
      const name = table(NUMBERS);
      const columns: readonly ColumnDefinition[] = NUMBERS.columns;
      const [first, second, ...rest] = NUMBER_ROWS;
      await datastore.execute(datastore.dialect.compileInsert(name, columns, first!));
      for (const statement of datastore.dialect.compileUpsert({
        table: name,
        keyColumns: ['id'],
        columns,
        rows: [{ ...second!, big: 7, ratio: 7 }, ...rest],
      })) {
        await datastore.execute(statement);
      }
      const updated = await datastore.execute({
        sql: `UPDATE ${q(name)} SET ${q('big')} = ?, ${q('ratio')} = ?, ${q('flag')} = ? WHERE ${q('id')} = ?`,
        parameters: [second!.big!, second!.ratio!, second!.flag!, second!.id!],
        kind: 'update',
      });
      assert.equal(updated, 1);
      assert.deepEqual(await readNumbers(), NUMBER_ROWS.map(asRead));
    });

    it('whole numbers and BigInts compare in WHERE and IN, and page with OFFSET/FETCH: the rows asked for come back', async () => {
      const name = table(NUMBERS);
      const ids = (rows: Row[]) => rows.map((row) => row.id);
      const where = (condition: string, parameters: SqlValue[]) =>
        datastore.query(select(`SELECT ${q('id')} FROM ${q(name)} WHERE ${condition} ORDER BY ${q('id')}`, parameters));
      assert.deepEqual(ids(await where(`${q('big')} = ?`, [4_611_686_018_427_387_904n])), [5]);
      assert.deepEqual(ids(await where(`${q('big')} < ?`, [-1])), [4]);
      // A whole double no larger than 2^53: H2 compares a DOUBLE column with a text parameter through DECIMAL, from the
      // double's shortest text, so 2^60 would miss there; Oracle converts the text to BINARY_DOUBLE.
      assert.deepEqual(ids(await where(`${q('ratio')} = ?`, [3])), [1]);
      assert.deepEqual(ids(await where(`${q('flag')} = ?`, [true])), [1, 4, 6]);
      assert.deepEqual(ids(await where(`${q('id')} IN (${datastore.dialect.inList([2, 5])})`, [2, 5])), [2, 5]);
      const ordered = select(`SELECT ${q('id')} FROM ${q(name)} ORDER BY ${q('id')}`);
      assert.deepEqual(ids(await datastore.query(datastore.dialect.paginate(ordered, { limit: 2, offset: 3 }))), [4, 5]);
      assert.deepEqual(ids(await datastore.query(datastore.dialect.paginate(ordered, { limit: 10, offset: 0 }))), [1, 2, 3, 4, 5, 6]);
    });
  });
}
