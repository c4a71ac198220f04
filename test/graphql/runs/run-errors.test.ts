import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { ERROR_CATALOGUE } from '../../../src/errors/catalogue';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { CancelModelRunDocument, RegisterDatasetDocument, RunFailureDocument, StartModelRunDocument, type RunFailureQuery } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { ddl, embeddedDatastore } from '../../support/databases';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { createNoiseTable, dataOf, LONG_RUN, pollUntil, registerInput, runRecord, runState, startInput, waitForRun } from '../../support/runs';

/** Words of the drivers' messages for a missing table (psqlODBC: `ERROR: relation "…" does not exist`, SQLSTATE 42P01; SQLite: `no such table`). */
const DRIVER_WORDS = ['ERROR:', '42P01', 'does not exist', 'no such table', 'relation'];

interface Target {
  readonly label: string;
  readonly env: Record<string, string>;
  readonly postgresql: boolean;
}

const TARGETS: readonly Target[] = [
  { label: 'SQLite, development', env: {}, postgresql: false },
  { label: 'SQLite, production', env: { NODE_ENV: 'production' }, postgresql: false },
  { label: 'PostgreSQL, development', env: {}, postgresql: true },
  { label: 'PostgreSQL, production', env: { NODE_ENV: 'production' }, postgresql: true },
];

/**
 * A run that fails on a real database error: it waits in the queue (RUN_CONCURRENCY 1) behind a long
 * run while its table is dropped, then reads a table that is no longer there.
 */
async function runOnDroppedTable(server: TestServer, datastore: Datastore, droppedTable: string): Promise<string> {
  const longFeatures = await createNoiseTable(datastore, `${droppedTable}_long`, 20_000, 8, 5);
  const features = await createNoiseTable(datastore, droppedTable, 40, 2, 6);
  const register = async (name: string, table: string, featureColumns: string[]) =>
    dataOf(await server.graphql(RegisterDatasetDocument, { input: registerInput({ name, table, keyColumns: ['id'], featureColumns }) }), `register ${name}`)
      .registerDataset.id;
  const longDataset = await register(`${droppedTable} long`, `${droppedTable}_long`, longFeatures);
  const droppedDataset = await register(droppedTable, droppedTable, features);

  const long = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: longDataset, ...LONG_RUN }) }), 'long run').startModelRun;
  await pollUntil(
    () => runState(server, long.id),
    (run) => run.status === 'RUNNING',
    'the long run computing',
  );
  const queued = dataOf(
    await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: droppedDataset, k: 2, seed: 3 }) }),
    'queued run',
  ).startModelRun;
  assert.equal(queued.status, 'QUEUED');
  await datastore.execute(ddl(`DROP TABLE ${droppedTable}`));
  dataOf(await server.graphql(CancelModelRunDocument, { id: long.id }), 'cancel the long run');
  const ended = await waitForRun(server, queued.id);
  assert.equal(ended.status, 'FAILED', JSON.stringify(ended));
  return queued.id;
}

/** The run-failed trace document, once the trace writer has flushed it. */
async function failedRun(server: TestServer, id: string): Promise<NonNullable<RunFailureQuery['modelRun']>> {
  return pollUntil(
    async () => dataOf(await server.graphql(RunFailureDocument, { id }), 'modelRun with its trace').modelRun!,
    (run) => (run.trace?.edges.length ?? 0) > 0,
    `the run-failed trace document of ${id}`,
  );
}

function assertNoDriverText(text: string, what: string): void {
  for (const word of DRIVER_WORDS) assert.ok(!text.includes(word), `${what} shows "${word}": ${text.slice(0, 500)}`);
}

