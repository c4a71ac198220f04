/**
 * Publishing a run's outcomes fails after the clustering succeeded: the run stays SUCCEEDED with its
 * results and every assignment, records publishError (a catalogue code and a message without the
 * database's words), the trace and subscribers hear of it, and publishRunOutcomes retries it once the
 * outcome table is repaired, writing every outcome and clearing the error.
 *
 * The failure is real: a trigger on the dataset's own outcome table refuses every row (PostgreSQL's
 * RAISE EXCEPTION, SQLite's RAISE(ABORT)); dropping the trigger repairs the table.
 */
import { ERROR_CATALOGUE } from '../../../src/errors/catalogue';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { OutcomeRepository } from '../../../src/modules/outcome/outcome.repository';
import { AssignmentRepository } from '../../../src/modules/run/assignment.repository';
import type { Statement } from '../../../src/datastore/types';
import type { Datastore } from '../../../src/datastore/datastore';
import { storedAssignments } from '../../support/assignments';
import {
  CancelModelRunDocument,
  DatasetNamesDocument,
  ModelRunPublishUpdatesDocument,
  ModelRunResultDocument,
  PublishRunOutcomesDocument,
  RegisterDatasetDocument,
  RunTraceActionsDocument,
  StartModelRunDocument,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { ddl, embeddedDatastore, select } from '../../support/databases';
import { collectUntil, connectGraphqlWs, requestOverWs } from '../../support/graphql-ws';
import { createPostgresqlSchema, createSeriesTable, type PostgresqlSchema } from '../../support/postgresql-schema';
import { createNoiseTable, dataOf, LONG_RUN, pollUntil, readOutcomeTable, registerInput, runState, startInput, TERMINAL, waitForRun } from '../../support/runs';

const SECRET = 'pf secret detail of the refusal';

/** Asserts the masked publish error: the catalogue code, the table named, none of the database's words. */
function assertMaskedPublishError(error: { code: string; message: string } | null | undefined, code: string, table: string): void {
  assert.ok(error, 'publishError is set');
  assert.equal(error.code, code, JSON.stringify(error));
  assert.match(error.message, new RegExp(`^Publishing the outcomes to table ${table} failed: `));
  for (const driverText of [SECRET, 'postgresql error', 'sqlite error', 'P0001', 'ERROR:'])
    assert.ok(!error.message.includes(driverText), `no driver text (${driverText}) in ${error.message}`);
}

describe('PostgreSQL: publishing a run’s outcomes fails (a trigger on the outcome table refuses every row)', () => {
  const TABLE = 'pf_points';
  const OUTCOMES = 'pf_outcome';
  const ROWS = 3_000;
  const RUN = { k: 4, seed: 3, nInit: 2 } as const;
  let schema: PostgresqlSchema;
  let server: TestServer;
  let datasetId: string;
  let runId: string;
  let firstError: { code: string; message: string; at: string };

  before(async () => {
    schema = await createPostgresqlSchema('runs_publish_failure');
    const features = await createSeriesTable(schema.datastore, TABLE, ROWS, 3);
    server = await startTestServer({ DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, RUN_HEARTBEAT_MS: '600000' });
    datasetId = dataOf(
      await server.graphql(RegisterDatasetDocument, {
        input: registerInput({ name: 'publish failure points', table: TABLE, keyColumns: ['id'], featureColumns: features, outcomeTable: OUTCOMES }),
      }),
      'registerDataset',
    ).registerDataset.id;
    await schema.datastore.execute(ddl(`CREATE FUNCTION pf_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION '${SECRET}'; END $$ LANGUAGE plpgsql`));
    await schema.datastore.execute(ddl(`CREATE TRIGGER pf_refuse BEFORE INSERT OR UPDATE ON ${OUTCOMES} FOR EACH ROW EXECUTE FUNCTION pf_refuse()`));
  });
  after(async () => {
    await server?.stop();
    await schema?.drop();
  });

  it('the run ends SUCCEEDED with publishError DB_ERROR (no driver text), its results and its assignments value by value as an identical run computes them', async () => {
    runId = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...RUN }) }), 'startModelRun').startModelRun.id;
    const ended = await waitForRun(server, runId);
    assert.equal(ended.status, 'SUCCEEDED', JSON.stringify(ended.error));
    assert.equal(ended.error, null);
    assert.equal(ended.outcomesPublishedAt, null);
    assertMaskedPublishError(ended.publishError, 'DB_ERROR', OUTCOMES);
    firstError = ended.publishError!;
    assert.deepEqual(await readOutcomeTable(schema.datastore, datasetId, OUTCOMES), [], 'nothing was published');

    const result = dataOf(await server.graphql(ModelRunResultDocument, { id: runId }), 'modelRun').modelRun!;
    assert.equal(
      result.clusterSizes?.reduce((sum, size) => sum + size, 0),
      ROWS,
    );
    assert.ok(result.centroids?.length === RUN.k);

    // The reference: the same parameters and seed, computed again without publishing.
    const twin = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...RUN, publishOutcomes: false }) }), 'twin').startModelRun
      .id;
    assert.equal((await waitForRun(server, twin)).status, 'SUCCEEDED');
    const kept = await storedAssignments(schema.datastore, runId);
    const expected = await storedAssignments(schema.datastore, twin);
    assert.equal(kept.length, ROWS);
    assert.deepEqual(kept, expected, 'every assignment kept, value by value');
    assert.deepEqual(kept.map((row) => row.entityKey).sort(), Array.from({ length: ROWS }, (_, index) => String(index + 1)).sort());
  });

  it('the run’s trace has an outcomes-publish-failed event with the same code and message, and the log holds no driver text at info level', async () => {
    const trace = await pollUntil(
      async () =>
        dataOf(
          await server.graphql(RunTraceActionsDocument, { id: runId, actions: ['OUTCOMES_PUBLISH_FAILED', 'RUN_SUCCEEDED'] }),
          'trace',
        ).modelRun!.trace!.edges.map((edge) => edge.node),
      (nodes) => nodes.length === 2,
      'the trace holding run-succeeded and outcomes-publish-failed',
    );
    assert.deepEqual(
      trace.map((node) => node.action),
      ['RUN_SUCCEEDED', 'OUTCOMES_PUBLISH_FAILED'],
    );
    assert.equal(trace[1]!.outcome, 'FAILURE');
    assert.deepEqual((trace[1]!.document as { error?: unknown }).error, { code: firstError.code, message: firstError.message });
    assert.ok(!server.logs.some((line) => line.includes(SECRET)), 'the driver’s text is logged at debug level only');
    assert.ok(server.logs.some((line) => line.includes(runId) && line.includes('publishing the run’s outcomes failed')));
  });

  it('publishRunOutcomes while the table still refuses: DB_ERROR with the catalogue’s message, publishError recorded again', async () => {
    const result = await server.graphql(PublishRunOutcomesDocument, { runId });
    assert.equal(result.errors?.length, 1, JSON.stringify(result));
    assert.equal(result.errors[0]!.extensions?.code, 'DB_ERROR');
    assert.equal(result.errors[0]!.message, ERROR_CATALOGUE.DB_ERROR);
    const run = await runState(server, runId);
    assertMaskedPublishError(run.publishError, 'DB_ERROR', OUTCOMES);
    assert.ok(Date.parse(run.publishError!.at) >= Date.parse(firstError.at));
    assert.equal(run.outcomesPublishedAt, null);
  });

  it('once the table is repaired, publishRunOutcomes writes every outcome equal to the assignments and clears publishError', async () => {
    await schema.datastore.execute(ddl(`DROP TRIGGER pf_refuse ON ${OUTCOMES}`));
    const published = dataOf(await server.graphql(PublishRunOutcomesDocument, { runId }), 'publishRunOutcomes').publishRunOutcomes;
    assert.equal(published.status, 'SUCCEEDED');
    assert.equal(published.publishError, null);
    assert.ok(published.outcomesPublishedAt);
    const outcomes = await readOutcomeTable(schema.datastore, datasetId, OUTCOMES);
    const assignments = await storedAssignments(schema.datastore, runId);
    assert.equal(outcomes.length, ROWS);
    assert.deepEqual(
      outcomes.map((row) => ({ entityKey: row.entityKey, cluster: row.cluster, distance: row.distance })),
      assignments,
    );
    assert.ok(
      outcomes.every((row) => row.runId === runId && row.scoredAt === published.finishedAt),
      'each row carries the run and its finish time',
    );
  });

  it('statistics: after a run’s assignments are stored one row per entity (a run before migration 7) into a table whose statistics predate them, the refresh makes the planner count them instead of 1 row', async () => {
    // A table of the app's layout in the test's own schema, analysed while it held an older run only.
    const { datastore } = schema;
    const assignments = new AssignmentRepository(datastore);
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    await datastore.execute(ddl(`DELETE FROM ai_run_assignment`));
    const rows = (seed: number) => Array.from({ length: 20_000 }, (_, index) => ({ entityKey: `e${index}`, cluster: (index * seed) % 5, distance: index / 7 }));
    await datastore.transaction((transaction) => assignments.saveRows('pf-old', rows(1), transaction));
    await datastore.execute(ddl('ANALYZE ai_run_assignment'));
    await datastore.transaction((transaction) => assignments.saveRows('pf-new', rows(3), transaction));
    const estimate = async () => {
      const plan = await datastore.query(select(`EXPLAIN SELECT * FROM ${q('ai_run_assignment')} WHERE ${q('run_id')} = ?`, ['pf-new']));
      return Number(/rows=(\d+)/.exec(String(Object.values(plan[0]!)[0]))?.[1]);
    };
    assert.ok((await estimate()) < 100, 'before: the new run is unknown to the statistics');
    await assignments.refreshStatistics();
    const after = await estimate();
    assert.ok(after > 10_000, `after: the planner expects about 20,000 rows, got ${after}`);
  });

  it('the publish statement, planned in its transaction on statistics that know nothing of the run, has no nested loop', async () => {
    const { datastore } = schema;
    const assignments = new AssignmentRepository(datastore);
    // A run unknown to the statistics (stored after the last ANALYZE), as a run's assignments are until refreshed.
    await datastore.transaction((transaction) =>
      assignments.saveRows(
        'pf-unknown',
        Array.from({ length: 5_000 }, (_, index) => ({ entityKey: `u${index}`, cluster: index % 3, distance: index })),
        transaction,
      ),
    );
    const statements: Statement[] = [];
    await new OutcomeRepository(datastore).publishFromAssignments('pf-unknown', OUTCOMES, datasetId, new Date(), {
      dialect: datastore.dialect,
      query: (statement) => datastore.query(statement),
      execute: (statement) => Promise.resolve(statements.push(statement)),
    });
    const upsert = statements.pop()!;
    const plan = await datastore.transaction(async (transaction) => {
      // What publishing runs before its UPSERT (the lock and the planner setting), then the UPSERT explained.
      for (const statement of statements) await transaction.execute(statement);
      const lines = await transaction.query({ ...upsert, sql: `EXPLAIN ${upsert.sql}`, kind: 'select' });
      return lines.map((line) => String(Object.values(line)[0]));
    });
    assert.ok(
      plan.some((line) => /Merge on|Insert on/.test(line)),
      plan.join('\n'),
    );
    assert.ok(!plan.some((line) => line.includes('Nested Loop')), plan.join('\n'));
  });
});

