import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { GraphQLError } from 'graphql';
import type { Authenticator } from '../auth/authenticator';
import type { Config } from '../config/config';
import type { Datastore } from '../datastore/datastore';
import { isAppError } from '../errors/app-error';
import { createContext, requestIdFrom, type GraphqlContext, type Services } from '../graphql/context';
import { stringParam } from '../graphql/graphql-ws/auth';
import { accessLog, accessNoteOf } from '../http/access-log';
import { corsMiddleware } from '../http/cors';
import { runExportRoutes } from '../http/export/run-export.routes';
import { graphqlHttpErrorHandler, graphqlJsonBody } from '../http/graphql-body';
import { graphiqlRoutes } from '../http/graphiql/graphiql.routes';
import { healthRoutes, type DatabasePreparation, type PingTarget } from '../http/health.routes';
import { httpStatusOf } from '../http/json-error';
import { notFound } from '../http/not-found';
import { runReportRoutes } from '../http/run-report/run-report.routes';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import type { TraceWriter } from '../telemetry/trace-writer';

export interface RouteOptions {
  readonly apollo: ApolloServer<GraphqlContext>;
  readonly config: Config;
  readonly services: Services;
  readonly authenticator: Authenticator;
  readonly datastore: Datastore;
  readonly bootstrap: DatabasePreparation;
  readonly metrics: Metrics;
  readonly trace: TraceWriter;
  /** REDIS_URL's server, when configured: /readyz says whether it answers. */
  readonly redis: PingTarget | null;
  readonly logger: Logger;
}

/**
 * The access log and CORS, /healthz, /readyz and /metrics, /graphiql, the run exports, then /graphql over HTTP, the run
 * report pages, then JSON answers for unknown routes and whatever failed around them.
 */
export function mountRoutes(expressApp: Express, options: RouteOptions): void {
  const { config, authenticator, services, logger } = options;
  expressApp.use(accessLog(logger.child({ component: 'http' })));
  expressApp.use(corsMiddleware(config.cors));
  expressApp.use(
    healthRoutes(options.datastore, options.bootstrap, options.metrics, options.trace, authenticator, options.redis, logger.child({ component: 'health' })),
  );
  // The offline IDE, where the landing page is served (introspection on); otherwise /graphiql is an unknown route.
  if (config.introspection) expressApp.use(graphiqlRoutes());
  expressApp.use(runExportRoutes(services.runExports, authenticator, logger.child({ component: 'export' })));
  expressApp.use('/graphql', graphqlApp(options));
  expressApp.use(runReportRoutes(services.runReports, authenticator, logger.child({ component: 'run-report' })));
  expressApp.use(notFound());
  // After every route: body errors (413, 400, 415) and anything unexpected as GraphQL-style JSON, not Express's HTML.
  expressApp.use(graphqlHttpErrorHandler(logger, config.bodyLimitBytes));
}

/**
 * POST and GET /graphql, an app of its own so that its answers go without Express' ETag: a SHA-1 of
 * every answer (6 % of the server's CPU under a listing's load), for answers no cache may keep.
 */
function graphqlApp(options: RouteOptions): Express {
  const { config, authenticator, services, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(
    // Answers hold the caller's data: no cache keeps them (Apollo's cache-control plugin, disabled in
    // graphql-server.ts, said no-store for every answer without hints, i.e. every one).
    (_request: Request, response: Response, next: NextFunction) => {
      response.setHeader('cache-control', 'no-store');
      next();
    },
    // JSON only, at most GRAPHQL_BODY_LIMIT, valid UTF-8; failures are answered by the handler below.
    graphqlJsonBody(config.bodyLimitBytes),
    expressMiddleware(options.apollo, {
      context: async ({ req, res }) => {
        const identity = await authenticator
          .identify(req.headers.authorization, stringParam(req.headers['x-api-key']), req.socket.remoteAddress ?? 'unknown')
          .catch((error: unknown) => {
            // Bad credentials fail the whole request with 401, before any resolver runs.
            if (isAppError(error) && error.code === 'UNAUTHENTICATED') {
              throw new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
            }
            // Credentials that could not be checked (the database away while an API key is looked up):
            // not a 401; formatError answers with the failure's code and the catalogue's words (never
            // the driver's) and logs it, as for a resolver's error.
            const cause = error instanceof Error ? error : new Error(String(error));
            throw new GraphQLError(cause.message, {
              originalError: cause,
              extensions: { http: { status: httpStatusOf(isAppError(error) ? error.code : 'INTERNAL_SERVER_ERROR') } },
            });
          });
        return { ...createContext(services, logger, requestIdFrom(req.headers['x-request-id']), identity), access: accessNoteOf(res.locals) };
      },
    }),
  );
  return app;
}
