import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NOBODY, type Identity } from '../../../../src/auth/roles';
import type { TraceDocument } from '../../../../src/telemetry/trace-document';
import { ERROR_MESSAGE, SERVICE, traceServer } from './trace-plugin-server';

type Server = Awaited<ReturnType<typeof traceServer>>;

const graphql = (document: TraceDocument) => (document.aimodel as { graphql: { operation_name: string } & Record<string, unknown> }).graphql;

describe('graphqlTracePlugin (real ApolloServer, one-field schema)', () => {
  let server: Server;

  before(async () => {
    // Every refused operation recorded here; sampling has tests of its own below.
    server = await traceServer({ refusedSampleRate: 1 });
  });

  after(async () => {
    await server.stop();
  });

  /** Runs one operation and returns the documents it recorded. */
  async function recorded(request: Parameters<Server['execute']>[0], requestId?: string): Promise<TraceDocument[]> {
    const from = server.documents.length;
    await server.execute(request, requestId);
    return server.documents.slice(from);
  }

  it('a successful operation records one graphql-operation document with its name, type, success outcome and duration', async () => {
    const documents = await recorded(
      { query: 'query Greet($name: String) { greeting(name: $name) }', variables: { name: 'Ada' }, operationName: 'Greet' },
      'request-42',
    );
    assert.equal(documents.length, 1);
    const [document] = documents;
    assert.equal(document!._target, 'events');
    assert.ok(document!._id.length > 0);
    assert.deepEqual(
      { ...document!.event, duration: undefined },
      { kind: 'event', category: ['web'], type: ['access'], action: 'graphql-operation', outcome: 'success', duration: undefined },
    );
    assert.ok(Number.isSafeInteger(document!.event.duration) && document!.event.duration! >= 0, 'event.duration: whole nanoseconds');
    assert.deepEqual(document!.service, SERVICE);
    assert.deepEqual(document!.http, { request: { id: 'request-42' } });
    assert.deepEqual(document!.labels, { request_id: 'request-42' });
    assert.ok(!Number.isNaN(Date.parse(document!['@timestamp'])));
    const { duration_ms: durationMs, ...rest } = graphql(document!);
    assert.deepEqual(rest, { operation_name: 'Greet', operation_type: 'query', error_codes: [] });
    assert.ok(typeof durationMs === 'number' && durationMs >= 0);
  });

  it('an anonymous operation is recorded under the name "anonymous"', async () => {
    const [document] = await recorded({ query: '{ greeting }' });
    assert.equal(graphql(document!).operation_name, 'anonymous');
  });

  it('an operation whose resolver throws a coded error records a failure outcome and the code once', async () => {
    const documents = await recorded({ query: 'query Broken { greeting(name: "fail") }' });
    assert.equal(documents.length, 1);
    assert.equal(documents[0]!.event.outcome, 'failure');
    assert.deepEqual(graphql(documents[0]!).error_codes, ['DATASET_NOT_FOUND']);
    assert.equal(graphql(documents[0]!).operation_name, 'Broken');
    assert.equal(graphql(documents[0]!).operation_type, 'query');
  });

  it('a query that does not parse records a failure with GRAPHQL_PARSE_FAILED and an unknown operation type', async () => {
    const [document] = await recorded({ query: 'query {' });
    assert.equal(document!.event.outcome, 'failure');
    assert.deepEqual(graphql(document!).error_codes, ['GRAPHQL_PARSE_FAILED']);
    assert.equal(graphql(document!).operation_type, 'unknown');
  });

  it('a query that does not validate records a failure with GRAPHQL_VALIDATION_FAILED', async () => {
    const [document] = await recorded({ query: '{ noSuchField }' });
    assert.equal(document!.event.outcome, 'failure');
    assert.deepEqual(graphql(document!).error_codes, ['GRAPHQL_VALIDATION_FAILED']);
  });

  it('introspection-only queries are not recorded by default', async () => {
    for (const query of ['{ __schema { queryType { name } } }', 'query IntrospectionQuery { __type(name: "Query") { name } }', '{ __typename }']) {
      assert.deepEqual(await recorded({ query }), [], query);
    }
  });

  it('a query mixing introspection with a real field is recorded', async () => {
    assert.equal((await recorded({ query: '{ __typename greeting }' })).length, 1);
  });

  it('introspection queries are recorded when includeIntrospection is true', async () => {
    const withIntrospection = await traceServer({ includeIntrospection: true });
    try {
      await withIntrospection.execute({ query: 'query Schema { __schema { queryType { name } } }' });
      assert.equal(withIntrospection.documents.length, 1);
      assert.equal(graphql(withIntrospection.documents[0]!).operation_name, 'Schema');
    } finally {
      await withIntrospection.stop();
    }
  });

  it('no document holds the query text, the variables, the result or the error message', async () => {
    const documents = [
      ...(await recorded({
        query: 'query Secretive($name: String) { greeting(name: $name) }',
        variables: { name: 'variable-secret-value' },
        operationName: 'Secretive',
      })),
      ...(await recorded({ query: 'query Literal { greeting(name: "literal-secret-value") }' })),
      ...(await recorded({ query: 'query Broken { greeting(name: "fail") }' })),
    ];
    assert.equal(documents.length, 3);
    for (const document of documents) {
      const text = JSON.stringify(document);
      for (const secret of ['variable-secret-value', 'literal-secret-value', 'greeting(', 'Hello', ERROR_MESSAGE, 'payroll-secret']) {
        assert.ok(!text.includes(secret), `${graphql(document).operation_name} holds "${secret}"`);
      }
      assert.equal('query' in document, false);
      assert.equal('variables' in document, false);
    }
  });
});

