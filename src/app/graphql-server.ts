import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config/config';
import type { GraphqlContext } from '../graphql/context';
import type { ErrorReporting } from '../graphql/format-error';
import { queryLimitRules } from '../graphql/limits/rules';
import { GRAPHIQL_PATH } from '../http/graphiql/graphiql.routes';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import { accessLogPlugin } from '../plugins/access-log/plugin';
import { costLimitPlugin } from '../plugins/cost-limit/plugin';
import { drainGraphqlWsPlugin } from '../plugins/drain-graphql-ws/plugin';
import { errorReportingPlugin } from '../plugins/error-reporting/plugin';
import { metricsPlugin } from '../plugins/metrics/plugin';
import { nulCharacterPlugin } from '../plugins/nul-characters/plugin';
import { subscriptionsOverHttpRefused } from '../plugins/subscriptions-over-http/plugin';
import { landingPageWithGraphiql } from '../plugins/landing-page/plugin';
import type { ChangeClock } from '../plugins/response-cache/change-clock';
import { responseCachePlugin } from '../plugins/response-cache/plugin';
import { graphqlTracePlugin } from '../plugins/trace/plugin';
import type { TraceRecorder } from '../telemetry/trace-recorder';
import { traceService } from './modules';

export interface GraphqlServerOptions {
  readonly schema: GraphQLSchema;
  readonly config: Config;
  readonly httpServer: http.Server;
  readonly sockets: { dispose(): void | Promise<void> };
  readonly errorReporting: ErrorReporting;
  readonly metrics: Metrics;
  readonly trace: TraceRecorder;
  readonly logger: Logger;
  /** Told of every write (its start and end): the response cache answers only while none is under way and the generation has not moved. */
  readonly changes: ChangeClock;
}

// At most this many answers, and this many characters of their JSON and keys. The answers are held as
// objects, a few times their JSON: tens of MB of heap at most.
const RESPONSE_CACHE_ENTRIES = 1_000;
const RESPONSE_CACHE_CHARACTERS = 8 * 1024 * 1024;

/** Apollo Server over the schema, with the query limits and every plugin; not started. */
export function createGraphqlServer(options: GraphqlServerOptions): ApolloServer<GraphqlContext> {
  const { config, httpServer } = options;
  return new ApolloServer<GraphqlContext>({
    schema: options.schema,
    introspection: config.introspection,
    // Without introspection, validation errors do not suggest field names either ("Did you mean …?").
    hideSchemaDetailsFromClientErrors: !config.introspection,
    // Apollo's default, stated so nobody turns it off by accident: a GET or a POST with a "simple"
    // content type needs an apollo-require-preflight (or x-apollo-operation-name) header.
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT and App.stop() stops Apollo: a second, concurrent apollo.stop()
    // from Apollo's own handlers never resolves (@apollo/server 5.5), and App.stop() would hang.
    stopOnTerminationSignals: false,
    // The query limits (src/graphql/limits/): tokens while parsing, depth/aliases/directives as
    // validation rules, the cost (which needs the variables) in a plugin before execution.
    parseOptions: { maxTokens: config.queryLimits.maxTokens },
    validationRules: queryLimitRules(config.queryLimits),
    includeStacktraceInErrorResponses: false,
    formatError: options.errorReporting.formatError,
    logger: options.logger.child({ component: 'apollo' }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No cache hints here, and its willResolveField hook ran around every field of every answer;
      // http-routes.ts says no-store for /graphql instead, as this plugin did.
      ApolloServerPluginCacheControlDisabled(),
      drainGraphqlWsPlugin(options.sockets),
      metricsPlugin(options.metrics),
      accessLogPlugin(),
      errorReportingPlugin(options.errorReporting),
      costLimitPlugin({ maxCost: config.queryLimits.maxCost }),
      nulCharacterPlugin(),
      subscriptionsOverHttpRefused(),
      responseCachePlugin({
        clock: options.changes,
        maxAgeMs: config.responseCacheMs,
        maxEntries: RESPONSE_CACHE_ENTRIES,
        maxCharacters: RESPONSE_CACHE_CHARACTERS,
        observe: options.metrics.observeResponseCache,
      }),
      graphqlTracePlugin({ recorder: options.trace, service: traceService(config), refusedSampleRate: config.trace.refusedSampleRate }),
      // Sandbox needs Apollo's CDN; the bar above it links to the GraphiQL this server serves (src/http/graphiql/).
      config.introspection
        ? landingPageWithGraphiql(ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false }), GRAPHIQL_PATH)
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
}
