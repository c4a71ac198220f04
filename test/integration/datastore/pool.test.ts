import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Datastore } from '../../../src/datastore/datastore';
import { dialectFor } from '../../../src/datastore/dialects';
import type { Statement } from '../../../src/datastore/types';
import { AppError } from '../../../src/errors/app-error';
import { ddl, mariadbDatabase, openDatastore, postgresqlDatabase, select, sqliteDatabase, type TestDatabase } from '../../support/databases';
import { assertAppError, rejection, samplePool, waitUntil } from './helpers';

/**
 * The datastore's pool and transactions against real servers: connections the server kills, statement
 * and acquire timeouts, refused logins, commit and rollback.
 */

interface KillScenario {
  /** The id the server knows this session by, as a one-row `id` column. */
  readonly sessionIdSql: string;
  /** Ends another session, run from a second datastore. */
  readonly killSql: (id: number) => string;
  /** One row with `n` = 1 while the session is still there, 0 once it is gone. */
  readonly sessionExistsSql: string;
}

function sessionId(rows: readonly Record<string, unknown>[]): number {
  const id = rows[0]?.id;
  assert.ok(typeof id === 'number' && Number.isSafeInteger(id), `expected a numeric session id, got ${String(id)}`);
  return id;
}

/** A session killed by the server is noticed, dropped and replaced, costing at most the one statement that found it dead. */
function itReplacesAKilledConnection(database: TestDatabase, scenario: KillScenario): void {
  it('a connection the server killed fails the next statement with DB_UNAVAILABLE, then is replaced by a new session', async (context) => {
    const { datastore } = await openDatastore(database, { poolMax: 1 });
    const { datastore: admin } = await openDatastore(database, { poolMax: 1 });
    let sampler: ReturnType<typeof samplePool> | undefined;
    try {
      const killed = sessionId(await datastore.query(select(scenario.sessionIdSql)));
      await admin.execute({ sql: scenario.killSql(killed), parameters: [], kind: 'other' });
      await waitUntil(async () => Number((await admin.query(select(scenario.sessionExistsSql, [killed])))[0]?.n) === 0, `session ${killed} ending`);

      sampler = samplePool(datastore);
      // The connection was idle for less than the pool's validate-after-idle time (5 s), so it is handed
      // out unchecked and the statement finds it dead: the caller sees DB_UNAVAILABLE, the pool drops it.
      const error = await rejection(datastore.query(select(scenario.sessionIdSql)), 'the statement on the killed session');
      const unavailable = assertAppError(error, 'DB_UNAVAILABLE');
      context.diagnostic(`first statement after the kill: ${unavailable.message}`);
      const afterFailure = datastore.state().pool;
      assert.equal(afterFailure.destroyed, 1, 'the dead connection was not dropped');
      assert.equal(afterFailure.size, 0);

      const replacement = sessionId(await datastore.query(select(scenario.sessionIdSql)));
      assert.notEqual(replacement, killed, 'the next statement ran on the killed session id');
      const { maxSize, last } = sampler.stop();
      assert.ok(last.destroyed >= 1);
      assert.equal(last.created, 2, 'one connection at start, one replacement');
      assert.ok(maxSize <= last.max && last.size <= last.max, `pool grew past its max: ${JSON.stringify({ maxSize, last })}`);

      // And the replacement stays in use: the same session serves the statement after.
      assert.equal(sessionId(await datastore.query(select(scenario.sessionIdSql))), replacement);
    } finally {
      sampler?.stop();
      await datastore.close();
      await admin.close();
    }
  });
}

describe('connection pool on PostgreSQL (psqlODBC)', () => {
  const database = postgresqlDatabase();

  itReplacesAKilledConnection(database, {
    sessionIdSql: 'SELECT pg_backend_pid() AS id',
    killSql: (id) => `SELECT pg_terminate_backend(${id}) AS terminated`,
    sessionExistsSql: 'SELECT COUNT(*) AS n FROM pg_stat_activity WHERE pid = ?',
  });

  it('a statement running past queryTimeoutMs (pg_sleep(5), 1 s limit) rejects with DB_QUERY_TIMEOUT; the pool stays within max and works after', async (context) => {
    const { datastore } = await openDatastore(database, { poolMax: 2, queryTimeoutMs: 1_000 });
    const sampler = samplePool(datastore);
    try {
      const error = await rejection(datastore.query(select('SELECT pg_sleep(5)')), 'pg_sleep(5)');
      context.diagnostic(`timeout: ${assertAppError(error, 'DB_QUERY_TIMEOUT').message}`);
      assert.deepEqual(await datastore.query(select('SELECT 1 AS ok')), [{ ok: 1 }]);
      const { maxSize, last } = sampler.stop();
      assert.ok(maxSize <= 2, `pool size reached ${maxSize}, max 2`);
      assert.equal(last.inUse, 0);
      context.diagnostic(`pool after: ${JSON.stringify(last)}`);
    } finally {
      sampler.stop();
      await datastore.close();
    }
  });

  it('with poolMax 1 held by a transaction, a second statement waits acquireTimeoutMs and rejects with DB_POOL_TIMEOUT; statements work once it ends', async () => {
    const { datastore } = await openDatastore(database, { poolMax: 1, acquireTimeoutMs: 300 });
    try {
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const first = datastore.transaction(async (transaction) => {
        holding();
        await transaction.query(select('SELECT pg_sleep(1.5)'));
        return 'first done';
      });
      await held;

      const error = await rejection(datastore.query(select('SELECT 1 AS ok')), 'the second statement');
      assert.match(assertAppError(error, 'DB_POOL_TIMEOUT').message, /300 ms/);
      assert.equal(datastore.state().pool.acquireTimeouts, 1);

      assert.equal(await first, 'first done');
      assert.deepEqual(await datastore.query(select('SELECT 1 AS ok')), [{ ok: 1 }]);
      const state = datastore.state().pool;
      assert.equal(state.size, 1);
      assert.equal(state.waiting, 0);
      assert.equal(state.destroyed, 0, 'a timed-out waiter must not cost the connection it waited for');
    } finally {
      await datastore.close();
    }
  });

  it('a wrong password is refused with DB_UNAVAILABLE whose message, details and cause never contain the password', async (context) => {
    const wrongPassword = 'wrong_secret_123';
    const connectionString = database.connectionString.replace(/(^|;)\s*pwd\s*=[^;]*/i, `$1Pwd=${wrongPassword}`);
    assert.ok(connectionString.includes(wrongPassword), 'the test connection string has no Pwd to replace');
    const datastore = Datastore.create({
      connectionString,
      dialect: dialectFor('postgresql'),
      poolMax: 2,
      acquireTimeoutMs: 5_000,
      queryTimeoutMs: 5_000,
      idleTimeoutMs: 60_000,
    });
    try {
      const error = await rejection(datastore.ping(), 'a ping with a wrong password');
      const refused = assertAppError(error, 'DB_UNAVAILABLE');
      context.diagnostic(refused.message);
      assert.match(refused.message, /password authentication failed/);
      assert.ok(!refused.message.includes(wrongPassword), refused.message);
      assert.ok(!JSON.stringify(refused.details ?? {}).includes(wrongPassword));
      assert.ok(!inspect(refused, { depth: 10 }).includes(wrongPassword), 'the password is in the error or its cause');
      assert.equal(datastore.state().pool.size, 0, 'a failed login must not hold a pool slot');
    } finally {
      await datastore.close();
    }
  });
});