describe('SQLite: a run whose publishing fails, heard by a modelRunUpdated subscriber', () => {
  const OUTCOMES = 'pf_sqlite_outcome';
  let server: TestServer;
  let datastore: Datastore;
  let client: Client | undefined;
  let datasetId: string;
  let noiseId: string;

  before(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-publish-failure-'));
    // One run at a time, so the run under test waits QUEUED behind a long one while the subscription starts.
    server = await startTestServer({ DATA_DIR: dataDir, RUN_CONCURRENCY: '1', RUN_HEARTBEAT_MS: '600000' });
    datastore = embeddedDatastore(dataDir);
    datasetId = dataOf(
      await server.graphql(RegisterDatasetDocument, {
        input: registerInput({
          name: 'iris refused',
          table: 'iris',
          keyColumns: ['sample_id'],
          featureColumns: ['petal_length', 'petal_width'],
          outcomeTable: OUTCOMES,
        }),
      }),
      'registerDataset',
    ).registerDataset.id;
    const features = await createNoiseTable(server.app.datastore, 'pf_noise', 20_000, 8, 5);
    noiseId = dataOf(
      await server.graphql(RegisterDatasetDocument, {
        input: registerInput({ name: 'pf noise', table: 'pf_noise', keyColumns: ['id'], featureColumns: features }),
      }),
      'noise',
    ).registerDataset.id;
    for (const event of ['INSERT', 'UPDATE']) {
      await datastore.execute(
        ddl(`CREATE TRIGGER pf_refuse_${event.toLowerCase()} BEFORE ${event} ON ${OUTCOMES} BEGIN SELECT RAISE(ABORT, '${SECRET}'); END`),
      );
    }
  });
  after(async () => {
    await client?.dispose();
    await server?.stop();
    await datastore?.close();
  });

  it('the subscriber’s last update is SUCCEEDED with publishError set; the assignments stay; after the triggers are dropped publishRunOutcomes writes all 150 outcomes', async () => {
    const start = async (fields: Parameters<typeof startInput>[0]) =>
      dataOf(await server.graphql(StartModelRunDocument, { input: startInput(fields) }), 'start').startModelRun;
    const blocker = await start({ datasetId: noiseId, ...LONG_RUN, publishOutcomes: false });
    await waitForRun(server, blocker.id, ['RUNNING']);
    const run = await start({ datasetId, k: 3, seed: 2 });
    assert.equal((await runState(server, run.id)).status, 'QUEUED');

    client = await connectGraphqlWs(server.url);
    const { done } = collectUntil(client, ModelRunPublishUpdatesDocument, { id: run.id }, (event) => TERMINAL.includes(event.modelRunUpdated.status));
    // A round trip on the same socket after the subscribe message: the server has taken the subscription.
    assert.ok((await requestOverWs(client, DatasetNamesDocument, {})).data?.datasets.length);
    dataOf(await server.graphql(CancelModelRunDocument, { id: blocker.id }), 'cancel the blocker');

    const last = (await done).at(-1)!.modelRunUpdated;
    assert.equal(last.status, 'SUCCEEDED');
    assert.equal(last.outcomesPublishedAt, null);
    assert.ok(last.publishError, 'the subscriber hears of the publish failure with the terminal state');
    assert.ok(last.publishError.code.startsWith('DB_'), last.publishError.code);
    assertMaskedPublishError(last.publishError, last.publishError.code, OUTCOMES);

    const kept = await storedAssignments(datastore, run.id);
    assert.equal(kept.length, 150);
    for (const event of ['insert', 'update']) await datastore.execute(ddl(`DROP TRIGGER pf_refuse_${event}`));
    const published = dataOf(await server.graphql(PublishRunOutcomesDocument, { runId: run.id }), 'publishRunOutcomes').publishRunOutcomes;
    assert.equal(published.publishError, null);
    const outcomes = await readOutcomeTable(datastore, datasetId, OUTCOMES);
    assert.deepEqual(
      outcomes.map((row) => ({ entityKey: row.entityKey, cluster: row.cluster })),
      kept.map((row) => ({ entityKey: row.entityKey, cluster: row.cluster })),
    );
    // The chunks keep each distance exactly, and the outcome table holds it so.
    outcomes.forEach((row, index) =>
      assert.ok(Object.is(row.distance, kept[index]!.distance), `${row.entityKey}: ${row.distance} for ${kept[index]!.distance}`),
    );
  });
});
