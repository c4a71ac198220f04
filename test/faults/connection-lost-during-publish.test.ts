/**
 * The database connection is lost while a run publishes its outcomes: the run stays SUCCEEDED with
 * every assignment (stored and committed before publishing), records publishError DB_UNAVAILABLE, and
 * the outcome table is exactly as it was — the outcome UPSERT is a transaction of its own, all or
 * nothing. Once the database is back, publishRunOutcomes writes every outcome.
 *
 * On PostgreSQL, in a schema of this file's own (test/support/postgresql-schema.ts). The dataset is
 * 200,000 rows × 3 features, so publishing UPSERTs 200,000 outcomes from the stored assignments in
 * one statement: about a second on this machine, a window the test can hit by polling every 20 ms
 * instead of by timing. The test waits until pg_stat_activity shows the server's backend INSIDE a
 * transaction whose statement is an INSERT (or, on PostgreSQL 15+, a MERGE) into ai_cluster_outcome,
 * and only then cuts the connection. It never guesses with a sleep: if the run finishes before the
 * window was seen, the test fails saying so.
 *
 * Two ways of losing the connection:
 * 1. pg_terminate_backend on that one backend: the rest of the database stays up, so the publish
 *    error is recorded at once on another pooled connection.
 * 2. The whole database goes away (the server reaches PostgreSQL through a switchable relay in a child
 *    process, test/support/process-relay.ts, which is closed): the publish error cannot even be
 *    recorded until the database is back. The relay is reopened once the server has reported the
 *    failed write in its log; the run must then carry publishError, never be left without it.
 *
 * Before both, an earlier run of the same dataset has published its 200,000 outcomes, so the table
 * holds rows the interrupted UPSERT was overwriting; the snapshot compares every row.
 *
 * A third test pins down, at the datastore, the case the terminated backend sometimes falls into
 * (when it is idle between two statements of the transaction): psqlODBC then reports only HY000
 * "internal SAVEPOINT failed", which must still count as a lost connection (DB_UNAVAILABLE, the
 * connection discarded), not as an ordinary error that sends a dead connection back to the pool.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Datastore } from '../../src/datastore/datastore';
import { dialectFor } from '../../src/datastore/dialects';
import { isAppError } from '../../src/errors/app-error';
import { CancelModelRunDocument, PublishRunOutcomesDocument, RegisterDatasetDocument, StartModelRunDocument } from '../generated/graphql';
import { startTestServer, type TestServer } from '../support/app-harness';
import { createPostgresqlSchema, createSeriesTable, type BackendActivity, type PostgresqlSchema } from '../support/postgresql-schema';
import {
  countAssignments,
  dataOf,
  isSettled,
  pollUntil,
  readOutcomeTable,
  registerInput,
  runState,
  snapshotOutcomeTable,
  startInput,
  TERMINAL,
  waitForRun,
} from '../support/runs';
import { startProcessRelay, type ProcessRelay } from '../support/process-relay';

const SCHEMA_TAG = 'faults_publish_connection';
const TABLE = 'faults_publish_points';
const ROWS = 200_000;
const RUN = { k: 3, maxIterations: 5 } as const;

/** The server's backend that is inside the final transaction, UPSERTing outcomes; undefined if none now. */
function outcomeWriter(backends: readonly BackendActivity[]): BackendActivity | undefined {
  return backends.find((backend) => backend.inTransaction && /^\s*(?:INSERT|MERGE) INTO "ai_cluster_outcome"/.test(backend.query));
}

