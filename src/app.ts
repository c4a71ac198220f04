import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express from 'express';
import { DatabaseBootstrap } from './bootstrap';
import { GraphQLError } from 'graphql';
import { createAuthModule } from './auth/auth.module';
import { RateLimiter } from './auth/rate-limiter';
import { NOBODY } from './auth/roles';
import type { Config } from './config/config';
import { Datastore } from './datastore/datastore';
import { dialectFor } from './datastore/dialects';
import { createContext, requestIdFrom, type GraphqlContext, type Services } from './graphql/context';
import { createErrorReporting } from './graphql/format-error';
import { graphqlWsHooks } from './graphql/limits/graphql-ws';
import { graphqlWsAuth, stringParam, type SocketExtra } from './graphql/graphql-ws-auth';
import { graphqlHttpErrorHandler, graphqlJsonBody } from './graphql/limits/http-body';
import { queryLimitRules } from './graphql/limits/rules';
import { buildAppSchema } from './graphql/schema';
import { healthRoutes } from './http/health.routes';
import type { Logger } from './logging/logger';
import { Metrics } from './metrics/metrics';
import { ApiKeyRepository } from './modules/api-key/api-key.repository';
import { ApiKeyService } from './modules/api-key/api-key.service';
import { CatalogRepository } from './modules/dataset/catalog.repository';
import { DatasetRepository } from './modules/dataset/dataset.repository';
import { DatasetService } from './modules/dataset/dataset.service';
import { DatasetTableRepository } from './modules/dataset/dataset-table.repository';
import { OutcomeRepository } from './modules/outcome/outcome.repository';
import { OutcomeService } from './modules/outcome/outcome.service';
import { createRunModule } from './modules/run/run.module';
import { RunTraceService } from './modules/run/run-trace.service';
import { RunTracer } from './modules/run/run.tracer';
import { costLimitPlugin } from './plugins/cost-limit/plugin';
import { drainGraphqlWsPlugin } from './plugins/drain-graphql-ws/plugin';
import { errorReportingPlugin } from './plugins/error-reporting/plugin';
import { metricsPlugin } from './plugins/metrics/plugin';
import { nulCharacterPlugin } from './plugins/nul-characters/plugin';
import { subscriptionsOverHttpRefused } from './plugins/subscriptions-over-http/plugin';
import { graphqlTracePlugin } from './plugins/trace/plugin';
import { createTelemetry } from './telemetry/telemetry';
import { setupElasticsearch } from './telemetry/setup';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { logFailure } from './logging/log-failure';

export interface App {
  readonly httpServer: http.Server;
  readonly datastore: Datastore;
  readonly bootstrap: DatabaseBootstrap;
  readonly metrics: Metrics;
  readonly apiKeys: ApiKeyService;
  /** Listens on the port (0 = any free one) once the first database attempt has finished. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops taking requests, lets in-flight ones finish, closes the pool. */
  stop(): Promise<void>;
}

/**
 * The composition root: wires datastore, services, schema and HTTP server. It never listens on its
 * own (main.ts and tests decide where), so tests build as many apps as they like.
 */