for (const target of TARGETS) {
  describe(`a run failing on a database error, ${target.label}`, () => {
    let server: TestServer;
    let datastore: Datastore;
    let schema: PostgresqlSchema | undefined;

    before(async () => {
      if (target.postgresql) {
        schema = await createPostgresqlSchema('run_errors');
        datastore = schema.datastore;
        server = await startTestServer({ ...target.env, LOG_LEVEL: 'debug', DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString });
      } else {
        const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-run-errors-'));
        server = await startTestServer({ ...target.env, LOG_LEVEL: 'debug', DATA_DIR: dataDir });
        datastore = embeddedDatastore(dataDir);
      }
    });
    after(async () => {
      await server?.stop();
      if (schema) await schema.drop();
      else await datastore?.close();
    });

    it('is served with code DB_ERROR and the catalogue’s message, in its error and its trace; the driver text is in the server log only', async () => {
      const table = `t_drop_${target.env.NODE_ENV ? 'prod' : 'dev'}`;
      const id = await runOnDroppedTable(server, datastore, table);
      const run = await failedRun(server, id);

      assert.deepEqual(run.error, { code: 'DB_ERROR', message: ERROR_CATALOGUE.DB_ERROR });
      const [document] = run.trace!.edges.map((edge) => edge.node.document as { error?: unknown });
      assert.deepEqual(document!.error, { code: 'DB_ERROR', message: ERROR_CATALOGUE.DB_ERROR });
      // The table's name is in the run's parameters by right; the driver's words are nowhere.
      assertNoDriverText(JSON.stringify(run), 'the run and its trace served through GraphQL');

      // The driver's words are logged under the run id at debug only; above debug, the code and the catalogue's text.
      const driverWords = target.postgresql ? 'does not exist' : 'no such table';
      const ofRun = server.logs.filter((line) => line.includes(id)).map((line) => ({ line, level: (JSON.parse(line) as { level: number }).level }));
      const withDriverText = ofRun.filter(({ line }) => line.includes(driverWords));
      assert.ok(withDriverText.length > 0, 'the server log has the driver text under the run id');
      assert.deepEqual([...new Set(withDriverText.map(({ level }) => level))], [20], 'driver text at debug (20) only');
      const warned = ofRun.filter(({ line, level }) => level >= 40 && line.includes('"code":"DB_ERROR"'));
      assert.ok(warned.length > 0, `a warning with the code: ${ofRun.map(({ line }) => line).join('\n')}`);
      for (const { line } of ofRun.filter(({ level }) => level > 20)) assertNoDriverText(line, 'a log line above debug');
    });

    it('a run stored with driver text by an older server is served masked: database codes keep their code with the catalogue’s message, unknown codes become INTERNAL_SERVER_ERROR', async () => {
      const repository = new RunRepository(server.app.datastore);
      const failed = (code: string, message: string) =>
        runRecord('demo-iris', { status: 'FAILED', owner: 'old-server', finishedAt: new Date(), error: { code, message } });
      const driverText = failed('DB_ERROR', 'postgresql error [42P01/1]: ERROR: relation "t_secret" does not exist');
      const duplicateKey = failed(
        'DB_CONSTRAINT_VIOLATION',
        'postgresql error [23505/1]: ERROR: duplicate key value violates unique constraint "pk"; DETAIL: Key (entity_key)=(secret-42) already exists.',
      );
      const internal = failed('INTERNAL_ERROR', 'TypeError: Cannot read properties of undefined (reading "x") at /srv/app/dist/secret.js:1:1');
      const ownWords = failed('EMPTY_INPUT', 'table "readings" has no rows');
      for (const record of [driverText, duplicateKey, internal, ownWords]) await repository.insert(record);

      assert.deepEqual((await runState(server, driverText.id)).error, { code: 'DB_ERROR', message: ERROR_CATALOGUE.DB_ERROR });
      assert.deepEqual((await runState(server, duplicateKey.id)).error, { code: 'DB_CONSTRAINT_VIOLATION', message: ERROR_CATALOGUE.DB_CONSTRAINT_VIOLATION });
      assert.deepEqual((await runState(server, internal.id)).error, { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
      // The app's own words about the input stay: they name what to fix.
      assert.deepEqual((await runState(server, ownWords.id)).error, { code: 'EMPTY_INPUT', message: 'table "readings" has no rows' });
    });
  });
}
