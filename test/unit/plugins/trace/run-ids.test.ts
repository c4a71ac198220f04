import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { GraphqlContext } from '../../../../src/graphql/context';
import { graphqlTracePlugin } from '../../../../src/plugins/trace/plugin';
import type { TraceDocument } from '../../../../src/telemetry/trace-document';
import { SERVICE } from './trace-plugin-server';

/**
 * Which runs an operation's trace document names (aimodel.run.id, and labels.run_id when only one):
 * the root fields of the run type, by their result's id or else their `id` argument, whatever the
 * client selected, through a real ApolloServer. Nested fields of the run type and lists do not count.
 */
const TYPE_DEFS = `
  type Run { id: ID!, status: String!, parent: Run }
  type Query { run(id: ID!): Run, runs: [Run!]!, greeting: String }
  type Mutation { startRun: Run!, slowStart: Run!, cancelRun(id: ID!): Run!, failRun(id: ID!): Run! }
`;

// Ids that can be runs' (UUIDs): an id argument is named only when it can be one.
const MISSING = '00000000-0000-4000-8000-00000000000a';
const FAILED = '00000000-0000-4000-8000-00000000000f';

const run = (id: string) => ({ id, status: 'QUEUED', parent: { id: `${id}-parent`, status: 'SUCCEEDED', parent: null } });

describe('graphqlTracePlugin: the runs an operation names', () => {
  let server: ApolloServer<GraphqlContext>;
  const documents: TraceDocument[] = [];
  let started = 0;

  before(async () => {
    server = new ApolloServer<GraphqlContext>({
      typeDefs: TYPE_DEFS,
      resolvers: {
        Query: {
          run: (_parent: unknown, { id }: { id: string }) => (id === MISSING || id.startsWith('not a run') ? null : run(id)),
          runs: () => [run('listed-1'), run('listed-2')],
          greeting: () => 'hello',
        },
        Mutation: {
          startRun: () => run(`started-${++started}`),
          slowStart: async () => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return run(`slow-${++started}`);
          },
          cancelRun: (_parent: unknown, { id }: { id: string }) => run(id),
          failRun: () => {
            throw new GraphQLError('no such run', { extensions: { code: 'RUN_NOT_FOUND' } });
          },
        },
      },
      plugins: [graphqlTracePlugin({ recorder: { record: (document) => documents.push(document) }, service: SERVICE, runTypeName: 'Run' })],
    });
    await server.start();
  });
  after(async () => {
    await server.stop();
  });

  async function runsNamed(query: string, variables?: Record<string, unknown>): Promise<{ ids: string[]; label: string | undefined }> {
    const from = documents.length;
    await server.executeOperation({ query, variables }, { contextValue: { requestId: 'r', identity: undefined } as unknown as GraphqlContext });
    const recorded = documents.slice(from);
    assert.equal(recorded.length, 1);
    const document = recorded[0] as unknown as { aimodel: { run?: { id: string[] } }; labels: { run_id?: string } };
    return { ids: [...(document.aimodel.run?.id ?? [])].sort(), label: document.labels.run_id };
  }

  it('a query of one run names it, by its result even when the client did not select the id', async () => {
    assert.deepEqual(await runsNamed('{ run(id: "r-1") { status } }'), { ids: ['r-1'], label: 'r-1' });
    assert.deepEqual(await runsNamed('query One($id: ID!) { run(id: $id) { id } }', { id: 'r-2' }), { ids: ['r-2'], label: 'r-2' });
  });

  it('a run that resolves to null is named by its id argument', async () => {
    assert.deepEqual(await runsNamed(`{ run(id: "${MISSING}") { id } }`), { ids: [MISSING], label: MISSING });
  });

  it('an id argument that cannot be a run’s (the caller’s own text, of any length) is not recorded', async () => {
    const text = `not a run <script>\n{"fake":1} ${'x'.repeat(100_000)}`;
    assert.deepEqual(await runsNamed('query One($id: ID!) { run(id: $id) { id } }', { id: text }), { ids: [], label: undefined });
    assert.deepEqual(await runsNamed('mutation { failRun(id: "f-1") { id } }'), { ids: [], label: undefined });
  });

  it('mutations name the run they return, synchronous or not, and a failed one by its argument', async () => {
    const startedRun = await runsNamed('mutation { startRun { status } }');
    assert.match(startedRun.ids[0]!, /^started-\d+$/);
    assert.equal(startedRun.label, startedRun.ids[0]);
    const slow = await runsNamed('mutation { slowStart { status } }');
    assert.match(slow.ids[0]!, /^slow-\d+$/);
    assert.deepEqual(await runsNamed(`mutation { failRun(id: "${FAILED}") { id } }`), { ids: [FAILED], label: FAILED });
  });

  it('two root fields, aliases and fragments: every run, and no single label', async () => {
    const named = await runsNamed(
      'mutation { a: cancelRun(id: "c-1") { id } ... on Mutation { b: cancelRun(id: "c-2") { ...R } } } fragment R on Run { status }',
    );
    assert.deepEqual(named, { ids: ['c-1', 'c-2'], label: undefined });
  });

  it('nested fields of the run type, lists and other fields name nothing', async () => {
    assert.deepEqual(await runsNamed('{ runs { id parent { id } } greeting }'), { ids: [], label: undefined });
    // The parent is a nested Run: only the root run is named.
    assert.deepEqual(await runsNamed('{ run(id: "r-3") { parent { id parent { id } } } }'), { ids: ['r-3'], label: 'r-3' });
  });
});