describe('graphqlTracePlugin: refused or anonymous operations are sampled (refusedSampleRate)', () => {
  const VIEWER: Identity = { subject: 'key-1', role: 'viewer', method: 'api-key', keyId: 'key-1' };
  const ANONYMOUS: Identity = { subject: 'anonymous', role: 'viewer', method: 'anonymous' };

  /** A server whose sampling draws come from `draws`, in order; returns the documents per request. */
  async function sampled(rate: number | undefined, draws: number[], requests: { query: string; identity?: Identity }[]): Promise<number[]> {
    const server = await traceServer({ refusedSampleRate: rate, random: () => draws.shift() ?? 0.999 });
    try {
      const counts: number[] = [];
      for (const request of requests) {
        const from = server.documents.length;
        await server.execute({ query: request.query }, 'request-s', request.identity);
        counts.push(server.documents.length - from);
      }
      return counts;
    } finally {
      await server.stop();
    }
  }

  it('refused operations (UNAUTHENTICATED, a parse failure, a validation failure) are recorded only when the draw is under the rate', async () => {
    const refused = [
      { query: '{ greeting(name: "locked") }', identity: VIEWER },
      { query: 'query {', identity: VIEWER },
      { query: '{ noSuchField }', identity: VIEWER },
    ];
    assert.deepEqual(await sampled(0.1, [0.05, 0.5, 0.2], refused), [1, 0, 0]);
    assert.deepEqual(await sampled(0.1, [0.5, 0.09, 0.2], refused), [0, 1, 0]);
  });

  it('with rate 0 no refused operation is recorded; with rate 1 every one is', async () => {
    const refused = Array.from({ length: 5 }, () => ({ query: '{ greeting(name: "locked") }', identity: VIEWER }));
    assert.deepEqual(await sampled(0, [0, 0, 0, 0, 0], refused), [0, 0, 0, 0, 0]);
    assert.deepEqual(await sampled(1, [0.99, 0.99, 0.99, 0.99, 0.99], refused), [1, 1, 1, 1, 1]);
  });

  it('operations served to callers without credentials are sampled too; an authenticated caller’s are always recorded', async () => {
    const requests = [
      { query: '{ greeting }', identity: ANONYMOUS },
      { query: '{ greeting }', identity: { ...NOBODY } },
      { query: '{ greeting }', identity: VIEWER },
      { query: '{ greeting(name: "fail") }', identity: VIEWER },
    ];
    assert.deepEqual(await sampled(0, [0, 0, 0, 0], requests), [0, 0, 1, 1]);
  });

  it('the default rate is 0.01', async () => {
    const refused = [
      { query: '{ greeting(name: "locked") }', identity: VIEWER },
      { query: '{ greeting(name: "locked") }', identity: VIEWER },
    ];
    assert.deepEqual(await sampled(undefined, [0.0099, 0.0101], refused), [1, 0]);
  });
});
