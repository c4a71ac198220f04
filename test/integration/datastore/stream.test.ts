import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import type { ColumnDefinition } from '../../../src/datastore/types';
import { ddl, mariadbDatabase, openDatastore, postgresqlDatabase, sqliteDatabase, type TestDatabase } from '../../support/databases';

const COLUMNS: ColumnDefinition[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'x', type: 'double' },
];

for (const [database, table] of [
  [sqliteDatabase(), 'stream_sqlite'],
  [postgresqlDatabase(), 'stream_pg'],
  [mariadbDatabase(), 'stream_mariadb'],
] as [TestDatabase, string][]) {
  describe(`streaming a table in key order, in batches, on ${database.label}`, () => {
    let datastore: Datastore;

    before(async () => {
      ({ datastore } = await openDatastore(database));
      const dialect = datastore.dialect;
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${dialect.quoteIdentifier(table)}`));
      await datastore.execute(dialect.compileCreateTable({ name: table, columns: COLUMNS, primaryKey: ['id'] }));
      const rows = Array.from({ length: 10_000 }, (_, id) => ({ id, x: id % 7 === 0 ? null : id / 4 }));
      await datastore.executeAll(dialect.compileUpsert({ table, keyColumns: ['id'], columns: COLUMNS, rows }));
    });
    after(async () => {
      await datastore?.close();
    });

    it('10,000 rows arrive in 10 batches of 1,000, every row once and in order, and the connection goes back to the pool', async () => {
      const sizes: number[] = [];
      const ids: number[] = [];
      const total = await datastore.streamOrdered({ table, columns: ['id', 'x'], keyColumns: ['id'] }, 1_000, (batch) => {
        sizes.push(batch.length);
        for (let row = 0; row < batch.length; row++) ids.push(Number(batch.value(row, 0)));
      });
      assert.equal(total, 10_000);
      assert.deepEqual(
        sizes,
        Array.from({ length: 10 }, () => 1_000),
      );
      assert.deepEqual(
        ids,
        Array.from({ length: 10_000 }, (_, id) => id),
      );
      assert.equal(datastore.state().pool.inUse, 0);
    });

    it('a failing statement rejects with a coded error and leaves the pool usable', async () => {
      await assert.rejects(
        datastore.streamOrdered({ table: 'no_such_table_for_stream', columns: ['id'], keyColumns: ['id'] }, 100, () => undefined),
        { code: 'DB_ERROR' },
      );
      assert.equal(datastore.state().pool.inUse, 0);
      assert.deepEqual(await datastore.query(datastore.dialect.pingStatement()), [{ ok: 1 }]);
    });

    it('an error thrown by the batch handler stops the stream and propagates unchanged', async () => {
      const boom = new Error('handler failed');
      await assert.rejects(
        datastore.streamOrdered({ table, columns: ['id', 'x'], keyColumns: ['id'] }, 500, () => {
          throw boom;
        }),
        (error) => error === boom,
      );
      assert.equal(datastore.state().pool.inUse, 0);
    });
  });
}
