import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { SeededRandom } from '../../../src/shared/seeded-random';
import { DeleteDatasetDocument, ModelRunResultDocument, RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { embeddedDatastore } from '../../support/databases';
import { countStoredAssignments } from '../../support/assignments';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { createNoiseTable, dataOf, pollUntil, registerInput, startInput, TERMINAL } from '../../support/runs';

const ROUNDS = 30;
const SEED = 20_261_203;
const TABLE = 'race_points';

interface Target {
  readonly label: string;
  readonly postgresql: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rows that carry the dataset's id, read with plain SQL: its runs, their assignments, its outcomes. */
async function rowsOfDataset(
  datastore: Datastore,
  datasetId: string,
  runIds: readonly string[],
): Promise<{ runs: number; assignments: number; outcomes: number }> {
  const q = (name: string) => datastore.dialect.quoteIdentifier(name);
  const count = async (sql: string, parameters: string[]) => Number((await datastore.query({ sql, parameters, kind: 'select' }))[0]?.n ?? 0);
  let assignments = 0;
  for (const runId of runIds) assignments += await countStoredAssignments(datastore, runId);
  return {
    runs: await count(`SELECT COUNT(*) AS n FROM ${q('ai_model_run')} WHERE ${q('dataset_id')} = ?`, [datasetId]),
    assignments,
    outcomes: await count(`SELECT COUNT(*) AS n FROM ${q('ai_cluster_outcome')} WHERE ${q('dataset_id')} = ?`, [datasetId]),
  };
}

for (const target of [
  { label: 'SQLite', postgresql: false },
  { label: 'PostgreSQL', postgresql: true },
] satisfies Target[]) {
  describe(`deleteDataset racing startModelRun, ${target.label}`, () => {
    let server: TestServer;
    let datastore: Datastore;
    let schema: PostgresqlSchema | undefined;
    let features: string[];

    before(async () => {
      const env = { RATE_LIMIT_RUNS_PER_MINUTE: '10000', RUN_QUEUE_LIMIT: '100' };
      if (target.postgresql) {
        schema = await createPostgresqlSchema('delete_race');
        datastore = schema.datastore;
        server = await startTestServer({ ...env, DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString });
      } else {
        const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-delete-race-'));
        server = await startTestServer({ ...env, DATA_DIR: dataDir });
        datastore = embeddedDatastore(dataDir);
      }
      features = await createNoiseTable(datastore, TABLE, 150, 2, 11);
    });
    after(async () => {
      await server?.stop();
      if (schema) await schema.drop();
      else await datastore?.close();
    });

    it(`in ${ROUNDS} seeded rounds, either the delete is refused (CONFLICT) and the run keeps its dataset, or no run, assignment or outcome row of the dataset is left`, async (t) => {
      const random = new SeededRandom(SEED);
      const tally = { refused: 0, deletedStartRefused: 0, deletedAfterRun: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        const what = `round ${round} (seed ${SEED})`;
        const dataset = dataOf(
          await server.graphql(RegisterDatasetDocument, {
            input: registerInput({ name: `race ${round}`, table: TABLE, keyColumns: ['id'], featureColumns: features }),
          }),
          `${what}: register`,
        ).registerDataset;
        const [startDelay, deleteDelay] = [random.next() * 12, random.next() * 12];
        const [started, deleted] = await Promise.all([
          sleep(startDelay).then(() => server.graphql(StartModelRunDocument, { input: startInput({ datasetId: dataset.id, k: 2, seed: round }) })),
          sleep(deleteDelay).then(() => server.graphql(DeleteDatasetDocument, { id: dataset.id })),
        ]);
        const runId = started.data?.startModelRun.id;
        if (!runId) {
          assert.equal(started.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${what}: start refused with ${JSON.stringify(started.errors)}`);
          assert.equal(started.errors?.[0]?.extensions?.field, 'datasetId', `${what}: ${JSON.stringify(started.errors)}`);
        }

        if (deleted.errors) {
          assert.equal(deleted.errors[0]?.extensions?.code, 'CONFLICT', `${what}: delete failed with ${JSON.stringify(deleted.errors)}`);
          assert.ok(runId, `${what}: the delete was refused for an active run, so the start succeeded`);
          const run = await pollUntil(
            async () => dataOf(await server.graphql(ModelRunResultDocument, { id: runId }), `${what}: the run`).modelRun!,
            (value) => TERMINAL.includes(value.status),
            `${what}: run ${runId} ending`,
          );
          assert.equal(run.dataset?.id, dataset.id, `${what}: the run keeps its dataset`);
          tally.refused += 1;
          // Now it goes, with everything of it.
          dataOf(await server.graphql(DeleteDatasetDocument, { id: dataset.id }), `${what}: delete once the run ended`);
        } else if (runId) {
          // Both succeeded: the run had ended before the delete took the dataset, and went with it.
          assert.equal(
            dataOf(await server.graphql(ModelRunResultDocument, { id: runId }), `${what}: the run`).modelRun,
            null,
            `${what}: the run went with its dataset`,
          );
          tally.deletedAfterRun += 1;
        } else {
          tally.deletedStartRefused += 1;
        }
        // A run started in the race must be over (or gone) before the rows are counted.
        if (runId)
          await pollUntil(
            async () => (await server.graphql(ModelRunResultDocument, { id: runId })).data?.modelRun,
            (run) => !run || TERMINAL.includes(run.status),
            `${what}: run settling`,
          );
        assert.deepEqual(
          await rowsOfDataset(datastore, dataset.id, runId ? [runId] : []),
          { runs: 0, assignments: 0, outcomes: 0 },
          `${what}: rows left for the deleted dataset`,
        );
      }
      t.diagnostic(
        `delete refused ${tally.refused}, deleted with the start refused ${tally.deletedStartRefused}, deleted after the run ended ${tally.deletedAfterRun}`,
      );
    });
  });
}
