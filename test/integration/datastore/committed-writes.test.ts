import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import type { Statement } from '../../../src/datastore/types';
import { ddl, mariadbDatabase, openDatastore, oracleDatabase, postgresqlDatabase, select, sqliteDatabase, type TestDatabase } from '../../support/databases';

/**
 * Datastore's write observer, which the GraphQL response cache's clock hangs on: each statement that
 * may write (one that touched no row too: a guarded UPDATE finding its row changed elsewhere is how a
 * replica learns of that; a failed one too) is open from before it runs until it has returned, and a
 * transaction that wrote from its first write until its commit or rollback has returned; reads never
 * open one. On every engine's real driver.
 */
const TABLE = `cw_${process.pid}`;

for (const database of [sqliteDatabase(), postgresqlDatabase(), mariadbDatabase(), oracleDatabase()] satisfies TestDatabase[]) {
  describe(`onCommittedWrite on ${database.label}`, () => {
    let datastore: Datastore;
    let told = 0;
    let open = 0;
    const write = (sql: string, parameters: Statement['parameters'], kind: Statement['kind']): Statement => ({ sql, parameters, kind });
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);

    before(async () => {
      ({ datastore } = await openDatastore(database, {
        writes: {
          started: () => (open += 1),
          ended: () => {
            open -= 1;
            told += 1;
          },
        },
      }));
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${q(TABLE)}`)).catch(() => undefined);
      await datastore.execute(ddl(`CREATE TABLE ${q(TABLE)} (${q('id')} INTEGER NOT NULL PRIMARY KEY, ${q('label')} VARCHAR(40))`));
    });
    after(async () => {
      await datastore?.execute(ddl(`DROP TABLE ${q(TABLE)}`)).catch(() => undefined);
      await datastore?.close();
    });

    it('keeps each write open while it runs and tells when it has returned: rows inserted, updated, deleted, none touched, a failure; not reads', async () => {
      const insert = (id: number) => write(`INSERT INTO ${q(TABLE)} (${q('id')}, ${q('label')}) VALUES (?, ?)`, [id, `row ${id}`], 'insert');
      const steps: [string, () => Promise<unknown>, number][] = [
        ['an insert', () => datastore.execute(insert(1)), 1],
        ['a select', () => datastore.query(select(`SELECT ${q('id')} FROM ${q(TABLE)}`)), 0],
        ['an update of no row', () => datastore.execute(write(`UPDATE ${q(TABLE)} SET ${q('label')} = ? WHERE ${q('id')} = ?`, ['none', 99], 'update')), 1],
        ['an update of one row', () => datastore.execute(write(`UPDATE ${q(TABLE)} SET ${q('label')} = ? WHERE ${q('id')} = ?`, ['é ✓', 1], 'update')), 1],
        ['a delete of no row', () => datastore.execute(write(`DELETE FROM ${q(TABLE)} WHERE ${q('id')} = ?`, [99], 'delete')), 1],
        ['a failed insert (the key taken)', () => datastore.execute(insert(1)).catch(() => 'failed'), 1],
        ['a delete of one row', () => datastore.execute(write(`DELETE FROM ${q(TABLE)} WHERE ${q('id')} = ?`, [1], 'delete')), 1],
      ];
      for (const [what, step, expected] of steps) {
        const before = told;
        const running = step();
        assert.equal(open, expected, `${what}: open while it runs`);
        await running;
        assert.equal(told - before, expected, what);
        assert.equal(open, 0, `${what}: closed once it has returned`);
      }
    });

    it('keeps a transaction that wrote open from its first write until its commit has returned, once; not one that only read', async () => {
      const before = told;
      await datastore.transaction(async (transaction) => {
        for (const id of [10, 11]) {
          await transaction.execute(write(`INSERT INTO ${q(TABLE)} (${q('id')}, ${q('label')}) VALUES (?, ?)`, [id, 'in a transaction'], 'insert'));
        }
        assert.equal(told, before, 'nothing told before the commit');
        assert.equal(open, 1, 'open from the first write');
      });
      assert.equal(told - before, 1, 'told once, after it');
      assert.equal(open, 0);
      await datastore.transaction((transaction) => transaction.query(select(`SELECT COUNT(*) AS ${q('n')} FROM ${q(TABLE)}`)));
      assert.equal(told - before, 1, 'a transaction that read: not told');
      await assert.rejects(
        datastore.transaction(async (transaction) => {
          await transaction.execute(write(`UPDATE ${q(TABLE)} SET ${q('label')} = ? WHERE ${q('id')} = ?`, ['rolled back', 10], 'update'));
          throw new Error('given up');
        }),
        /given up/,
      );
      assert.equal(told - before, 2, 'a transaction that wrote and rolled back: told (after the rollback)');
      const [row] = await datastore.query(select(`SELECT ${q('label')} FROM ${q(TABLE)} WHERE ${q('id')} = ?`, [10]));
      assert.equal(row?.label, 'in a transaction');
    });
  });
}
