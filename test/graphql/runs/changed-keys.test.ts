import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegisterDatasetDocument, StartModelRunDocument, type StartModelRunInput } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { countAssignments, createTable, dataOf, registerInput, snapshotOutcomeTable, startInput, waitForRun } from '../../support/runs';

/**
 * A dataset's key columns must be unique together and never NULL: registration checks it, but the
 * table can change after. A run finds a repeated key when it sorts its assignments by key: it fails
 * with DUPLICATE_KEY, naming the key. A NULL key part names no row: a run made it the entity key text
 * "null" and published an outcome under it (with two such rows it failed with a DUPLICATE_KEY on
 * "null"); it fails with NULL_KEY naming the column, for a one-column and a composite key. Either way
 * it stores nothing (no assignment chunk, no outcome), on LLOYD and MINI_BATCH alike.
 */
const TABLE = 'duplicate_keys';
const NULL_TABLE = 'null_keys';
const FEATURES = ['x', 'y'];

for (const target of [
  { name: 'SQLite', postgresql: false },
  { name: 'PostgreSQL', postgresql: true },
]) {
  describe(`a dataset whose key repeats or gets a NULL after registering, ${target.name}`, () => {
    let server: TestServer;
    let schema: PostgresqlSchema | undefined;
    let datasetId: string;
    const nullKeyed: { single?: string; composite?: string } = {};

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

      await createTable(
        server.app.datastore,
        {
          name: NULL_TABLE,
          columns: [
            { name: 'row_no', type: 'integer', nullable: false },
            { name: 'site', type: 'string', length: 10 },
            { name: 'entity', type: 'integer' },
            ...FEATURES.map((name) => ({ name, type: 'double' as const })),
          ],
          primaryKey: ['row_no'],
        },
        Array.from({ length: 40 }, (_, row) => ({ row_no: row, site: `s${row % 3}`, entity: row, x: row % 2 === 0 ? row : -row, y: row / 3 })),
      );
      for (const [which, keyColumns] of [
        ['single', ['entity']],
        ['composite', ['site', 'entity']],
      ] as const) {
        nullKeyed[which] = dataOf(
          await server.graphql(RegisterDatasetDocument, {
            input: registerInput({ name: `${NULL_TABLE}_${which}`, table: NULL_TABLE, keyColumns: [...keyColumns], featureColumns: FEATURES }),
          }),
          'register',
        ).registerDataset.id;
      }
      // One row's entity becomes NULL: one row, which a run would have published under "null".
      await server.app.datastore.execute({
        sql: `UPDATE ${q(NULL_TABLE)} SET ${q('entity')} = NULL WHERE ${q('row_no')} = 17`,
        parameters: [],
        kind: 'update',
      });
    });
    after(async () => {
      await server?.stop();
      await schema?.drop();
    });

    /** Starts a run of `input`: it ends FAILED with `error`, and stores no assignment and no outcome. */
    async function assertFailsStoringNothing(input: StartModelRunInput, error: { code: string; message: string }): Promise<void> {
      const outcomesBefore = await snapshotOutcomeTable(server.app.datastore);
      const started = dataOf(await server.graphql(StartModelRunDocument, { input }), 'start').startModelRun;
      const ended = await waitForRun(server, started.id);
      assert.equal(ended.status, 'FAILED');
      assert.deepEqual(ended.error, error);
      assert.equal(await countAssignments(server.app.datastore, started.id), 0);
      assert.deepEqual(await snapshotOutcomeTable(server.app.datastore), outcomesBefore);
    }

    for (const algorithm of ['LLOYD', 'MINI_BATCH'] as const) {
      it(`${algorithm}: the run FAILS with DUPLICATE_KEY naming the first repeated key, and stores no assignment and no outcome`, async () => {
        await assertFailsStoringNothing(startInput({ datasetId, algorithm, k: 2, seed: 3 }), {
          code: 'DUPLICATE_KEY',
          message: 'more than one row of the table has the key "0"',
        });
      });
    }

    for (const which of ['single', 'composite'] as const) {
      for (const algorithm of ['LLOYD', 'MINI_BATCH'] as const) {
        it(`a NULL in a ${which} key, ${algorithm}: the run FAILS with NULL_KEY naming the column, and stores no assignment and no outcome`, async () => {
          await assertFailsStoringNothing(startInput({ datasetId: nullKeyed[which]!, algorithm, k: 2, seed: 3, publishOutcomes: true }), {
            code: 'NULL_KEY',
            message: 'a row of the table has a NULL in key column "entity"',
          });
        });
      }
    }
  });
}
