import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { countAssignments, createTable, dataOf, registerInput, snapshotOutcomeTable, startInput, waitForRun } from '../../support/runs';

/**
 * A dataset's key columns must be unique together: registration checks it, but the table can change
 * after. A run finds out when it sorts its assignments by key: it fails with DUPLICATE_KEY, naming the
 * key, and stores nothing (no assignment chunk, no outcome), on LLOYD and MINI_BATCH alike.
 */
const TABLE = 'duplicate_keys';
const FEATURES = ['x', 'y'];

for (const target of [
  { name: 'SQLite', postgresql: false },
  { name: 'PostgreSQL', postgresql: true },
]) {
  describe(`a dataset whose key repeats, ${target.name}`, () => {
    let server: TestServer;
    let schema: PostgresqlSchema | undefined;
    let datasetId: string;

    before(async () => {
      if (target.postgresql) {
        schema = await createPostgresqlSchema('gql_dupkeys');
        server = await startTestServer({ DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, DEMO_DATASETS: 'true' });
      } else {
        server = await startTestServer();
      }
      // 40 rows with unique keys at registration; then `entity` = row_no % 20: every key twice (the
      // primary key is another column).
      await createTable(
        server.app.datastore,
        {
          name: TABLE,
          columns: [
            { name: 'row_no', type: 'integer', nullable: false },
            { name: 'entity', type: 'integer', nullable: false },
            ...FEATURES.map((name) => ({ name, type: 'double' as const })),
          ],
          primaryKey: ['row_no'],
        },
        Array.from({ length: 40 }, (_, row) => ({ row_no: row, entity: row, x: row % 2 === 0 ? row : -row, y: row / 3 })),
      );
      datasetId = dataOf(
        await server.graphql(RegisterDatasetDocument, {
          input: registerInput({ name: TABLE, table: TABLE, keyColumns: ['entity'], featureColumns: FEATURES }),
        }),
        'register',
      ).registerDataset.id;
      const q = (name: string) => server.app.datastore.dialect.quoteIdentifier(name);
      await server.app.datastore.execute({ sql: `UPDATE ${q(TABLE)} SET ${q('entity')} = ${q('row_no')} % 20`, parameters: [], kind: 'update' });
    });
    after(async () => {
      await server?.stop();
      await schema?.drop();
    });

    for (const algorithm of ['LLOYD', 'MINI_BATCH'] as const) {
      it(`${algorithm}: the run FAILS with DUPLICATE_KEY naming the first repeated key, and stores no assignment and no outcome`, async () => {
        const outcomesBefore = await snapshotOutcomeTable(server.app.datastore);
        const started = dataOf(
          await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, algorithm, k: 2, seed: 3 }) }),
          'start',
        ).startModelRun;
        const ended = await waitForRun(server, started.id);
        assert.equal(ended.status, 'FAILED');
        assert.deepEqual(ended.error, { code: 'DUPLICATE_KEY', message: 'more than one row of the table has the key "0"' });
        assert.equal(await countAssignments(server.app.datastore, started.id), 0);
        assert.deepEqual(await snapshotOutcomeTable(server.app.datastore), outcomesBefore);
      });
    }
  });
}
