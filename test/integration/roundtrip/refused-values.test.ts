import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { executeUpsert } from '../../../src/datastore/execute-upsert';
import type { ColumnDefinition, Row, SqlValue, TableDefinition } from '../../../src/datastore/types';
import { openRoundTripStore, ROUND_TRIP_TARGETS, type RoundTripStore } from '../../support/round-trip-targets';

/**
 * What cannot be stored as written is refused before anything is written (README "How values come
 * back"), never changed on the way: −0, which SQLite and MariaDB keep as 0 in a DOUBLE column, and
 * which the `odbc` package binds as the integer 0 on every engine. Where it travels as text and the
 * engine keeps it (PostgreSQL's array UPSERT), it is read back as −0.
 */
const TABLE = 'rtrefuse_values';
const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'value', type: 'double' },
];
const DEFINITION: TableDefinition = { name: TABLE, columns: COLUMNS, primaryKey: ['id'] };
const ROWS = 3_100;
const NEGATIVE_ZERO_ROW = 2_345;

for (const target of ROUND_TRIP_TARGETS) {
  describe(`values ${target.name} cannot store`, () => {
    let store: RoundTripStore;

    before(async () => {
      store = await openRoundTripStore(target, 'rtrefuse_');
      await store.drop([TABLE]);
      await store.datastore.execute(store.datastore.dialect.compileCreateTable(DEFINITION));
    });
    after(async () => {
      await store?.drop([TABLE]);
      await store?.close();
    });

    it('−0 bound as a parameter (a one-row INSERT): refused with DIALECT_UNSUPPORTED naming the value, nothing written', async () => {
      const before = await snapshot(store);
      await assert.rejects(store.datastore.execute(store.datastore.dialect.compileInsert(TABLE, COLUMNS, { id: ROWS, value: -0 })), { code: 'DIALECT_UNSUPPORTED', message: /-0/ });
      assert.deepEqual(await snapshot(store), before, 'nothing was written');
    });

    const refused = target.refusesDouble(-0);
    it(
      refused
        ? `−0 in one row of a ${ROWS}-row UPSERT (the dialect's own form): refused with DIALECT_UNSUPPORTED naming the value, nothing written`
        : `−0 in one row of a ${ROWS}-row UPSERT (the dialect's own form): stored and read back as −0`,
      async () => {
        const before = await snapshot(store);
        const rows = Array.from({ length: ROWS }, (_, id) => ({ id, value: id === NEGATIVE_ZERO_ROW ? -0 : id + 0.5 }));
        const upsert = store.datastore.transaction((transaction) => executeUpsert(transaction, { table: TABLE, keyColumns: ['id'], columns: COLUMNS, rows }));
        if (refused) {
          await assert.rejects(upsert, { code: 'DIALECT_UNSUPPORTED', message: /-0/ });
          assert.deepEqual(await snapshot(store), before, 'nothing was written');
          return;
        }
        await upsert;
        const stored = new Map((await snapshot(store)).map((row) => [Number(row.id), row.value]));
        assert.ok(Object.is(stored.get(NEGATIVE_ZERO_ROW), -0), `row ${NEGATIVE_ZERO_ROW} read back as ${String(stored.get(NEGATIVE_ZERO_ROW))}`);
      },
    );
  });
}

function snapshot(store: RoundTripStore): Promise<Row[]> {
  const q = (name: string) => store.datastore.dialect.quoteIdentifier(name);
  return store.datastore.query({ sql: `SELECT ${q('id')}, ${q('value')} FROM ${q(TABLE)} ORDER BY ${q('id')}`, parameters: [] as SqlValue[], kind: 'select' });
}
