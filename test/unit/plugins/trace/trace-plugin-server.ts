import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Identity } from '../../../../src/auth/roles';
import type { GraphqlContext } from '../../../../src/graphql/context';
import type { GraphqlTracePluginOptions } from '../../../../src/plugins/trace/options';
import { graphqlTracePlugin } from '../../../../src/plugins/trace/plugin';
import type { TraceDocument } from '../../../../src/telemetry/trace-document';

export const SERVICE = { name: 'ai-modeling-api', version: '0.1.0-test' };

/** What a failing resolver says: it names user data, so it must never reach a trace document. */
export const ERROR_MESSAGE = 'Dataset "payroll-secret" was not found';

/**
 * A real ApolloServer over a one-field schema with the trace plugin: `greeting(name)` answers, fails
 * with the coded error DATASET_NOT_FOUND when the name is "fail", and with UNAUTHENTICATED when it is "locked".
 */
export async function traceServer(options: Pick<GraphqlTracePluginOptions, 'includeIntrospection' | 'refusedSampleRate' | 'random'> = {}): Promise<{
  documents: TraceDocument[];
  execute(request: { query: string; variables?: Record<string, unknown>; operationName?: string }, requestId?: string, identity?: Identity): Promise<unknown>;
  stop(): Promise<void>;
}> {
  const documents: TraceDocument[] = [];
  const server = new ApolloServer<GraphqlContext>({
    typeDefs: 'type Query { greeting(name: String): String }',
    resolvers: {
      Query: {
        greeting: (_parent: unknown, { name }: { name?: string }) => {
          if (name === 'fail') throw new GraphQLError(ERROR_MESSAGE, { extensions: { code: 'DATASET_NOT_FOUND' } });
          if (name === 'locked') throw new GraphQLError('Not signed in', { extensions: { code: 'UNAUTHENTICATED' } });
          return `Hello ${name ?? 'world'}`;
        },
      },
    },
    introspection: true,
    includeStacktraceInErrorResponses: false,
    plugins: [graphqlTracePlugin({ recorder: { record: (document) => documents.push(document) }, service: SERVICE, ...options })],
  });
  await server.start();
  return {
    documents,
    async execute(request, requestId = 'request-1', identity?: Identity) {
      // The plugin reads only the request id and the identity from the context.
      const response = await server.executeOperation(request, { contextValue: { requestId, identity } as GraphqlContext });
      return response.body.kind === 'single' ? response.body.singleResult : response.body;
    },
    stop: () => server.stop(),
  };
}

/** One successful and one failed operation: the documents the plugin writes. */
export async function everyTracePluginDocument(): Promise<TraceDocument[]> {
  const server = await traceServer({ refusedSampleRate: 1 });
  try {
    await server.execute({ query: 'query Greet($name: String) { greeting(name: $name) }', variables: { name: 'Ada' }, operationName: 'Greet' });
    await server.execute({ query: 'query Broken { greeting(name: "fail") }' });
    return server.documents;
  } finally {
    await server.stop();
  }
}
