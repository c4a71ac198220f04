import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import type { Client } from 'graphql-ws';
import { ERROR_CATALOGUE } from '../../../src/errors/catalogue';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { createTable } from '../../support/runs';
import { gql, onlyError, type RawResponse } from './limits-support';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * NODE_ENV=production: internal errors are masked (no stack, SQL, driver text or connection string in
 * the response) and logged under the request id the client gets (the code and catalogue text at error,
 * the whole error, driver text included, at debug only); client errors stay readable;
 * introspection is off unless GRAPHQL_INTROSPECTION=true. Production refuses anonymous access, so the
 * requests go with the harness's admin key.
 */

/** Text that must never be in a production response. */
const LEAKS = [
  /no such (table|column)/i,
  /masking_probe|masking_base/,
  /SELECT|FROM "|INSERT/,
  /stacktrace|\bat [\w.<>]+ \(/,
  /Driver=|Database=|aimodel\.sqlite/,
  /\[SQLite\]|HY000|sqlState/,
  /not json|Unexpected token|is not valid JSON/,
];

function assertNoLeak(response: RawResponse): void {
  for (const pattern of LEAKS) assert.doesNotMatch(response.text, pattern, `the response leaks ${pattern}: ${response.text.slice(0, 500)}`);
}

/** A pino log line as the server writes it; only the fields read here, most of them on error lines alone. */
interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly requestId?: string;
  readonly code?: string;
  readonly reason?: string;
  readonly path?: string;
  readonly stack?: string;
  readonly err?: { readonly message?: string; readonly stack?: string };
}

/** The server's log lines with this request id, parsed. */
function logLinesOf(server: TestServer, requestId: string): LogLine[] {
  return server.logs.map((line) => JSON.parse(line) as LogLine).filter((line) => line.requestId === requestId);
}

