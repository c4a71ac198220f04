import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type FormattedExecutionResult,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import type { Client } from 'graphql-ws';
import { RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { connectGraphqlWs } from '../../support/graphql-ws';
import { registerInput, startInput } from '../../support/runs';

const NUL_VALUE = 'nul\u0000inside';
const APP_TABLES = ['ai_dataset', 'ai_model_run', 'ai_run_assignment', 'ai_run_assignment_chunk', 'ai_cluster_outcome', 'ai_api_key'];

/** One place a string goes in an argument: `input.keyColumns[0]` is the argument, then fields and list positions. */
interface StringSlot {
  readonly root: 'query' | 'mutation' | 'subscription';
  readonly field: GraphQLField<unknown, unknown>;
  readonly argument: GraphQLArgument;
  /** Field names and list positions (0) inside the argument. */
  readonly path: readonly (string | 0)[];
}

function fieldPath(slot: StringSlot): string {
  return slot.argument.name + slot.path.map((step) => (step === 0 ? '[0]' : `.${step}`)).join('');
}

/** Every String or ID an argument can hold, through input objects and lists (each input type once a path). */
function stringSlots(schema: GraphQLSchema): StringSlot[] {
  const slots: StringSlot[] = [];
  const walk = (type: GraphQLInputType, path: (string | 0)[], seen: Set<string>, emit: (path: (string | 0)[]) => void) => {
    const nullable = getNullableType(type);
    if (isListType(nullable)) return walk(nullable.ofType, [...path, 0], seen, emit);
    if (isScalarType(nullable) && (nullable.name === 'String' || nullable.name === 'ID')) return emit(path);
    if (isInputObjectType(nullable) && !seen.has(nullable.name)) {
      for (const field of Object.values(nullable.getFields())) walk(field.type, [...path, field.name], new Set([...seen, nullable.name]), emit);
    }
  };
  for (const [root, type] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      for (const argument of field.args) walk(argument.type, [], new Set(), (path) => slots.push({ root, field, argument, path }));
    }
  }
  return slots;
}

/** A valid value of `type`, with the NUL string at `path` (when given) and only the required fields elsewhere. */
function valueOf(type: GraphQLInputType, path: readonly (string | 0)[] | null): unknown {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return [valueOf(nullable.ofType, path ? path.slice(1) : null)];
  if (isInputObjectType(nullable)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(nullable.getFields())) {
      const onPath = path !== null && path[0] === field.name;
      if (onPath) value[field.name] = valueOf(field.type, path.slice(1));
      else if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = valueOf(field.type, null);
    }
    return value;
  }
  if (path !== null && path.length === 0) return NUL_VALUE;
  if (isEnumType(nullable)) return nullable.getValues()[0]!.name;
  switch (getNamedType(nullable).name) {
    case 'Int':
      return 1;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return true;
    case 'DateTimeISO':
    case 'DateTime':
      return new Date().toISOString();
    default:
      return 'x';
  }
}

/** The operation for one slot: every required argument, and the slot's, as variables. */
function operationFor(slot: StringSlot): { query: string; variables: Record<string, unknown> } {
  const used = slot.field.args.filter((argument) => argument === slot.argument || (isNonNullType(argument.type) && argument.defaultValue === undefined));
  const variables = Object.fromEntries(used.map((argument) => [argument.name, valueOf(argument.type, argument === slot.argument ? slot.path : null)]));
  const definitions = used.map((argument) => `$${argument.name}: ${String(argument.type)}`).join(', ');
  const argumentsText = used.map((argument) => `${argument.name}: $${argument.name}`).join(', ');
  const leaf = getNamedType(slot.field.type);
  const selection = isScalarType(leaf) || isEnumType(leaf) ? '' : ' { __typename }';
  return {
    query: `${slot.root} Nul${definitions ? `(${definitions})` : ''} { ${slot.field.name}${argumentsText ? `(${argumentsText})` : ''}${selection} }`,
    variables,
  };
}

