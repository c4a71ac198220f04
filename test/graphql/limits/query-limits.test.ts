import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { DatasetListQuery } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { connectGraphqlWs } from '../../support/graphql-ws';
import { fewestStatements } from '../../support/runs';
import { databaseSnapshot, gql, onlyError, type GraphqlError } from './limits-support';

/** The query limits over real HTTP and graphql-ws, on the app as main.ts builds it (default limits). */

const DEEP_11 = '{ modelRuns { edges { node { dataset { runs { edges { node { dataset { latestRun { dataset { id } } } } } } } } } } }';
const DEEP_10 = '{ modelRuns { edges { node { dataset { runs { edges { node { dataset { latestRun { id } } } } } } } } } }';
const nestedPages = (first: number) => `{ modelRuns(first: ${first}) { edges { node { assignments(first: ${first}) { edges { node { cluster } } } } } } }`;
const aliases = (count: number) => `{ ${Array.from({ length: count }, (_, index) => `a${index}: datasets { name }`).join(' ')} }`;
const directives = (count: number) => `{ datasets { ${Array.from({ length: count }, (_, index) => `n${index}: name @include(if: true)`).join(' ')} } }`;
/**
 * A document of exactly `count` lexical tokens: 23 around a list of strings (a run that does not
 * exist, so it answers null). Not `{ datasets { name name … } }`: graphql's own overlapping-fields
 * rule gives up on thousands of repeats of one field ("Validation aborted.").
 */
const tokens = (count: number) => `{ modelRun(id: "none") { trace(actions: [${'ITERATION '.repeat(count - 23)}]) { edges { cursor } } } }`;

