import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type ContainerType } from 'type-graphql';
import { DatasetResolver } from '../modules/dataset/dataset.resolver';
import { createPubSub } from '@graphql-yoga/subscription';
import { RunResolver } from '../modules/run/run.resolver';
import { ApiKeyResolver } from '../modules/api-key/api-key.resolver';
import { authChecker } from './auth-checker';
import type { Services } from './context';
import { defaultOmittedToNull } from './omitted-as-null';

const RESOLVERS = [DatasetResolver, RunResolver, ApiKeyResolver] as const;

/** Resolvers get their services through the constructor; this is the whole container. */
function containerFor(services: Services | undefined): ContainerType {
  const instances = new Map<unknown, unknown>(
    services
      ? [
          [DatasetResolver, new DatasetResolver(services.datasets, services.runs, services.outcomes)],
          [RunResolver, new RunResolver(services.runs, services.runTraces, services.runLimiter)],
          [ApiKeyResolver, new ApiKeyResolver(services.apiKeys)],
        ]
      : [],
  );
  return {
    get(resolverClass) {
      const instance = instances.get(resolverClass);
      if (!instance) throw new Error(`No instance registered for ${(resolverClass as { name?: string }).name ?? 'a resolver'}`);
      return instance;
    },
  };
}

/** The executable schema. Without services it can only be printed (as `npm run schema:emit` does). */
export async function buildAppSchema(services?: Services): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [...RESOLVERS],
    container: containerFor(services),
    // type-graphql wants one once there are subscriptions; modelRunUpdated subscribes through RunService.updates instead.
    pubSub: createPubSub(),
    authChecker,
    validate: false,
  });
  return describeRootTypes(defaultOmittedToNull(schema));
}

// type-graphql gives the root types no description of their own; an IDE shows these first.
function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  const query = schema.getQueryType();
  const mutation = schema.getMutationType();
  const subscription = schema.getSubscriptionType();
  if (query) query.description = 'What can be read: datasets, runs and API keys. Every field needs the viewer role or more (apiKeys: admin).';
  if (mutation) mutation.description = 'What can be changed: runs (operator role), datasets and API keys (admin role).';
  if (subscription) subscription.description = 'Live updates over graphql-ws on /graphql (viewer role).';
  return schema;
}

/** The SDL committed as schema.graphql: sorted, so it changes only when the API does. */
export async function printAppSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildAppSchema()))}\n`;
}
