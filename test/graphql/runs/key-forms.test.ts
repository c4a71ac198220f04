import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inKeyOrder } from '../../../src/modules/run/assignment-order';
import { AssignmentRepository } from '../../../src/modules/run/assignment.repository';
import { RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { dataOf, readOutcomeTable, registerInput, startInput, waitForRun } from '../../support/runs';

/**
 * A run keeps its rows' numeric keys in chunks of 65,536 in the smallest exact form (entity-keys.ts):
 * consecutive 32-bit integers as a start and a step, other 32-bit integers as Int32, any other number as
 * Float64, a chunk not yet full as read. A table whose keys take each form in turn is clustered through
 * GraphQL and its outcomes read back with SQL: every key of the table is there once, no other, and each
 * carries its own row's cluster (even rows sit in one blob, odd rows in the other, so a key given to
 * the wrong row shows). The run's stored assignments hold the same keys in key order (their text's, as
 * pages and lookups read them), each with the same cluster. On one read connection the chunks fall on the forms' boundaries; on two, each
 * key range has chunks of its own.
 */
const TABLE = 'key_forms';
const CHUNK = 65_536;
const ROWS = 3 * CHUNK + 100;

/** Row n's key: ids 1…65,536; then 32-bit integers rising unevenly; then past 2^32 in steps of one. */
function keyOf(n: number): number {
  if (n < CHUNK) return n + 1;
  if (n < 2 * CHUNK) return 200_000 + 3 * n + (n % 5 === 0 ? 1 : 0);
  return 2 ** 33 + n;
}

/**
 * The same keys and features as SQL, row n from a series 0…ROWS−1: x and y ±100 by the row's parity plus
 * a small pattern (both columns split by parity, so the blobs stay apart once each column is scaled).
 */
function seedSql(postgresql: boolean): string {
  const key = `CASE WHEN n < ${CHUNK} THEN n + 1 WHEN n < ${2 * CHUNK} THEN 200000 + 3 * n + (CASE WHEN n % 5 = 0 THEN 1 ELSE 0 END) ELSE ${2 ** 33} + n END`;
  const x = `CASE WHEN n % 2 = 0 THEN 100 + (n % 13) / 10.0 ELSE -100 - (n % 11) / 10.0 END`;
  const y = `CASE WHEN n % 2 = 0 THEN 100 ELSE -100 END + (n % 17) / 10.0`;
  const series = postgresql
    ? `generate_series(0, ${ROWS - 1}) AS s(n)`
    : `(WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < ${ROWS - 1}) SELECT n FROM s)`;
  return `INSERT INTO ${TABLE} (entity, x, y) SELECT ${key}, ${x}, ${y} FROM ${series}`;
}

for (const target of [
  { name: 'SQLite, one read connection', postgresql: false, env: { RUN_READ_CONNECTIONS: '1' } },
  { name: 'PostgreSQL, two read connections', postgresql: true, env: { RUN_READ_CONNECTIONS: '2' } },
]) {
  describe(`numeric keys in every stored form, ${target.name}`, () => {
    let server: TestServer;
    let schema: PostgresqlSchema | undefined;
    let datasetId: string;

    before(async () => {
      if (target.postgresql) {
        schema = await createPostgresqlSchema('gql_keyforms');
        server = await startTestServer({ DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, DEMO_DATASETS: 'false', ...target.env });
      } else {
        server = await startTestServer(target.env);
      }
      const { datastore } = server.app;
      await datastore.execute({
        sql: `CREATE TABLE ${TABLE} (entity BIGINT NOT NULL PRIMARY KEY, x DOUBLE PRECISION, y DOUBLE PRECISION)`,
        parameters: [],
        kind: 'ddl',
      });
      await datastore.execute({ sql: seedSql(target.postgresql), parameters: [], kind: 'update' });
      datasetId = dataOf(
        await server.graphql(RegisterDatasetDocument, {
          input: registerInput({ name: TABLE, table: TABLE, keyColumns: ['entity'], featureColumns: ['x', 'y'] }),
        }),
        'register',
      ).registerDataset.id;
    });
    after(async () => {
      await server?.stop();
      await schema?.drop();
    });

    it(`every one of the ${ROWS.toLocaleString('en-US')} keys comes back once, with its own row's cluster`, async () => {
      const started = dataOf(
        await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, k: 2, seed: 5, publishOutcomes: true }) }),
        'start',
      ).startModelRun;
      const ended = await waitForRun(server, started.id);
      assert.equal(ended.status, 'SUCCEEDED', JSON.stringify(ended.error));

      const outcomes = new Map((await readOutcomeTable(server.app.datastore, datasetId)).map((row) => [row.entityKey, row]));
      assert.equal(outcomes.size, ROWS);
      const clusterOfParity: number[] = [];
      for (let n = 0; n < ROWS; n++) {
        const key = String(keyOf(n));
        const outcome = outcomes.get(key);
        assert.ok(outcome, `key ${key} (row ${n}) has no outcome`);
        assert.equal(outcome.runId, started.id);
        clusterOfParity[n % 2] ??= outcome.cluster;
        assert.equal(outcome.cluster, clusterOfParity[n % 2], `key ${key} (row ${n}) is in the other row parity's cluster`);
      }
      assert.notEqual(clusterOfParity[0], clusterOfParity[1]);

      const stored: string[] = [];
      await new AssignmentRepository(server.app.datastore).forEachChunk(started.id, server.app.datastore, (chunk) => {
        chunk.keys.forEach((key, index) => assert.equal(chunk.clusters[index], outcomes.get(key)?.cluster, `stored assignment of key ${key}`));
        stored.push(...chunk.keys);
        return Promise.resolve();
      });
      assert.equal(stored.length, ROWS);
      assert.ok(inKeyOrder(stored), 'the stored assignments are in key order, each key once');
    });
  });
}