async function overWs(client: Client, operation: { query: string; variables: Record<string, unknown> }): Promise<FormattedExecutionResult> {
  return new Promise((resolve) => {
    let result: FormattedExecutionResult | undefined;
    client.subscribe(operation, {
      next: (value) => (result = value as FormattedExecutionResult),
      // A refused operation comes back as graphql-ws's `error` message: the list of errors.
      error: (errors) => resolve({ errors: errors as FormattedExecutionResult['errors'] }),
      complete: () => resolve(result ?? {}),
    });
  });
}

function assertRefused(result: FormattedExecutionResult, field: string, what: string): void {
  assert.equal(result.errors?.length, 1, `${what}: ${JSON.stringify(result)}`);
  const [error] = result.errors;
  assert.equal(error!.extensions?.code, 'BAD_USER_INPUT', `${what}: ${JSON.stringify(result)}`);
  assert.equal(error!.extensions?.field, field, `${what}: ${JSON.stringify(result)}`);
  assert.ok(error!.message.includes(field), `${what}: the message names ${field}: ${error!.message}`);
  assert.equal(result.data ?? null, null, `${what}: nothing executed`);
}

describe('a NUL character (U+0000) in any string input', () => {
  let server: TestServer;
  let schema: GraphQLSchema;
  let slots: StringSlot[];

  /** Every row of the app's tables, to prove nothing was written. */
  const snapshot = async () => {
    const rows: unknown[] = [];
    for (const table of APP_TABLES) rows.push(table, ...(await server.app.datastore.query({ sql: `SELECT * FROM ${table}`, parameters: [], kind: 'select' })));
    return JSON.stringify(rows);
  };

  before(async () => {
    server = await startTestServer();
    const result = (await (
      await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey!}` },
        body: JSON.stringify({ query: getIntrospectionQuery() }),
      })
    ).json()) as { data: IntrospectionQuery };
    schema = buildClientSchema(result.data);
    slots = stringSlots(schema);
  });
  after(async () => {
    await server?.stop();
  });

  it('the schema has string inputs on queries, mutations and subscriptions to check', () => {
    const roots = new Set(slots.map((slot) => slot.root));
    assert.deepEqual([...roots].sort(), ['mutation', 'query', 'subscription']);
    assert.ok(
      slots.some((slot) => fieldPath(slot) === 'input.keyColumns[0]'),
      'list items inside input objects are among them',
    );
  });

  it('over HTTP, every String and ID argument and input field (nested and in lists) is refused with BAD_USER_INPUT naming it, and nothing is written', async () => {
    const before = await snapshot();
    for (const slot of slots.filter((candidate) => candidate.root !== 'subscription')) {
      const operation = operationFor(slot);
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey!}` },
        body: JSON.stringify(operation),
      });
      assertRefused((await response.json()) as FormattedExecutionResult, fieldPath(slot), `${slot.field.name}(${fieldPath(slot)}) over HTTP`);
      assert.equal(response.status, 400, `${slot.field.name}(${fieldPath(slot)}): HTTP 400`);
    }
    assert.equal(await snapshot(), before);
  });

  it('over graphql-ws, every one of them, subscriptions included, is refused the same way, and nothing is written', async () => {
    const before = await snapshot();
    const client = await connectGraphqlWs(server.url);
    try {
      for (const slot of slots)
        assertRefused(await overWs(client, operationFor(slot)), fieldPath(slot), `${slot.field.name}(${fieldPath(slot)}) over graphql-ws`);
    } finally {
      await client.dispose();
    }
    assert.equal(await snapshot(), before);
  });

  it('in a literal of the document (\\u0000 escaped) too', async () => {
    const before = await snapshot();
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey!}` },
      body: JSON.stringify({
        query:
          'mutation { registerDataset(input: { name: "nul\\u0000inside", table: "iris", keyColumns: ["sample_id"], featureColumns: ["sepal_length"] }) { id } }',
      }),
    });
    assertRefused((await response.json()) as FormattedExecutionResult, 'input.name', 'a literal');
    assert.equal(await snapshot(), before);
  });

  it('variables nested 20,000 levels deep are answered 400 (not a 500), with and without credentials; a NUL at the bottom of one is found, its path cut short', async () => {
    // The bodies are written as text: JSON.stringify itself recurses, and gives up before 20,000 levels.
    const send = async (body: string, authorized: boolean) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorized ? { authorization: `Bearer ${server.adminKey!}` } : {}) },
        body,
      });
      return { status: response.status, text: await response.text() };
    };
    const depth = 20_000;
    const lists = `${'['.repeat(depth)}"QUEUED"${']'.repeat(depth)}`;
    const listQuery = JSON.stringify('query ($x: [ModelRunStatus!]) { modelRuns(filter: { statuses: $x }) { totalCount } }');
    for (const authorized of [false, true]) {
      const answer = await send(`{"query":${listQuery},"variables":{"x":${lists}}}`, authorized);
      assert.equal(answer.status, 400, answer.text.slice(0, 300));
      assert.equal((JSON.parse(answer.text) as FormattedExecutionResult).errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', answer.text.slice(0, 300));
    }

    const before = await snapshot();
    const deep = `${'{"a":'.repeat(depth)}${JSON.stringify(NUL_VALUE)}${'}'.repeat(depth)}`;
    const input = JSON.stringify(registerInput({ name: 'deep', table: 'iris', keyColumns: ['sample_id'], featureColumns: ['sepal_length'] }));
    const mutation = JSON.stringify('mutation ($input: RegisterDatasetInput!) { registerDataset(input: $input) { id } }');
    const answer = await send(`{"query":${mutation},"variables":{"input":${input.slice(0, -1)},"deep":${deep}}}}`, true);
    assert.equal(answer.status, 400, answer.text.slice(0, 300));
    const error = (JSON.parse(answer.text) as FormattedExecutionResult).errors?.[0];
    assert.equal(error?.extensions?.code, 'BAD_USER_INPUT', answer.text.slice(0, 300));
    const field = String(error?.extensions?.field);
    assert.ok(field.startsWith('input.deep.a.a.a') && field.endsWith('…') && field.length === 201, field);
    assert.ok(answer.text.length < 2_000, `the answer echoes the path cut short: ${answer.text.length} characters`);
    assert.equal(await snapshot(), before);
  });

  it('a dataset named "nul\\0inside" is refused, not stored as "nul"; idempotency keys "x\\0A" and "x\\0B" are refused, not one run for both', async () => {
    const before = await snapshot();
    const registered = await server.graphql(RegisterDatasetDocument, {
      input: registerInput({ name: NUL_VALUE, table: 'iris', keyColumns: ['sample_id'], featureColumns: ['sepal_length'] }),
    });
    assertRefused(registered, 'input.name', 'registerDataset');
    for (const key of ['x\u0000A', 'x\u0000B']) {
      const started = await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 2, idempotencyKey: key }) });
      assertRefused(started, 'input.idempotencyKey', `startModelRun with key ${JSON.stringify(key)}`);
    }
    assert.equal(await snapshot(), before);
  });
});

describe('a literal nested deeper than the parser can follow', () => {
  let server: TestServer;
  before(async () => {
    // A token limit the nesting fits under, so the parser, not the limit, meets it.
    server = await startTestServer({ GRAPHQL_MAX_TOKENS: '100000' });
  });
  after(async () => {
    await server?.stop();
  });

  it('a list literal 20,000 levels deep is a 400 GRAPHQL_PARSE_FAILED that says so, not the engine’s stack message; the server answers on', async () => {
    const query = `{ modelRuns(filter: { statuses: ${'['.repeat(20_000)}QUEUED${']'.repeat(20_000)} }) { totalCount } }`;
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const text = await response.text();
    assert.equal(response.status, 400, text.slice(0, 300));
    const error = (JSON.parse(text) as FormattedExecutionResult).errors?.[0];
    assert.equal(error?.extensions?.code, 'GRAPHQL_PARSE_FAILED', text.slice(0, 300));
    assert.equal(error?.message, 'The document nests lists or objects too deeply to be parsed. Nothing was executed.');
    const after = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ datasets { name } }' }),
    });
    assert.equal(after.status, 200);
  });
});
