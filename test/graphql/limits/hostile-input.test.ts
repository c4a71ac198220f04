import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DatasetFieldsFragment } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { databaseSnapshot, gql, onlyError, postRaw, type RawResponse } from './limits-support';

/** Numbers JSON cannot carry, numbers that make no sense, and SQL injection in every string argument. */

const START = 'mutation Start($input: StartModelRunInput!) { startModelRun(input: $input) { id } }';
const REGISTER = 'mutation Register($input: RegisterDatasetInput!) { registerDataset(input: $input) { id name description } }';
/** What REGISTER selects. */
interface Registered {
  registerDataset: Pick<DatasetFieldsFragment, 'id' | 'name' | 'description'>;
}

/** startModelRun's variables as raw JSON text, so a value like 1e309 goes out exactly as written. */
function startBody(fields: string): string {
  return `{"query": ${JSON.stringify(START)}, "variables": {"input": {"datasetId": "demo-iris", "seed": 1, ${fields}}}}`;
}

describe('hostile input', () => {
  let server: TestServer;
  let snapshot: Record<string, number>;

  before(async () => {
    server = await startTestServer({ RATE_LIMIT_RUNS_PER_MINUTE: '1000' });
    snapshot = await databaseSnapshot(server.app.datastore);
  });
  after(async () => {
    await server?.stop();
  });

  /** Asserts BAD_USER_INPUT (message matching) and that nothing was written. */
  async function badInput(response: Promise<RawResponse>, message: RegExp, what: string): Promise<void> {
    const answer = await response;
    const errors = answer.body?.errors ?? [];
    assert.equal(errors.length, 1, `${what}: ${answer.text.slice(0, 400)}`);
    assert.equal(errors[0]!.extensions?.code, 'BAD_USER_INPUT', `${what}: ${answer.text.slice(0, 400)}`);
    assert.match(errors[0]!.message, message, what);
    assert.ok(!answer.text.includes('"stacktrace"'), what);
  }

  describe('NaN, Infinity and huge numbers (JSON has no NaN or Infinity)', () => {
    it('JSON.parse reads 1e309 as Infinity, so a server sees it as a number', () => {
      assert.equal(JSON.parse('1e309'), Infinity);
      assert.equal(JSON.parse('-1e309'), -Infinity);
      assert.equal(JSON.stringify({ x: Number.NaN, y: Infinity }), '{"x":null,"y":null}', 'a client serializer sends null instead');
    });

    it('as Float variables (tolerance): "NaN", "Infinity", 1e309, -1e309 → BAD_USER_INPUT from GraphQL’s coercion', async () => {
      for (const value of ['"NaN"', '"Infinity"', '"-Infinity"', '1e309', '-1e309', '"1e3"']) {
        await badInput(
          postRaw(server, startBody(`"k": 3, "tolerance": ${value}`)),
          /Variable "\$input" got invalid value .*Float cannot represent/,
          `tolerance ${value}`,
        );
      }
    });

    it('as Int variables (k, nInit, seed, first): "NaN", 1e309, 2^31, 2.5 → BAD_USER_INPUT from GraphQL’s coercion', async () => {
      for (const [field, value] of [
        ['k', '"NaN"'],
        ['k', '1e309'],
        ['k', '2147483648'],
        ['k', '2.5'],
        ['nInit', '"Infinity"'],
        ['seed', '-1e309'],
      ] as const) {
        // A repeated key: JSON.parse keeps the last one.
        await badInput(
          postRaw(server, startBody(`"k": 3, "${field}": ${value}`)),
          /Variable "\$input" got invalid value .*Int cannot represent/,
          `${field} ${value}`,
        );
      }
      for (const value of ['"NaN"', '1e309', '"500"', '1e3']) {
        const body = `{"query": "query ($n: Int) { modelRuns(first: $n) { edges { node { id } } } }", "variables": {"n": ${value}}}`;
        const answer = await postRaw(server, body);
        if (value === '1e3') {
          // 1e3 is the number 1000 in JSON: a valid Int, refused by the page-size rule instead.
          await badInput(Promise.resolve(answer), /first must be an integer from 0 to 500, got 1000/, `first ${value}`);
        } else {
          await badInput(Promise.resolve(answer), /Variable "\$n" got invalid value/, `first ${value}`);
        }
      }
    });

    it('as literals: a Float literal 1e309 reaches the service (refused there), an Int literal 1e309 fails validation', async () => {
      await badInput(
        gql(server, 'mutation { startModelRun(input: { datasetId: "demo-iris", k: 3, tolerance: 1e309 }) { id } }'),
        /tolerance must be a finite number ≥ 0, got Infinity/,
        'tolerance literal',
      );
      onlyError(
        await gql(server, 'mutation { startModelRun(input: { datasetId: "demo-iris", k: 1e309 }) { id } }'),
        'GRAPHQL_VALIDATION_FAILED',
        /Int cannot represent non-integer value: 1e309/,
      );
    });

    it('negative numbers where they make no sense (first: -1, k: -3, nInit: -1, seed: -5, …) → BAD_USER_INPUT, no run', async () => {
      await badInput(gql(server, '{ modelRuns(first: -1) { edges { node { id } } } }'), /first must be an integer from 0 to 500, got -1/, 'first -1');
      await badInput(
        gql(server, '{ dataset(id: "demo-iris") { preview(first: -20) { edges { cursor } } } }'),
        /first must be an integer from 0 to 500, got -20/,
        'preview first -20',
      );
      for (const [fields, message] of [
        ['"k": -3', /^k must be an integer from 2 to 1000, got -3$/],
        ['"k": 3, "nInit": -1', /^nInit must be an integer from 1 to 50, got -1$/],
        ['"k": 3, "seed": -5', /^seed must be an integer from 0 to 2147483647, got -5$/],
        ['"k": 3, "maxIterations": -1', /^maxIterations must be an integer from 1 to 10000, got -1$/],
        ['"k": 3, "tolerance": -1', /^tolerance must be a finite number ≥ 0, got -1$/],
        ['"kRange": {"min": -3, "max": 2}', /^kRange.min must be an integer from 2 to 1000, got -3$/],
      ] as const) {
        await badInput(postRaw(server, startBody(fields)), message, fields);
      }
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot, 'no run was stored');
    });
  });

  describe('SQL injection in every identifier and string argument', () => {
    const ATTEMPTS = [
      'iris; DROP TABLE iris; --',
      'iris" ; DROP TABLE "iris',
      "iris' OR '1'='1",
      "x'); DELETE FROM ai_dataset; --",
      'sample_id) FROM iris; DROP TABLE ai_model_run; --',
      '1 OR 1=1',
      'iris/*',
      'ai_dataset WHERE 1=1 UNION SELECT * FROM ai_api_key',
    ];

    it('table, keyColumns, featureColumns and outcomeTable of registerDataset are refused as identifiers (BAD_USER_INPUT naming the field)', async () => {
      for (const attempt of ATTEMPTS) {
        const cases: [string, Record<string, unknown>][] = [
          ['table', { table: attempt }],
          ['keyColumns', { keyColumns: [attempt] }],
          ['featureColumns', { featureColumns: ['petal_length', attempt] }],
          ['outcomeTable', { outcomeTable: attempt }],
        ];
        for (const [field, fields] of cases) {
          const input = {
            name: `injection ${field}`,
            table: 'iris',
            keyColumns: ['sample_id'],
            featureColumns: ['petal_length'],
            description: null,
            outcomeTable: null,
            ...fields,
          };
          const answer = await gql(server, REGISTER, { input });
          const error = onlyError(answer, 'BAD_USER_INPUT');
          assert.equal(error.extensions?.field, field, `${field}: ${attempt}`);
          assert.match(error.message, /is not a valid identifier|has no column|does not exist/, `${field}: ${attempt}`);
        }
      }
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot, 'the database is unchanged');
    });

    it("an outcome table SQLite keeps for itself (sqlite_master, SQLITE_anything) is refused, naming outcomeTable; a dataset's outcome table reads back", async () => {
      for (const reserved of ['sqlite_master', 'SQLITE_outcomes', 'sqlite_sequence']) {
        const input = { name: `reserved ${reserved}`, table: 'iris', keyColumns: ['sample_id'], featureColumns: ['petal_length'], outcomeTable: reserved };
        const error = onlyError(await gql(server, REGISTER, { input }), 'BAD_USER_INPUT');
        assert.equal(error.extensions?.field, 'outcomeTable', reserved);
        assert.match(error.message, /keeps for its own tables/, reserved);
        const update = await gql(server, 'mutation ($input: UpdateDatasetInput!) { updateDataset(id: "demo-iris", input: $input) { id } }', {
          input: { outcomeTable: reserved },
        });
        assert.equal(onlyError(update, 'BAD_USER_INPUT').extensions?.field, 'outcomeTable', reserved);
      }
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot, 'the database is unchanged');

      const read = async (id: string) =>
        (await gql<{ dataset: { outcomeTable: string } }>(server, 'query ($id: ID!) { dataset(id: $id) { outcomeTable } }', { id })).body?.data?.dataset
          .outcomeTable;
      assert.equal(await read('demo-iris'), 'ai_cluster_outcome', 'the default');
      const registered = await gql<{ registerDataset: { id: string; outcomeTable: string } }>(
        server,
        'mutation ($input: RegisterDatasetInput!) { registerDataset(input: $input) { id outcomeTable } }',
        { input: { name: 'outcomes elsewhere', table: 'iris', keyColumns: ['sample_id'], featureColumns: ['petal_length'], outcomeTable: 'hostile_outcomes' } },
      );
      const id = registered.body!.data!.registerDataset.id;
      assert.equal(registered.body?.data?.registerDataset.outcomeTable, 'hostile_outcomes');
      assert.equal(await read(id), 'hostile_outcomes');
      await gql(server, 'mutation ($id: ID!) { updateDataset(id: $id, input: { outcomeTable: null }) { id } }', { id });
      assert.equal(await read(id), 'ai_cluster_outcome', 'null puts back the default');
      assert.equal((await gql(server, 'mutation ($id: ID!) { deleteDataset(id: $id) { id } }', { id })).body?.errors, undefined);
      await server.app.datastore.execute({ sql: 'DROP TABLE hostile_outcomes', parameters: [], kind: 'ddl' });
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot, 'the database is as it was');
    });

    it('a table named in another case than the database spells it: BAD_USER_INPUT naming the field and the spelling, nothing written', async () => {
      const register = (outcomeTable: string | null, table = 'iris') =>
        gql(server, REGISTER, {
          input: { name: `case ${outcomeTable} ${table}`, table, keyColumns: ['sample_id'], featureColumns: ['petal_length'], outcomeTable },
        });
      // SQLite takes "AI_CLUSTER_OUTCOME" for the default table, so it cannot be created beside it (DB_ERROR before).
      for (const outcomeTable of ['AI_CLUSTER_OUTCOME', 'Ai_Cluster_Outcome']) {
        const error = onlyError(await register(outcomeTable), 'BAD_USER_INPUT');
        assert.equal(error.extensions?.field, 'outcomeTable', outcomeTable);
        assert.equal(
          error.message,
          `Table "${outcomeTable}" cannot be created: the database has "ai_cluster_outcome", which it takes for the same name; give that name as it is spelled, or another one`,
        );
      }
      const error = onlyError(await register(null, 'IRIS'), 'BAD_USER_INPUT');
      assert.equal(error.extensions?.field, 'table');
      assert.equal(error.message, 'Table "IRIS" does not exist in the database; it has "iris" (give the name as the database spells it)');
      assert.match(onlyError(await register(null, 'no_such_table'), 'BAD_USER_INPUT').message, /^Table "no_such_table" does not exist in the database$/);
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot, 'the database is unchanged');
    });

    it('a table whose text keys hold NUL (the driver reads x\\0a and x\\0b both as x): BAD_USER_INPUT on keyColumns, nothing written', async () => {
      const { datastore } = server.app;
      await datastore.execute({ sql: 'CREATE TABLE nul_keys (k VARCHAR(20) NOT NULL PRIMARY KEY, f DOUBLE)', parameters: [], kind: 'ddl' });
      try {
        await datastore.execute({
          sql: "INSERT INTO nul_keys VALUES ('x' || char(0) || 'a', 1), ('x' || char(0) || 'b', 2), ('y', 3), ('z', 4)",
          parameters: [],
          kind: 'insert',
        });
        const before = await databaseSnapshot(datastore);
        const error = onlyError(
          await gql(server, REGISTER, { input: { name: 'nul keys', table: 'nul_keys', keyColumns: ['k'], featureColumns: ['f'], outcomeTable: null } }),
          'BAD_USER_INPUT',
        );
        assert.equal(error.extensions?.field, 'keyColumns');
        assert.equal(
          error.message,
          'keyColumns (k) of "nul_keys": 2 row(s) have a key holding a NUL character (U+0000), which the ODBC drivers read as the end of the text, so such keys would be cut and could collide',
        );
        assert.deepEqual(await databaseSnapshot(datastore), before, 'nothing written');
      } finally {
        await datastore.execute({ sql: 'DROP TABLE nul_keys', parameters: [], kind: 'ddl' });
      }
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot, 'the database is as it was');
    });

    it('name and description are data: stored and read back verbatim, never executed', async () => {
      for (const attempt of ATTEMPTS.slice(0, 4)) {
        const input = { name: attempt, table: 'iris', keyColumns: ['sample_id'], featureColumns: ['petal_length'], description: attempt, outcomeTable: null };
        const answer = await gql<Registered>(server, REGISTER, { input });
        assert.equal(answer.body?.errors, undefined, answer.text);
        const registered = answer.body!.data!.registerDataset;
        assert.deepEqual([registered.name, registered.description], [attempt, attempt]);
        const read = await gql<{ dataset: Pick<DatasetFieldsFragment, 'name' | 'description' | 'rowCount'> | null }>(
          server,
          'query ($id: ID!) { dataset(id: $id) { name description rowCount } }',
          { id: registered.id },
        );
        assert.deepEqual(read.body?.data?.dataset, { name: attempt, description: attempt, rowCount: 150 });
        assert.equal((await gql(server, 'mutation ($id: ID!) { deleteDataset(id: $id) { id } }', { id: registered.id })).body?.errors, undefined);
      }
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot, 'the database is as before (each was deleted again)');
    });

    it('ids and names in queries (dataset by id and by name, modelRun, modelRuns filter.datasetIds) find nothing; trace actions are an enum that refuses them', async () => {
      for (const attempt of ATTEMPTS) {
        const answer = await gql(
          server,
          `query ($id: ID!, $name: String!, $ids: [ID!]) {
            dataset(id: $id) { id }
            byName: dataset(name: $name) { id }
            modelRun(id: $id) { id trace(actions: [ITERATION]) { edges { cursor } } }
            modelRuns(filter: { datasetIds: $ids }) { edges { node { id } } }
          }`,
          { id: attempt, name: attempt, ids: [attempt, 'demo-iris'] },
        );
        assert.deepEqual(answer.body, { data: { dataset: null, byName: null, modelRun: null, modelRuns: { edges: [] } } }, attempt);
        const asAction = await gql(server, 'query ($actions: [TraceAction!]) { modelRun(id: "none") { trace(actions: $actions) { edges { cursor } } } }', {
          actions: [attempt],
        });
        assert.equal(asAction.body?.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', attempt);
        assert.equal(asAction.body?.data, undefined, attempt);
      }
    });

    it('ids in mutations (updateDataset, deleteDataset, startModelRun, cancelModelRun, publishRunOutcomes) → BAD_USER_INPUT', async () => {
      for (const attempt of ATTEMPTS) {
        const id = { id: attempt };
        await badInput(
          gql(server, 'mutation ($id: ID!) { updateDataset(id: $id, input: { description: "x" }) { id } }', id),
          /No dataset has id/,
          `update ${attempt}`,
        );
        await badInput(gql(server, 'mutation ($id: ID!) { deleteDataset(id: $id) { id } }', id), /No dataset has id/, `delete ${attempt}`);
        await badInput(gql(server, START, { input: { datasetId: attempt, k: 3 } }), /No dataset has id/, `start ${attempt}`);
        await badInput(gql(server, 'mutation ($id: ID!) { cancelModelRun(id: $id) { id } }', id), /No model run has id/, `cancel ${attempt}`);
        await badInput(gql(server, 'mutation ($id: ID!) { publishRunOutcomes(runId: $id) { id } }', id), /No model run has id/, `publish ${attempt}`);
      }
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot, 'the database is unchanged');
    });

    it('cursors that are not the server’s (injection text, or base64 of it) → BAD_USER_INPUT naming after', async () => {
      const forged = [
        ...ATTEMPTS,
        Buffer.from('offset:1 OR 1=1').toString('base64url'),
        Buffer.from('offset:1; DROP TABLE iris').toString('base64url'),
        Buffer.from('offset:-1').toString('base64url'),
      ];
      for (const after of forged) {
        for (const query of [
          'query ($after: String) { modelRuns(first: 2, after: $after) { edges { node { id } } } }',
          'query ($after: String) { dataset(id: "demo-iris") { preview(first: 2, after: $after) { edges { cursor } } } }',
          'query ($after: String) { dataset(id: "demo-iris") { outcomes(first: 2, after: $after) { edges { cursor } } } }',
        ]) {
          const answer = await gql(server, query, { after });
          const error = onlyError(answer, 'BAD_USER_INPUT', /is not a cursor this server gave out/);
          assert.equal(error.extensions?.field, 'after');
        }
      }
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot, 'the database is unchanged');
    });
  });
});