describe(`PostgreSQL: the connection lost while a run publishes ${ROWS} outcomes`, () => {
  let schema: PostgresqlSchema;
  let relay: ProcessRelay;
  let server: TestServer;
  let datasetId: string;
  let outcomesBefore: string[];
  let publishedRunId: string;

  /** Starts a run and returns its id once its backend is UPSERTing outcomes inside the publishing transaction. */
  async function startAndCatchPublishing(seed: number): Promise<{ id: string; writer: BackendActivity }> {
    const id = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...RUN, seed }) }), 'startModelRun').startModelRun.id;
    const seen = await pollUntil(
      async () => {
        const writer = outcomeWriter(await schema.backends());
        const run = await runState(server, id);
        return { writer, run, settled: await isSettled(server, run) };
      },
      ({ writer, settled }) => writer !== undefined || settled,
      `run ${id} UPSERTing outcomes inside its publishing transaction`,
      120_000,
      20,
    );
    assert.ok(seen.writer, `run ${id} ended ${seen.run.status} before its outcome UPSERT was seen in pg_stat_activity (the window was missed)`);
    assert.equal(seen.run.status, 'SUCCEEDED', 'the results and assignments are committed before publishing begins');
    return { id, writer: seen.writer };
  }

  before(async () => {
    schema = await createPostgresqlSchema(SCHEMA_TAG);
    const features = await createSeriesTable(schema.datastore, TABLE, ROWS, 3);
    relay = await startProcessRelay(`http://127.0.0.1:${schema.port}`);
    server = await startTestServer({ DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.through(relay.port), RUN_HEARTBEAT_MS: '1000' });
    datasetId = dataOf(
      await server.graphql(RegisterDatasetDocument, {
        input: registerInput({ name: 'publish points', table: TABLE, keyColumns: ['id'], featureColumns: features }),
      }),
      'registerDataset',
    ).registerDataset.id;
    // Published outcomes the interrupted runs would overwrite.
    publishedRunId = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...RUN, seed: 1 }) }), 'first run').startModelRun.id;
    const published = await waitForRun(server, publishedRunId, TERMINAL, 180_000);
    assert.equal(published.status, 'SUCCEEDED', JSON.stringify(published.error));
    outcomesBefore = await snapshotOutcomeTable(schema.datastore);
    assert.equal(outcomesBefore.length, ROWS);
  });

  after(async () => {
    await relay?.open();
    await server?.stop();
    await relay?.stop();
    await schema?.drop();
  });

  it('a session ended while idle in a transaction: the next statement fails DB_UNAVAILABLE (psqlODBC says only "internal SAVEPOINT failed") and the dead connection is not reused', async () => {
    const datastore = Datastore.create({
      connectionString: schema.connectionString,
      dialect: dialectFor('postgresql'),
      poolMax: 1,
      acquireTimeoutMs: 10_000,
      queryTimeoutMs: 60_000,
      idleTimeoutMs: 60_000,
    });
    try {
      await datastore.detectServer();
      await datastore.execute({ sql: 'CREATE TABLE faults_session_probe (a INTEGER)', parameters: [], kind: 'ddl' });
      let terminatedPid = 0;
      const failure = await datastore
        .transaction(async (transaction) => {
          await transaction.execute({ sql: 'INSERT INTO faults_session_probe (a) VALUES (?)', parameters: [1], kind: 'insert' });
          const [row] = await transaction.query({ sql: 'SELECT pg_backend_pid() AS pid', parameters: [], kind: 'select' });
          terminatedPid = Number(row?.pid);
          assert.equal(await schema.terminate(terminatedPid), true);
          await pollUntil(
            () => schema.backends(),
            (backends) => !backends.some((backend) => backend.pid === terminatedPid),
            `backend ${terminatedPid} ending`,
          );
          await transaction.execute({ sql: 'INSERT INTO faults_session_probe (a) VALUES (?)', parameters: [2], kind: 'insert' });
        })
        .then(
          () => assert.fail('the statement after the session ended succeeded'),
          (error: unknown) => error,
        );
      assert.ok(isAppError(failure), String(failure));
      assert.equal(failure.code, 'DB_UNAVAILABLE', failure.message);
      // With one pooled connection, the next statement can only run if the dead one was replaced.
      const [row] = await datastore.query({ sql: 'SELECT pg_backend_pid() AS pid, COUNT(*) AS n FROM faults_session_probe', parameters: [], kind: 'select' });
      assert.notEqual(Number(row?.pid), terminatedPid);
      assert.equal(Number(row?.n), 0, 'the ended session’s transaction was rolled back');
      assert.equal(datastore.state().pool.destroyed, 1);
    } finally {
      await datastore.close();
    }
  });

  it('its backend terminated (pg_terminate_backend) during the outcome UPSERT: the run stays SUCCEEDED with publishError DB_UNAVAILABLE and every assignment, the outcome table unchanged', async (t) => {
    const { id, writer } = await startAndCatchPublishing(2);
    assert.equal(await schema.terminate(writer.pid), true, `pg_terminate_backend(${writer.pid})`);
    t.diagnostic(`terminated backend ${writer.pid} (${writer.state}: ${writer.query.slice(0, 40)}…)`);

    const ended = await waitForRun(server, id);
    assert.equal(ended.status, 'SUCCEEDED');
    assert.equal(ended.error, null);
    assert.equal(ended.publishError?.code, 'DB_UNAVAILABLE', JSON.stringify(ended.publishError));
    assert.match(ended.publishError?.message ?? '', /^Publishing the outcomes to table ai_cluster_outcome failed: /, 'the catalogue’s words, not the driver’s');
    assert.equal(ended.outcomesPublishedAt, null);
    t.diagnostic(`publishError: ${JSON.stringify(ended.publishError)}`);

    assert.equal(await countAssignments(schema.datastore, id), ROWS, 'every assignment of the run is kept');
    assert.deepEqual(await snapshotOutcomeTable(schema.datastore), outcomesBefore, 'the outcome table is exactly as before');
    assert.equal((await runState(server, publishedRunId)).status, 'SUCCEEDED');
    // The pool replaced the dead connection: the server still serves.
    assert.equal((await server.get('/readyz')).status, 200);
  });

  it('the whole database away (relay closed) during the outcome UPSERT and back later: the run stays SUCCEEDED and gets publishError DB_UNAVAILABLE once the database is back; publishRunOutcomes then writes every outcome', async (t) => {
    const { id } = await startAndCatchPublishing(3);
    const logsBefore = server.logs.length;
    await relay.close();
    // The publisher has seen its write fail (it logs a warning or error naming the run) while the database is away.
    await pollUntil(
      () => Promise.resolve(server.logs.slice(logsBefore).filter((line) => line.includes(id) && /"level":(40|50)/.test(line))),
      (lines) => lines.length > 0,
      `the server logging the failed final transaction of run ${id}`,
    );
    assert.equal((await server.get('/readyz')).status, 503, 'the database is away');
    await relay.open();

    const ended = await waitForRun(server, id, TERMINAL, 60_000);
    t.diagnostic(`ended ${ended.status}: ${JSON.stringify(ended.publishError)}`);
    assert.equal(ended.status, 'SUCCEEDED');
    assert.equal(ended.publishError?.code, 'DB_UNAVAILABLE', JSON.stringify(ended.publishError));
    assert.equal(await countAssignments(schema.datastore, id), ROWS, 'every assignment of the run is kept');
    assert.deepEqual(await snapshotOutcomeTable(schema.datastore), outcomesBefore, 'the outcome table is exactly as before');
    await pollUntil(
      () => server.get('/readyz').then((response) => response.status),
      (status) => status === 200,
      'the server ready again',
    );

    const published = dataOf(await server.graphql(PublishRunOutcomesDocument, { runId: id }), 'publishRunOutcomes').publishRunOutcomes;
    assert.equal(published.publishError, null);
    const outcomes = await readOutcomeTable(schema.datastore, datasetId);
    assert.equal(outcomes.length, ROWS);
    assert.ok(
      outcomes.every((row) => row.runId === id && row.scoredAt === published.finishedAt),
      'every outcome is the run’s',
    );
  });

  it('cancelModelRun while the outcome UPSERT runs: the run is already SUCCEEDED and stays so, and its outcomes are written whole, never half', async () => {
    const { id } = await startAndCatchPublishing(4);
    const cancelled = dataOf(await server.graphql(CancelModelRunDocument, { id }), 'cancelModelRun').cancelModelRun;
    assert.equal(cancelled.status, 'SUCCEEDED');
    const ended = await waitForRun(server, id);
    assert.equal(ended.status, 'SUCCEEDED');
    assert.equal(ended.publishError, null);
    assert.ok(ended.outcomesPublishedAt);
    const outcomes = await readOutcomeTable(schema.datastore, datasetId);
    assert.equal(outcomes.length, ROWS);
    assert.ok(
      outcomes.every((row) => row.runId === id),
      'every outcome is the run’s',
    );
  });
});
