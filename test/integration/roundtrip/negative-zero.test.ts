import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { executeUpsert } from '../../../src/datastore/upsert/execute-upsert';
import type { ColumnDefinition, Row, SqlValue, TableDefinition } from '../../../src/datastore/types';
import { openRoundTripStore, ROUND_TRIP_TARGETS, type RoundTripStore } from '../../support/round-trip-targets';

/**
 * −0 is written as 0 on every engine and in every form (README "How values come back"): SQL compares
 * the two equal, SQLite and MariaDB keep no sign of zero in a DOUBLE column, and the `odbc` package
 * binds an integral number as an integer. The rows around it are written as they are.
 */
const TABLE = 'rtzero_values';
const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'value', type: 'double' },
];
const DEFINITION: TableDefinition = { name: TABLE, columns: COLUMNS, primaryKey: ['id'] };
const ROWS = 3_100;
const NEGATIVE_ZERO_ROW = 2_345;

for (const target of ROUND_TRIP_TARGETS) {
  describe(`−0 written on ${target.name}`, () => {
    let store: RoundTripStore;

    before(async () => {
      store = await openRoundTripStore(target, 'rtzero_');
      await store.drop([TABLE]);
      await store.datastore.execute(store.datastore.dialect.compileCreateTable(DEFINITION));
    });
    after(async () => {
      await store?.drop([TABLE]);
      await store?.close();
    });

    it('bound as a parameter (a one-row INSERT): read back as 0', async () => {
      await store.datastore.execute(store.datastore.dialect.compileInsert(TABLE, COLUMNS, { id: ROWS, value: -0 }));
      const stored = new Map((await snapshot(store)).map((row) => [Number(row.id), row.value]));
      assert.ok(Object.is(stored.get(ROWS), 0), `read back as ${Object.is(stored.get(ROWS), -0) ? '-0' : String(stored.get(ROWS))}`);
    });

    it(`in one row of a ${ROWS}-row UPSERT (the dialect's own form): read back as 0, every other row as written`, async () => {
      const rows = Array.from({ length: ROWS }, (_, id) => ({ id, value: id === NEGATIVE_ZERO_ROW ? -0 : id + 0.5 }));
      await store.datastore.transaction((transaction) => executeUpsert(transaction, { table: TABLE, keyColumns: ['id'], columns: COLUMNS, rows }));
      const stored = new Map((await snapshot(store)).map((row) => [Number(row.id), row.value]));
      for (const row of rows) {
        const expected = row.id === NEGATIVE_ZERO_ROW ? 0 : row.value;
        assert.ok(Object.is(stored.get(row.id), expected), `row ${row.id}: written ${row.value}, read back ${String(stored.get(row.id))}`);
      }
    });
  });
}

function snapshot(store: RoundTripStore): Promise<Row[]> {
  const q = (name: string) => store.datastore.dialect.quoteIdentifier(name);
  return store.datastore.query({ sql: `SELECT ${q('id')}, ${q('value')} FROM ${q(TABLE)} ORDER BY ${q('id')}`, parameters: [] as SqlValue[], kind: 'select' });
}