describe('connection pool on MariaDB (MariaDB Connector/ODBC)', () => {
  itReplacesAKilledConnection(mariadbDatabase(), {
    sessionIdSql: 'SELECT CONNECTION_ID() AS id',
    killSql: (id) => `KILL ${id}`,
    sessionExistsSql: 'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?',
  });
});

function describeTransactions(database: TestDatabase, table: string): void {
  describe(`transactions on ${database.label}`, () => {
    let datastore: Datastore;
    const quote = (name: string) => datastore.dialect.quoteIdentifier(name);
    const insert = (id: number, label: string): Statement => ({
      sql: `INSERT INTO ${quote(table)} (${quote('id')}, ${quote('label')}) VALUES (?, ?)`,
      parameters: [id, label],
      kind: 'insert',
    });
    const ids = async () => (await datastore.query(select(`SELECT ${quote('id')} AS id FROM ${quote(table)} ORDER BY ${quote('id')}`))).map((row) => row.id);

    before(async () => {
      ({ datastore } = await openDatastore(database));
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${quote(table)}`));
      await datastore.execute(
        datastore.dialect.compileCreateTable({
          name: table,
          columns: [
            { name: 'id', type: 'integer', nullable: false },
            { name: 'label', type: 'string', length: 50 },
          ],
          primaryKey: ['id'],
        }),
      );
    });

    after(async () => {
      await datastore?.close();
    });

    it('work that throws after two inserts is rolled back: the error reaches the caller and no row remains', async () => {
      await datastore.execute(ddl(`DELETE FROM ${quote(table)}`));
      const failure = new Error('work failed after two inserts');
      const error = await rejection(
        datastore.transaction(async (transaction) => {
          await transaction.execute(insert(1, 'first'));
          await transaction.execute(insert(2, 'second'));
          assert.deepEqual(
            (await transaction.query(select(`SELECT COUNT(*) AS n FROM ${quote(table)}`))).map((row) => Number(row.n)),
            [2],
            'the transaction does not see its own inserts',
          );
          throw failure;
        }),
        'the failing transaction',
      );
      assert.equal(error, failure);
      assert.deepEqual(await ids(), []);
      const pool = datastore.state().pool;
      assert.equal(pool.inUse, 0);
      assert.equal(pool.destroyed, 0, 'a clean rollback must keep the connection');
    });

    it('work that resolves is committed: both inserted rows remain and its result is returned', async () => {
      await datastore.execute(ddl(`DELETE FROM ${quote(table)}`));
      const result = await datastore.transaction(async (transaction) => {
        await transaction.execute(insert(1, 'first'));
        await transaction.execute(insert(2, 'second'));
        return 'committed';
      });
      assert.equal(result, 'committed');
      assert.deepEqual(await ids(), [1, 2]);
    });

    it('a statement error inside the transaction rolls back the earlier insert and reaches the caller as an AppError', async () => {
      await datastore.execute(ddl(`DELETE FROM ${quote(table)}`));
      const error = await rejection(
        datastore.transaction(async (transaction) => {
          await transaction.execute(insert(1, 'first'));
          await transaction.execute(insert(1, 'duplicate key'));
        }),
        'the transaction with a duplicate key',
      );
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'DB_CONSTRAINT_VIOLATION');
      assert.deepEqual(await ids(), []);
    });
  });
}

describeTransactions(sqliteDatabase(), 'pool_tx_sqlite');
describeTransactions(postgresqlDatabase(), 'pool_tx_pg');
describeTransactions(mariadbDatabase(), 'pool_tx_mariadb');