describe('production error masking (NODE_ENV=production)', () => {
  let server: TestServer;
  let datasetId: string;

  before(async () => {
    server = await startTestServer({ NODE_ENV: 'production', LOG_LEVEL: 'debug' });
    assert.ok(server.adminKey, 'the harness created its admin key');
    // A dataset whose table is then replaced, behind the server's back, by a view over a table that is
    // dropped: reading it fails in the driver. (Not the table dropped or a column renamed: the server
    // answers those NOT_FOUND, naming what is gone; the catalog cannot read this view either.)
    await createTable(
      server.app.datastore,
      {
        name: 'masking_probe',
        columns: [
          { name: 'id', type: 'integer', nullable: false },
          { name: 'x', type: 'double' },
          { name: 'y', type: 'double' },
        ],
        primaryKey: ['id'],
      },
      [1, 2, 3, 4].map((id) => ({ id, x: id * 1.5, y: id * 2.5 })),
    );
    const registered = await gql<{ registerDataset: { id: string } }>(
      server,
      'mutation { registerDataset(input: { name: "probe", table: "masking_probe", keyColumns: ["id"], featureColumns: ["x", "y"] }) { id } }',
    );
    assert.equal(registered.body?.errors, undefined, registered.text);
    datasetId = registered.body!.data!.registerDataset.id;
    for (const sql of [
      'DROP TABLE masking_probe',
      'CREATE TABLE masking_base (id INTEGER PRIMARY KEY, x DOUBLE, y DOUBLE)',
      'CREATE VIEW masking_probe AS SELECT id, x, y FROM masking_base',
      'DROP TABLE masking_base',
    ]) {
      await server.app.datastore.execute({ sql, parameters: [], kind: 'ddl' });
    }
  });
  after(async () => {
    // The last test closed the pool: stopping cannot give runs back in the database any more.
    await server?.stop().catch((error: unknown) => assert.match(String(error), /pool is closed/));
  });

  it('a database error keeps its code (DB_ERROR) with the generic message and the request id; the log has the driver’s words at debug only', async () => {
    const response = await gql(
      server,
      'query ($id: ID!) { dataset(id: $id) { name profile { column mean } } }',
      { id: datasetId },
      { 'x-request-id': 'probe-db-error' },
    );
    const error = onlyError(response, 'DB_ERROR');
    assert.equal(error.message, ERROR_CATALOGUE.DB_ERROR);
    assert.deepEqual(error.extensions, { code: 'DB_ERROR', requestId: 'probe-db-error' });
    assert.deepEqual(error.path, ['dataset', 'profile']);
    assertNoLeak(response);

    const lines = logLinesOf(server, 'probe-db-error').filter((line) => line.msg === 'GraphQL request failed');
    assert.equal(lines.length, 1, 'logged once');
    assert.equal(lines[0]!.level, 50);
    assert.equal(lines[0]!.code, 'DB_ERROR');
    assert.equal(lines[0]!.reason, ERROR_CATALOGUE.DB_ERROR);
    assert.doesNotMatch(JSON.stringify(lines[0]), /no such table|masking_probe|masking_base/, 'no driver text above debug');
    assert.equal(lines[0]!.path, 'dataset.profile');
    const [full] = logLinesOf(server, 'probe-db-error').filter((line) => line.msg === 'GraphQL request failed (in full)');
    assert.equal(full?.level, 20, 'the whole error at debug');
    assert.match(full.err?.message ?? '', /\[SQLite\]no such table: main\.masking_base/, 'the driver’s message is in the debug log');
    assert.match(full.err?.stack ?? '', /\n\s+at /, 'the stack is in the debug log');
  });

  it('an unexpected (non-AppError) error is INTERNAL_SERVER_ERROR with only a request id; the log has it all', async () => {
    // A run row whose params are not JSON, written with plain SQL: reading it throws a SyntaxError.
    await server.app.datastore.execute({
      sql: 'INSERT INTO ai_model_run (id, dataset_id, status, params, progress_iteration, progress_max, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      parameters: ['corrupt-run', datasetId, 'FAILED', 'not json { SELECT secret FROM ai_api_key', 0, 0, new Date()],
      kind: 'insert',
    });
    const response = await gql(server, '{ modelRun(id: "corrupt-run") { id status } }', undefined, { 'x-request-id': 'probe-internal' });
    const error = onlyError(response, 'INTERNAL_SERVER_ERROR');
    assert.equal(error.message, 'Internal server error');
    assert.deepEqual(error.extensions, { code: 'INTERNAL_SERVER_ERROR', requestId: 'probe-internal' });
    assertNoLeak(response);
    const [line] = logLinesOf(server, 'probe-internal').filter((entry) => entry.msg === 'GraphQL request failed');
    assert.ok(line, 'logged with the request id');
    assert.equal(line.code, 'INTERNAL_SERVER_ERROR');
    assert.match(line.reason ?? '', /^SyntaxError: .*JSON/);
    assert.match(line.stack ?? '', /SyntaxError/, 'a bug’s stack is in the error log');
    await server.app.datastore.execute({ sql: "DELETE FROM ai_model_run WHERE id = 'corrupt-run'", parameters: [], kind: 'delete' });
  });

  it('without an X-Request-Id the server makes one up, and the response and the log agree on it', async () => {
    const response = await gql(server, 'query ($id: ID!) { dataset(id: $id) { profile { mean } } }', { id: datasetId });
    const requestId = String(onlyError(response, 'DB_ERROR').extensions?.requestId);
    assert.match(requestId, /^[0-9a-f-]{36}$/);
    assert.equal(logLinesOf(server, requestId).filter((line) => line.msg === 'GraphQL request failed').length, 1);
  });

  it('over graphql-ws the same masking applies', async () => {
    const client: Client = createClient({
      url: `${server.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${server.adminKey}` },
    });
    try {
      const result = await new Promise<{ errors?: { message: string; extensions?: Record<string, unknown> }[] }>((resolve, reject) => {
        let last: { errors?: { message: string; extensions?: Record<string, unknown> }[] } = {};
        client.subscribe(
          { query: `{ dataset(id: "${datasetId}") { profile { mean } } }` },
          { next: (value) => (last = value as typeof last), error: reject, complete: () => resolve(last) },
        );
      });
      assert.equal(result.errors?.[0]?.extensions?.code, 'DB_ERROR');
      assert.equal(result.errors?.[0]?.message, ERROR_CATALOGUE.DB_ERROR);
      assert.match(String(result.errors?.[0]?.extensions?.requestId), /^[0-9a-f-]{36}$/);
      assert.doesNotMatch(JSON.stringify(result), /no such table|sqlState|masking_probe|masking_base/);
    } finally {
      await client.dispose();
    }
  });

  it('client errors stay readable: BAD_USER_INPUT, query limits, validation (without "Did you mean"), a subscription over HTTP', async () => {
    onlyError(await gql(server, '{ modelRuns(first: 501) { edges { node { id } } } }'), 'BAD_USER_INPUT', /first must be an integer from 0 to 500, got 501/);
    onlyError(
      await gql(server, '{ modelRuns(first: 500) { edges { node { assignments(first: 500) { edges { node { cluster } } } } } } }'),
      'QUERY_TOO_COSTLY',
      /estimated cost of 504,003/,
    );
    const unknown = onlyError(await gql(server, '{ datasets { nam } }'), 'GRAPHQL_VALIDATION_FAILED', /Cannot query field "nam" on type "Dataset"/);
    assert.doesNotMatch(unknown.message, /Did you mean/, 'no schema hints without introspection');
    const subscription = await gql(server, 'subscription { modelRunUpdated(id: "x") { id } }');
    assert.equal(subscription.status, 400);
    onlyError(subscription, 'BAD_REQUEST', /Subscriptions are served over graphql-ws/);
  });

  it('introspection is refused', async () => {
    const response = await gql(server, '{ __schema { types { name } } }');
    assert.equal(response.body?.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.match(response.body?.errors?.[0]?.message ?? '', /introspection/i);
  });

  it('with the database pool closed, a query gets DB_UNAVAILABLE with the generic message', async () => {
    await server.app.datastore.close();
    const response = await gql(server, '{ datasets { name } }', undefined, { 'x-request-id': 'probe-closed' });
    const error = onlyError(response, 'DB_UNAVAILABLE');
    assert.equal(error.message, ERROR_CATALOGUE.DB_UNAVAILABLE);
    assert.deepEqual(error.extensions, { code: 'DB_UNAVAILABLE', requestId: 'probe-closed' });
    assertNoLeak(response);
    const lines = logLinesOf(server, 'probe-closed');
    assert.match(JSON.stringify(lines.filter((line) => line.level === 20)), /pool is closed/, 'the reason at debug');
    assert.doesNotMatch(JSON.stringify(lines.filter((line) => line.level > 20)), /pool is closed/, 'only the code above debug');
  });
});

describe('production with GRAPHQL_INTROSPECTION=true', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true', DEMO_DATASETS: 'false' });
  });
  after(async () => {
    await server?.stop();
  });

  it('answers the standard introspection query (within the query limits) and serves the landing page', async () => {
    const response = await gql<IntrospectionQuery>(server, getIntrospectionQuery());
    assert.equal(response.status, 200, response.text.slice(0, 300));
    assert.ok((response.body?.data?.__schema.types.length ?? 0) > 10);
    const page = await server.get('/graphql', { accept: 'text/html' });
    assert.match(await page.text(), /sandbox|apollo/i);
  });

  it('a deep introspection query is still refused', async () => {
    const response = await gql(server, '{ __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }');
    assert.equal(response.status, 400);
    assert.ok((response.body?.errors ?? []).some((error) => error.extensions?.code === 'QUERY_TOO_DEEP'));
  });
});
