import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse, type FormattedExecutionResult } from 'graphql';
import { startTestServer, type TestServer } from '../support/app-harness';
import { createPostgresqlSchema, type PostgresqlSchema } from '../support/postgresql-schema';

/**
 * A registered dataset's table changed outside the server (a feature column renamed, then the table
 * dropped): the fields that read it answer null with NOT_FOUND naming what is gone, the other datasets
 * of the same answer are untouched (no `data: null`), and a run is refused before it is queued, as it
 * is when a feature column's type is no longer numeric. On
 * SQLite a double-quoted name that matches no column would be read as a string literal: every name is
 * backquoted there, so a missing column fails instead of profiling as empty.
 */
const TABLE = 'changed_readings';
const ROWS = 40;

const TARGETS = [
  { label: 'SQLite', postgresql: false },
  { label: 'PostgreSQL', postgresql: true },
] as const;

interface GraphqlError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: Record<string, unknown>;
}

for (const target of TARGETS) {
  describe(`a dataset whose table changed after registration, ${target.label}`, () => {
    let server: TestServer;
    let schema: PostgresqlSchema | undefined;
    let datasetId: string;

    const request = (query: string): Promise<FormattedExecutionResult<Record<string, unknown>>> =>
      server.graphql<Record<string, unknown>, Record<string, never>>(parse(query));
    const execute = (sql: string) => server.app.datastore.execute({ sql, parameters: [], kind: 'ddl' });
    const q = (name: string) => server.app.datastore.dialect.quoteIdentifier(name);
    const runCount = async () =>
      Number((await server.app.datastore.query({ sql: `SELECT COUNT(*) AS n FROM ${q('ai_model_run')}`, parameters: [], kind: 'select' }))[0]!.n);

    before(async () => {
      if (target.postgresql) {
        schema = await createPostgresqlSchema('gql_changed');
        server = await startTestServer({ DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, DEMO_DATASETS: 'true' });
      } else {
        server = await startTestServer();
      }
      await execute(`CREATE TABLE ${q(TABLE)} (${q('id')} INTEGER PRIMARY KEY, ${q('a')} DOUBLE PRECISION, ${q('b')} DOUBLE PRECISION)`);
      const values = Array.from({ length: ROWS }, (_, index) => `(${index + 1}, ${index / 4}, ${(index * 7) % 11})`).join(', ');
      await execute(`INSERT INTO ${q(TABLE)} (${q('id')}, ${q('a')}, ${q('b')}) VALUES ${values}`);
      const registered = await request(
        `mutation { registerDataset(input: { name: "changed", table: "${TABLE}", keyColumns: ["id"], featureColumns: ["a", "b"] }) { id } }`,
      );
      assert.equal(registered.errors, undefined, JSON.stringify(registered.errors));
      datasetId = (registered.data!.registerDataset as { id: string }).id;
    });
    after(async () => {
      await server?.stop();
      await schema?.drop();
    });

    it('as registered: its profile counts both features', async () => {
      const result = await request(`{ dataset(id: "${datasetId}") { rowCount profile { column count } } }`);
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      assert.deepEqual(result.data!.dataset, {
        rowCount: ROWS,
        profile: [
          { column: 'a', count: ROWS },
          { column: 'b', count: ROWS },
        ],
      });
    });

    if (target.postgresql) {
      it('a feature column changed to text: a run is refused with BAD_USER_INPUT naming it (its read casts each feature to a double), and runs again once it is numeric', async () => {
        await execute(`ALTER TABLE ${q(TABLE)} ALTER COLUMN ${q('a')} TYPE TEXT`);
        const before = await runCount();
        const started = await request(`mutation { startModelRun(input: { datasetId: "${datasetId}", k: 2 }) { id } }`);
        const refusal = (started.errors ?? [])[0];
        assert.equal(refusal?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(started));
        assert.equal(refusal?.extensions?.field, 'datasetId');
        assert.match(refusal.message, /Feature column "a" of "changed_readings" is TEXT now, not numeric \(changed since the dataset was registered\)/);
        assert.equal(await runCount(), before, 'no run was queued');
        await execute(`ALTER TABLE ${q(TABLE)} ALTER COLUMN ${q('a')} TYPE DOUBLE PRECISION USING ${q('a')}::double precision`);
        const again = await request(`mutation { startModelRun(input: { datasetId: "${datasetId}", k: 2 }) { id } }`);
        assert.equal(again.errors, undefined, JSON.stringify(again.errors));
      });
    }

    it('a feature column renamed: profile is null with NOT_FOUND naming the column, the other datasets answer whole, and a run is refused', async () => {
      await execute(`ALTER TABLE ${q(TABLE)} RENAME COLUMN ${q('b')} TO ${q('c')}`);
      const result = await request(`{ datasets { name rowCount profile { column count } preview(first: 2) { totalCount } } }`);
      const datasets = result.data?.datasets as { name: string; rowCount: number | null; profile: unknown; preview: unknown }[];
      assert.ok(datasets, `data is not null: ${JSON.stringify(result)}`);
      const changed = datasets.find((dataset) => dataset.name === 'changed')!;
      assert.equal(changed.profile, null);
      assert.equal(changed.rowCount, ROWS);
      assert.deepEqual(changed.preview, { totalCount: ROWS });
      const errors = (result.errors ?? []) as GraphqlError[];
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0]!.extensions?.code, 'NOT_FOUND');
      assert.match(errors[0]!.message, /Table "changed_readings" has no column "b" any more/);
      assert.deepEqual(errors[0]!.extensions?.columns, ['b']);
      assert.equal(errors[0]!.path?.at(-1), 'profile');
      const iris = datasets.find((dataset) => dataset.name === 'iris')!;
      assert.equal(iris.rowCount, 150);
      assert.equal((iris.profile as unknown[]).length, 4);

      const before = await runCount();
      const started = await request(`mutation { startModelRun(input: { datasetId: "${datasetId}", k: 2 }) { id } }`);
      const refusal = (started.errors ?? [])[0];
      assert.equal(refusal?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(started));
      assert.equal(refusal?.extensions?.field, 'datasetId');
      assert.match(refusal.message, /Dataset "changed" cannot be read: Table "changed_readings" has no column "b" any more/);
      assert.equal(await runCount(), before, 'no run was queued');
    });

    it('the table dropped: rowCount, columns and profile are null with NOT_FOUND naming the table; iris answers whole', async () => {
      await execute(`DROP TABLE ${q(TABLE)}`);
      const result = await request(`{ datasets { name rowCount columns { name } profile { column } } }`);
      const datasets = result.data?.datasets as { name: string; rowCount: number | null; columns: unknown; profile: unknown }[];
      assert.ok(datasets, `data is not null: ${JSON.stringify(result)}`);
      assert.deepEqual(
        datasets.find((dataset) => dataset.name === 'changed'),
        { name: 'changed', rowCount: null, columns: null, profile: null },
      );
      const errors = (result.errors ?? []) as GraphqlError[];
      assert.deepEqual(errors.map((error) => error.path?.at(-1)).sort(), ['columns', 'profile', 'rowCount']);
      for (const error of errors) {
        assert.equal(error.extensions?.code, 'NOT_FOUND');
        assert.equal(error.message, 'Table "changed_readings" does not exist in the database');
      }
      const iris = datasets.find((dataset) => dataset.name === 'iris')!;
      assert.equal(iris.rowCount, 150);
      assert.equal((iris.columns as unknown[]).length, 6);
    });

    if (!target.postgresql) {
      it('SQLite: a name that matches no column fails the statement instead of reading as the text of the name', async () => {
        await assert.rejects(server.app.datastore.query({ sql: `SELECT ${q('no_such_column')} FROM ${q('ai_dataset')}`, parameters: [], kind: 'select' }));
        assert.equal(q('ai_dataset'), '`ai_dataset`');
      });
    }

    it('the server’s own tables cannot be registered as datasets (their rows would be readable through preview), in any case', async () => {
      for (const [table, key, feature] of [
        ['ai_model_run', 'id', 'attempts'],
        ['AI_MODEL_RUN', 'id', 'attempts'],
        ['ai_schema_migrations', 'version', 'version'],
        // The default outcome table, as docs/graph.md says (a dataset's own outcomeTable may be a dataset).
        ['ai_cluster_outcome', 'entity_key', 'distance'],
      ] as const) {
        const result = await request(
          `mutation { registerDataset(input: { name: "own ${table}", table: "${table}", keyColumns: ["${key}"], featureColumns: ["${feature}"] }) { id } }`,
        );
        const error = (result.errors ?? [])[0];
        assert.equal(error?.extensions?.code, 'BAD_USER_INPUT', `${table}: ${JSON.stringify(result)}`);
        assert.equal(error?.extensions?.field, 'table');
        assert.match(error.message, /is one of this server's own tables/);
      }
    });

    it('publishRunOutcomes on an id no run has names runId', async () => {
      const result = await request(`mutation { publishRunOutcomes(runId: "no-such-run") { id } }`);
      const error = (result.errors ?? [])[0];
      assert.equal(error?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(error?.extensions?.field, 'runId');
    });
  });
}
