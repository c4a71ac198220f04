import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Datastore } from '../../../src/datastore/datastore';
import { dialectFor } from '../../../src/datastore/dialects';
import type { ErrorCode } from '../../../src/errors/catalogue';
import { AppError } from '../../../src/errors/app-error';
import { ddl, oracleDatabase, select, tiberoDatabase } from '../../support/databases';
import { startProcessRelay, type ProcessRelay } from '../../support/process-relay';

/**
 * Driver errors classified on H2 in Oracle mode through psqlODBC, under the Oracle and Tibero dialects.
 * psqlODBC numbers its own errors (1 for any the server reports, 35 for a lost connection), which read as
 * ORA-00001 if taken for ORA numbers: a lost session was once classified a constraint violation. What
 * each error must be: its catalogue code, and the SQLSTATE the driver gave (so the classification, not
 * a guard of the datastore's own, decided).
 */

async function failure(work: Promise<unknown>): Promise<{ code: ErrorCode; sqlState: unknown }> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return { code: error.code, sqlState: error.details?.sqlState };
  }
  assert.fail('the statement succeeded');
}

/** Polls until `check` holds; the bound only turns a state that never comes into a failure. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const database of [oracleDatabase(), tiberoDatabase()]) {
  const table = `errors_${database.dialect}`;
  const open = (connectionString = database.connectionString, queryTimeoutMs = 60_000, poolMax = 2) =>
    Datastore.create({ connectionString, dialect: dialectFor(database.dialect), poolMax, acquireTimeoutMs: 10_000, queryTimeoutMs, idleTimeoutMs: 60_000 });

  describe(`driver errors classified, ${database.label}`, () => {
    let datastore: Datastore;
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);

    before(async () => {
      datastore = open();
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${q(table)}`));
      await datastore.execute(
        datastore.dialect.compileCreateTable({
          name: table,
          columns: [
            { name: 'id', type: 'integer', nullable: false },
            { name: 'label', type: 'string', length: 20, nullable: false },
          ],
          primaryKey: ['id'],
        }),
      );
      await datastore.execute(select(`INSERT INTO ${q(table)} (${q('id')}, ${q('label')}) VALUES (1, 'one')`));
    });
    after(async () => {
      await datastore?.execute(ddl(`DROP TABLE IF EXISTS ${q(table)}`));
      await datastore?.close();
    });

    it('a unique violation is DB_CONSTRAINT_VIOLATION', async () => {
      assert.deepEqual(await failure(datastore.execute(select(`INSERT INTO ${q(table)} (${q('id')}, ${q('label')}) VALUES (1, 'again')`))), {
        code: 'DB_CONSTRAINT_VIOLATION',
        sqlState: '23505',
      });
    });

    it('a NOT NULL violation is DB_CONSTRAINT_VIOLATION', async () => {
      assert.deepEqual(await failure(datastore.execute(select(`INSERT INTO ${q(table)} (${q('id')}, ${q('label')}) VALUES (2, NULL)`))), {
        code: 'DB_CONSTRAINT_VIOLATION',
        sqlState: '23502',
      });
    });

    it('a syntax error is DB_ERROR, not a constraint violation', async () => {
      assert.deepEqual(await failure(datastore.query(select(`SELEC ${q('id')} FROM ${q(table)}`))), { code: 'DB_ERROR', sqlState: '42001' });
    });

    it('a statement the engine cancels at the query timeout (1 s) is DB_QUERY_TIMEOUT', async () => {
      const impatient = open(database.connectionString, 1_000);
      try {
        // About 10^10 rows to count: far longer than a second (SYSTEM_RANGE's column is "X" in H2).
        const endless = select('SELECT COUNT(*) AS n FROM SYSTEM_RANGE(1, 100000) a, SYSTEM_RANGE(1, 100000) b WHERE MOD(a."X" + b."X", 7) = 3');
        assert.deepEqual(await failure(impatient.query(endless)), { code: 'DB_QUERY_TIMEOUT', sqlState: '57014' });
      } finally {
        await impatient.close();
      }
    });

    it('the connection cut while a statement waits is DB_UNAVAILABLE, and the next statement gets a new connection', async () => {
      const port = /Port=(\d+)/i.exec(database.connectionString)![1]!;
      // In a child process: psqlODBC blocks the event loop on a round trip when node-odbc frees a statement.
      const relay: ProcessRelay = await startProcessRelay(`http://127.0.0.1:${port}`);
      const cut = open(database.connectionString.replace(/Port=\d+/i, `Port=${relay.port}`), 60_000, 1);
      const holder = open();
      try {
        await cut.ping();
        // The row held by another transaction, so the statement waits on the engine until the cut.
        let taken!: () => void;
        const lockTaken = new Promise<void>((resolve) => (taken = resolve));
        const held = holder.transaction(async (transaction) => {
          await transaction.execute(select(`UPDATE ${q(table)} SET ${q('label')} = 'held' WHERE ${q('id')} = 1`));
          taken();
          await until(async () => (await sessionsWaiting(datastore)) > 0, 'the other statement waiting');
          await relay.close();
        });
        await Promise.race([lockTaken, held]);
        const waiting = failure(cut.execute(select(`UPDATE ${q(table)} SET ${q('label')} = 'cut' WHERE ${q('id')} = 1`)));
        await held;
        assert.deepEqual(await waiting, { code: 'DB_UNAVAILABLE', sqlState: '08S01' });
        await relay.open();
        assert.deepEqual(await cut.query(select('SELECT 1 AS one FROM DUAL')), [{ one: 1 }]);
      } finally {
        await holder.close();
        await cut.close();
        await relay.stop();
      }
    });

    it('a session the engine has ended is DB_UNAVAILABLE at its next statement, and the one after gets a new connection', async () => {
      const ended = open(database.connectionString, 60_000, 1);
      try {
        const [{ id } = {}] = await ended.query(select('SELECT SESSION_ID() AS id FROM DUAL'));
        await datastore.query(select(`CALL ABORT_SESSION(${Number(id)})`));
        const next = await failure(ended.query(select('SELECT 1 AS one FROM DUAL')));
        assert.equal(next.code, 'DB_UNAVAILABLE', JSON.stringify(next));
        assert.match(String(next.sqlState), /^08/);
        assert.deepEqual(await ended.query(select('SELECT 1 AS one FROM DUAL')), [{ one: 1 }]);
      } finally {
        await ended.close();
      }
    });
  });
}

/** Sessions on the engine waiting for another session's lock (INFORMATION_SCHEMA.SESSIONS, H2's own). */
async function sessionsWaiting(datastore: Datastore): Promise<number> {
  const [row] = await datastore.query(select('SELECT COUNT(*) AS waiting FROM information_schema.sessions WHERE blocker_id IS NOT NULL'));
  return Number(row?.waiting ?? 0);
}