describe('query limits over HTTP (defaults: depth 10, cost 10,000, 30 aliases, 2,000 tokens, 20 directives)', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  /** Asserts the request was refused with `code` (400), naming the limit and both numbers, and ran no SQL. */
  async function refused(
    query: string,
    code: string,
    limit: string,
    maximum: number,
    measured: number,
    variables?: Record<string, unknown>,
  ): Promise<GraphqlError> {
    const { statements, result: response } = await fewestStatements(server, () => gql(server, query, variables));
    assert.equal(response.status, 400);
    const error = onlyError(response, code, new RegExp(`the limit is ${maximum.toLocaleString('en-US')} \\(${limit}\\)\\. Nothing was executed\\.`));
    assert.deepEqual(error.extensions, { code, limit, maximum, measured });
    assert.equal(response.body?.data, undefined, 'no data: nothing executed');
    assert.equal(statements, 0, 'no SQL statement ran');
    return error;
  }

  /** The data of an answer without errors; `TData` is what the query selects. */
  async function accepted<TData = unknown>(query: string, variables?: Record<string, unknown>): Promise<TData> {
    const response = await gql<TData>(server, query, variables);
    assert.equal(response.status, 200, response.text.slice(0, 500));
    assert.equal(response.body?.errors, undefined, response.text.slice(0, 500));
    return response.body!.data!;
  }

  it('depth: 10 levels answer, 11 are refused with QUERY_TOO_DEEP', async () => {
    await accepted(DEEP_10);
    await refused(DEEP_11, 'QUERY_TOO_DEEP', 'GRAPHQL_MAX_DEPTH', 10, 11);
  });

  it('depth: fragments are followed (the depth hidden in a fragment counts)', async () => {
    const query = `query { modelRuns { edges { node { ...Deep } } } }
      fragment Deep on ModelRun { dataset { runs { edges { node { dataset { latestRun { dataset { id } } } } } } } }`;
    await refused(query, 'QUERY_TOO_DEEP', 'GRAPHQL_MAX_DEPTH', 10, 11);
  });

  it('cost: first: 500 on nested lists (504,003) is refused with QUERY_TOO_COSTLY, first: 5 (93) answers', async () => {
    await refused(nestedPages(500), 'QUERY_TOO_COSTLY', 'GRAPHQL_MAX_COST', 10_000, 504_003);
    await accepted(nestedPages(5));
  });

  it('cost: page sizes given as variables are costed with the request’s values', async () => {
    const query =
      'query Pages($outer: Int, $inner: Int) { modelRuns(first: $outer) { edges { node { assignments(first: $inner) { edges { node { cluster } } } } } } }';
    await accepted(query, { outer: 5, inner: 5 });
    const error = await refused(query, 'QUERY_TOO_COSTLY', 'GRAPHQL_MAX_COST', 10_000, 2 + 1 + 100 * (2 + 5 + 1 + 200 * 2), { outer: 100, inner: 200 });
    assert.match(error.message, /^Operation "Pages" has an estimated cost of 40,803/);
  });

  it('cost: a refused mutation writes nothing', async () => {
    const snapshot = await databaseSnapshot(server.app.datastore);
    const mutation = `mutation { registerDataset(input: { name: "costly", table: "iris", keyColumns: ["sample_id"], featureColumns: ["petal_length"] }) {
      runs(first: 500) { edges { node { assignments(first: 500) { edges { node { cluster } } } } } } } }`;
    const response = await gql(server, mutation);
    onlyError(response, 'QUERY_TOO_COSTLY');
    assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot);
  });

  it('aliases: 30 answer, 31 are refused with TOO_MANY_ALIASES', async () => {
    const data = await accepted<Record<string, unknown>>(aliases(30));
    assert.equal(Object.keys(data).length, 30);
    await refused(aliases(31), 'TOO_MANY_ALIASES', 'GRAPHQL_MAX_ALIASES', 30, 31);
  });

  it('directives: 20 answer, 21 are refused with TOO_MANY_DIRECTIVES', async () => {
    await accepted(directives(20));
    await refused(directives(21), 'TOO_MANY_DIRECTIVES', 'GRAPHQL_MAX_DIRECTIVES', 20, 21);
  });

  it('tokens: 2,000 answer, 2,001 are refused with TOO_MANY_TOKENS and the document’s real count', async () => {
    await accepted(tokens(2_000));
    await refused(tokens(2_001), 'TOO_MANY_TOKENS', 'GRAPHQL_MAX_TOKENS', 2_000, 2_001);
    // Far over: parsing stops at the limit; the count goes on to 10 times the limit, then says "more than".
    await refused(tokens(15_000), 'TOO_MANY_TOKENS', 'GRAPHQL_MAX_TOKENS', 2_000, 15_000);
    const error = await refused(tokens(50_000), 'TOO_MANY_TOKENS', 'GRAPHQL_MAX_TOKENS', 2_000, 20_000);
    assert.match(error.message, /^The document has more than 20,000 tokens/);
  });

  it('the standard introspection query (Apollo Sandbox’s) passes every limit while introspection is on', async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    const data = await accepted<IntrospectionQuery>(query);
    assert.ok(data.__schema.types.some((type) => type.name === 'ModelRun'));
  });

  it('a recursive introspection query is refused', async () => {
    const response = await gql(server, '{ __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }');
    assert.equal(response.status, 400);
    const codes = (response.body?.errors ?? []).map((error) => error.extensions?.code);
    assert.ok(codes.includes('QUERY_TOO_DEEP'), JSON.stringify(codes));
  });

  it('page sizes over 500, or negative, are refused with BAD_USER_INPUT naming first', async () => {
    for (const query of [
      '{ modelRuns(first: 501) { edges { node { id } } } }',
      '{ modelRuns(first: -1) { edges { node { id } } } }',
      '{ dataset(id: "demo-iris") { preview(first: 1000) { edges { node } } } }',
      '{ dataset(id: "demo-iris") { outcomes(first: 501) { edges { node { cluster } } } } }',
      '{ dataset(id: "demo-iris") { runs(first: 100000) { edges { node { id } } } } }',
    ]) {
      const error = onlyError(await gql(server, query), 'BAD_USER_INPUT', /first must be an integer from 0 to 500/);
      assert.equal(error.extensions?.field, 'first', query);
    }
    const page = await accepted<{ dataset: { preview: { edges: { cursor: string }[] } } | null }>(
      '{ dataset(id: "demo-iris") { preview(first: 500) { edges { cursor } } } }',
    );
    assert.equal(page.dataset?.preview.edges.length, 150);
  });
});