export async function buildApp(config: Config, logger: Logger): Promise<App> {
  // The embedded SQLite file's folder; the driver will not create it.
  if (config.database.embedded) mkdirSync(config.dataDir, { recursive: true });
  const telemetry = createTelemetry(config.trace, logger);
  let metrics: Metrics | undefined;
  const datastore = Datastore.create({
    connectionString: config.database.connectionString,
    dialect: dialectFor(config.database.dialect),
    poolMax: config.database.poolMax,
    acquireTimeoutMs: config.database.acquireTimeoutMs,
    queryTimeoutMs: config.database.queryTimeoutMs,
    idleTimeoutMs: config.database.idleTimeoutMs,
    observer: (event) => metrics?.observeStatement(event),
    onBackgroundError: (error, context) => logFailure(logger, 'warn', error, { context }, 'database background error'),
  });
  metrics = new Metrics(() => datastore.state().pool, () => telemetry.writer.counters());
  const bootstrap = new DatabaseBootstrap(datastore, config, logger);

  const datasetTables = new DatasetTableRepository(datastore);
  const datasets = new DatasetService(new DatasetRepository(datastore), new CatalogRepository(datastore), datastore, datasetTables);
  const tracer = new RunTracer(telemetry.writer, { name: config.trace.serviceName, version: config.trace.serviceVersion });
  const runModule = createRunModule(config.runs, datastore, datasets, datasetTables, tracer, logger);
  const apiKeys = new ApiKeyService(new ApiKeyRepository(datastore), undefined, config.auth.apiKeyCacheMs);
  const auth = createAuthModule(config.auth, apiKeys);
  const services: Services = { datasets, runs: runModule.service, outcomes: new OutcomeService(new OutcomeRepository(datastore)), runTraces: new RunTraceService(telemetry.reader, config.kibanaUrl), apiKeys,
    runLimiter: new RateLimiter(config.auth.runsPerMinute, 60_000, 'model runs started') };

  const expressApp = express();
  expressApp.disable('x-powered-by');
  const httpServer = http.createServer(expressApp);
  const schema = await buildAppSchema(services);
  // Production masking, request ids on errors, internal errors logged once: HTTP and graphql-ws alike.
  const errorReporting = createErrorReporting({ production: config.nodeEnv === 'production', logger });
  // Subscriptions (graphql-ws) share the port and the path with queries.
  // Credentials come in connection_init's payload and are checked again as each operation starts.
  const socketAuth = graphqlWsAuth(auth.authenticator, auth.sockets);
  const wsHooks = graphqlWsHooks({ schema, limits: config.queryLimits, introspection: config.introspection, formatErrors: errorReporting.formatErrors });
  const subscriptions = useServer<Record<string, unknown>, SocketExtra>(
    {
      schema,
      onConnect: socketAuth.onConnect,
      onClose: socketAuth.onClose,
      context: async (socket) => createContext(services, logger, requestIdFrom(undefined), socket.extra.identity ?? NOBODY),
      // The query limits, introspection setting and error treatment of HTTP, on the socket too.
      ...wsHooks,
      onSubscribe: async (socket, id, payload) => (await socketAuth.recheck(socket)) ?? wsHooks.onSubscribe!(socket, id, payload),
    },
    // One message at most GRAPHQL_BODY_LIMIT, as over HTTP (ws's default is 100 MiB): more closes the socket with 1009.
    new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: config.bodyLimitBytes }),
  );
  const apollo = new ApolloServer<GraphqlContext>({
    schema,
    introspection: config.introspection,
    // Without introspection, validation errors do not suggest field names either ("Did you mean …?").
    hideSchemaDetailsFromClientErrors: !config.introspection,
    // Apollo's default, stated so nobody turns it off by accident: a GET or a POST with a "simple"
    // content type needs an apollo-require-preflight (or x-apollo-operation-name) header.
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT and calls App.stop(), which stops Apollo itself. Apollo's own handlers
    // (on by default outside NODE_ENV=test) would start apollo.stop() first, and a second, concurrent
    // apollo.stop() (ours) never resolves in @apollo/server 5.5: App.stop() then never got past it — runs
    // not marked INTERRUPTED, the trace tail not flushed, the pool not closed, no exit(0).
    stopOnTerminationSignals: false,
    // The query limits (src/graphql/limits/): tokens while parsing, depth/aliases/directives as
    // validation rules, the cost (which needs the variables) in a plugin before execution.
    parseOptions: { maxTokens: config.queryLimits.maxTokens },
    validationRules: queryLimitRules(config.queryLimits),
    includeStacktraceInErrorResponses: false,
    formatError: errorReporting.formatError,
    logger: logger.child({ component: 'apollo' }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      drainGraphqlWsPlugin(subscriptions),
      metricsPlugin(metrics),
      errorReportingPlugin(errorReporting),
      costLimitPlugin({ maxCost: config.queryLimits.maxCost }),
      nulCharacterPlugin(),
      subscriptionsOverHttpRefused(),
      graphqlTracePlugin({ recorder: telemetry.writer, service: { name: config.trace.serviceName, version: config.trace.serviceVersion }, refusedSampleRate: config.trace.refusedSampleRate }),
      config.introspection
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  expressApp.use(healthRoutes(datastore, bootstrap, metrics, telemetry.writer, auth.authenticator, logger.child({ component: 'health' })));
  expressApp.use(
    '/graphql',
    // JSON only, at most GRAPHQL_BODY_LIMIT, valid UTF-8; failures are answered by the handler below.
    graphqlJsonBody(config.bodyLimitBytes),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const identity = await auth.authenticator
          .identify(req.headers.authorization, stringParam(req.headers['x-api-key']), req.socket.remoteAddress ?? 'unknown')
          .catch((error: unknown) => {
            // Bad credentials fail the whole request with 401, before any resolver runs.
            throw new GraphQLError(error instanceof Error ? error.message : String(error), {
              extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
            });
          });
        return createContext(services, logger, requestIdFrom(req.headers['x-request-id']), identity);
      },
    }),
  );
  // After every route: body errors (413, 400, 415) and anything unexpected as GraphQL-style JSON, not Express's HTML.
  expressApp.use(graphqlHttpErrorHandler(logger, config.bodyLimitBytes));

  return {
    httpServer,
    datastore,
    bootstrap,
    metrics,
    apiKeys,
    async listen(port, host) {
      telemetry.writer.start();
      if (telemetry.client && config.trace.setupAtStart) {
        // Not awaited and not fatal: the trace must never keep the server from serving.
        void setupElasticsearch(telemetry.client, config.trace).then(
          (report) => logger.info({ steps: report.steps }, 'Elasticsearch trace setup done'),
          (error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'Elasticsearch trace setup failed; run npm run elastic:setup'),
        );
      }
      await bootstrap.start();
      // Run bookkeeping needs the app's tables: it starts once the database is prepared.
      void bootstrap
        .whenReady()
        .then(() => runModule.service.startLifecycle())
        .catch((error: unknown) => logFailure(logger, 'error', error, {}, 'run lifecycle did not start'));
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      return httpServer.address() as AddressInfo;
    },
    async stop() {
      bootstrap.stop();
      await apollo.stop();
      if (bootstrap.current().done) await runModule.service.stop();
      // After the runs: their last documents are in the queue now.
      await telemetry.writer.stop();
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await datastore.close();
    },
  };
}

