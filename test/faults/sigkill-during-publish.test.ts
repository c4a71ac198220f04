/**
 * The server process is killed (SIGKILL) while a run is publishing its outcomes, then started again
 * on the same database: the run stays SUCCEEDED with every assignment (stored and committed before
 * publishing began) and gets publishError INTERRUPTED from the restarted server, no RUNNING or QUEUED
 * run is left, no half-published outcome exists — the outcome table is exactly as it was before the
 * run — and publishRunOutcomes on the restarted server writes every outcome of the run.
 *
 * test/graphql/runs/lifecycle.test.ts covers a kill while computing on the embedded SQLite; this is
 * PostgreSQL (a schema of this file's own, test/support/postgresql-schema.ts) and the kill lands
 * INSIDE the publishing transaction. As in connection-lost-during-publish.test.ts, the dataset is
 * 200,000 rows, so the outcome UPSERT lasts about a second, and the test polls pg_stat_activity until
 * the server's backend is inside that transaction UPSERTing outcomes before it kills the process — no sleeps; if the run ends
 * before that was seen, the test fails saying so. PostgreSQL rolls the transaction back when the dead
 * client's connection closes.
 *
 * The processes are dist/src/main.js, as `npm start` runs it (test/support/main-process.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelRunsPageDocument, PublishRunOutcomesDocument, RegisterDatasetDocument, StartModelRunDocument } from '../generated/graphql';
import { startMain, type MainProcess } from '../support/main-process';
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

const SCHEMA_TAG = 'faults_sigkill_publish';
const TABLE = 'faults_sigkill_points';
const ROWS = 200_000;
const RUN = { k: 3, maxIterations: 5 } as const;

function outcomeWriter(backends: readonly BackendActivity[]): BackendActivity | undefined {
  return backends.find((backend) => backend.inTransaction && /^\s*(?:INSERT|MERGE) INTO "ai_cluster_outcome"/.test(backend.query));
}

function alive(main: MainProcess | undefined): main is MainProcess {
  return main?.child.exitCode === null && main.child.signalCode === null;
}

describe('PostgreSQL: the server process killed (SIGKILL) inside a run’s publishing transaction, then restarted', () => {
  let schema: PostgresqlSchema;
  let env: Record<string, string>;
  let first: MainProcess | undefined;
  let second: MainProcess | undefined;

  before(async () => {
    schema = await createPostgresqlSchema(SCHEMA_TAG);
    env = { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-sigkill-pg-')) };
  });

  after(async () => {
    for (const main of [first, second]) {
      if (alive(main)) {
        main.child.kill('SIGKILL');
        await main.exited;
      }
    }
    await schema?.drop();
  });

  it('the run stays SUCCEEDED with all its assignments, no run is left RUNNING, the outcome table is unchanged, and publishRunOutcomes after the restart writes every outcome', async (t) => {
    const features = await createSeriesTable(schema.datastore, TABLE, ROWS, 3);
    first = await startMain(env);
    const dataset = dataOf(
      await first.graphql(RegisterDatasetDocument, {
        input: registerInput({ name: 'sigkill points', table: TABLE, keyColumns: ['id'], featureColumns: features }),
      }),
      'registerDataset',
    ).registerDataset;

    // Published outcomes that the killed run was overwriting.
    const published = dataOf(
      await first.graphql(StartModelRunDocument, { input: startInput({ datasetId: dataset.id, ...RUN, seed: 1 }) }),
      'first run',
    ).startModelRun;
    const publishedRun = await waitForRun(first, published.id, TERMINAL, 180_000);
    assert.equal(publishedRun.status, 'SUCCEEDED', JSON.stringify(publishedRun.error));
    const outcomesBefore = await snapshotOutcomeTable(schema.datastore);
    assert.equal(outcomesBefore.length, ROWS);

    const killed = dataOf(
      await first.graphql(StartModelRunDocument, { input: startInput({ datasetId: dataset.id, ...RUN, seed: 2 }) }),
      'run to kill',
    ).startModelRun;
    const seen = await pollUntil(
      async () => {
        const writer = outcomeWriter(await schema.backends());
        const run = await runState(first!, killed.id);
        return { writer, run, settled: await isSettled(first!, run) };
      },
      ({ writer, settled }) => writer !== undefined || settled,
      `run ${killed.id} UPSERTing outcomes inside its publishing transaction`,
      120_000,
      20,
    );
    assert.ok(seen.writer, `run ${killed.id} ended ${seen.run.status} before its outcome UPSERT was seen in pg_stat_activity (the window was missed)`);
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    t.diagnostic(`killed while backend ${seen.writer.pid} was ${seen.writer.state}: ${seen.writer.query.slice(0, 40)}…`);

    // PostgreSQL ends the dead client's sessions (rolling the open transaction back).
    await pollUntil(
      () => schema.backends(),
      (backends) => backends.length === 0,
      'the killed server’s sessions ending',
    );
    assert.equal(await countAssignments(schema.datastore, killed.id), ROWS, 'the assignments were committed before publishing began');

    second = await startMain({ ...env, RUN_HEARTBEAT_MS: '200' });
    // The killed process could not record why; the restarted one finds the publish its heartbeat no longer keeps fresh.
    const kept = await pollUntil(
      () => runState(second!, killed.id),
      (state) => state.publishError !== null,
      'the interrupted publish recorded',
    );
    assert.equal(kept.status, 'SUCCEEDED');
    assert.equal(kept.error, null);
    assert.equal(kept.outcomesPublishedAt, null, 'its publishing never committed');
    assert.equal(kept.publishError?.code, 'INTERRUPTED');
    assert.match(kept.publishError?.message ?? '', /stopped before it ended .*none of them were written/);
    assert.ok(kept.finishedAt);

    const active = dataOf(
      await second.graphql(ModelRunsPageDocument, {
        filter: { statuses: ['RUNNING', 'QUEUED'], datasetIds: null, createdAfter: null, createdBefore: null },
        orderBy: null,
        first: 50,
        after: null,
      }),
      'modelRuns',
    ).modelRuns.edges;
    assert.deepEqual(active, [], 'no run is left RUNNING or QUEUED');
    assert.equal(await countAssignments(schema.datastore, killed.id), ROWS);
    assert.deepEqual(await snapshotOutcomeTable(schema.datastore), outcomesBefore, 'the outcome table is exactly as before: nothing half-published');
    assert.equal((await runState(second, published.id)).status, 'SUCCEEDED');

    const republished = dataOf(await second.graphql(PublishRunOutcomesDocument, { runId: killed.id }), 'publishRunOutcomes').publishRunOutcomes;
    assert.ok(republished.outcomesPublishedAt);
    const outcomes = await readOutcomeTable(schema.datastore, dataset.id);
    assert.equal(outcomes.length, ROWS);
    assert.ok(
      outcomes.every((row) => row.runId === killed.id && row.scoredAt === republished.finishedAt),
      'every outcome is the killed run’s',
    );

    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
  });
});