describe('query limits over graphql-ws', () => {
  let server: TestServer;
  let client: Client;

  before(async () => {
    server = await startTestServer({ GRAPHQL_MAX_DEPTH: '7' });
    client = await connectGraphqlWs(server.url);
  });
  after(async () => {
    await client?.dispose();
    await server?.stop();
  });

  /**
   * One operation on the socket (one that ends): the `error` message's errors, or the results (`next`)
   * until `complete`. `TData` is what the operation selects.
   */
  function operate<TData = unknown>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ errors?: GraphqlError[]; results: { data?: TData | null; errors?: GraphqlError[] }[] }> {
    return new Promise((resolve) => {
      const results: { data?: TData | null; errors?: GraphqlError[] }[] = [];
      client.subscribe(
        { query, variables },
        {
          next: (value) => results.push(value as (typeof results)[number]),
          error: (errors) => resolve({ errors: errors as GraphqlError[], results }),
          complete: () => resolve({ results }),
        },
      );
    });
  }

  it('the limits are those of HTTP (here GRAPHQL_MAX_DEPTH=7): a deep subscription is refused with QUERY_TOO_DEEP', async () => {
    const { errors } = await operate('subscription { modelRunUpdated(id: "x") { dataset { runs { edges { node { dataset { latestRun { id } } } } } } } }');
    assert.equal(errors?.length, 1);
    assert.deepEqual(errors[0]!.extensions, { code: 'QUERY_TOO_DEEP', limit: 'GRAPHQL_MAX_DEPTH', maximum: 7, measured: 8 });
  });

  it('cost (with the operation’s variables), aliases, directives and tokens are checked too', async () => {
    const costly = await operate('query ($n: Int) { modelRuns(first: $n) { edges { node { assignments(first: $n) { edges { node { cluster } } } } } } }', {
      n: 500,
    });
    assert.equal(costly.errors?.[0]?.extensions?.code, 'QUERY_TOO_COSTLY');
    assert.equal((await operate(aliases(31))).errors?.[0]?.extensions?.code, 'TOO_MANY_ALIASES');
    assert.equal((await operate(directives(21))).errors?.[0]?.extensions?.code, 'TOO_MANY_DIRECTIVES');
    const many = await operate(tokens(2_001));
    assert.deepEqual(many.errors?.[0]?.extensions, { code: 'TOO_MANY_TOKENS', limit: 'GRAPHQL_MAX_TOKENS', maximum: 2000, measured: 2001 });
  });

  it('a syntax error or an invalid query is an error message with Apollo’s codes, and the socket stays open', async () => {
    assert.equal((await operate('{ datasets { name ')).errors?.[0]?.extensions?.code, 'GRAPHQL_PARSE_FAILED');
    assert.equal((await operate('{ datasets { password } }')).errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    const { results } = await operate<DatasetListQuery>('{ datasets { name } }');
    assert.deepEqual(results[0]?.data?.datasets.map((dataset) => dataset.name).sort(), ['iris', 'station_readings']);
  });

  it('a variable GraphQL cannot coerce is BAD_USER_INPUT, as over HTTP', async () => {
    const { results } = await operate('query ($n: Int) { modelRuns(first: $n) { edges { node { id } } } }', { n: 'NaN' });
    assert.equal(results[0]?.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  it('a message larger than GRAPHQL_BODY_LIMIT closes that socket (1009), as HTTP would answer 413', async () => {
    const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await once(socket, 'open');
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await once(socket, 'message');
    const closed = once(socket, 'close');
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ datasets { name } }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } } }));
    const [code] = (await closed) as [number];
    assert.equal(code, 1009);
    // Other sockets are not affected.
    const { results } = await operate<DatasetListQuery>('{ datasets { name } }');
    assert.equal(results[0]?.data?.datasets.length, 2);
  });

  it('subscribing to a run that does not exist fails at once with BAD_USER_INPUT', async () => {
    const { results } = await operate('subscription { modelRunUpdated(id: "no-such-run") { id status } }');
    assert.equal(results.length, 1);
    const [error] = results[0]!.errors ?? [];
    assert.equal(error?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(error?.message, 'No model run has id "no-such-run"');
    assert.deepEqual(error?.path, ['modelRunUpdated']);
  });
});
