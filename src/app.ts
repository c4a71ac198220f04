import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { DatabaseBootstrap } from './app/bootstrap';
import type { Config } from './config/config';
import type { Datastore } from './datastore/datastore';
import { createErrorReporting } from './graphql/format-error';
import { buildAppSchema } from './graphql/schema';
import { logFailure } from './logging/log-failure';
import type { Logger } from './logging/logger';
import { Metrics } from './metrics/metrics';
import type { ApiKeyService } from './modules/api-key/api-key.service';
import { createTelemetry } from './telemetry/telemetry';
import { openDatabase } from './app/datastore';
import { createGraphqlServer } from './app/graphql-server';
import { serveGraphqlWs } from './app/graphql-ws';
import { mountRoutes } from './app/http-routes';
import { createModules } from './app/modules';
import { SharedRedis } from './app/redis';
import { ChangeClock } from './plugins/response-cache/change-clock';
import { setUpTraceInBackground } from './app/trace';

export interface App {
  readonly httpServer: http.Server;
  readonly datastore: Datastore;
  readonly bootstrap: DatabaseBootstrap;
  readonly metrics: Metrics;
  readonly apiKeys: ApiKeyService;
  /** Listens on the port (0 = any free one) once the first database attempt has finished. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops taking requests, lets in-flight ones finish, closes the Redis connections and the pool. */
  stop(): Promise<void>;
}

/**
 * The composition root: wires datastore, services, schema and HTTP server. It never listens on its
 * own (main.ts and tests decide where), so tests build as many apps as they like.
 */
export async function buildApp(config: Config, logger: Logger): Promise<App> {
  const telemetry = createTelemetry(config.trace, logger);
  // The pool reports every statement to the metrics, which read the pool's state back when scraped
  // (never while being built, so they can come first).
  const metrics = new Metrics(
    () => datastore.state().pool,
    () => telemetry.writer.counters(),
    () => services.runs.queueDepth(),
  );
  // Every write (once it has ended) retires the response cache's answers, here and, through Redis, on every replica.
  const changes = new ChangeClock();
  const { datastore, bootstrap } = openDatabase(config, logger, metrics.observeStatement, changes);
  const redis = config.redis ? new SharedRedis(config.redis, logger.child({ component: 'redis' }), metrics.observeRedisFailure) : null;
  if (redis && config.responseCacheMs > 0) {
    const broadcast = redis.dataChanges(() => changes.heard());
    changes.onChange(() => broadcast.changed());
  }
  const { services, runLifecycle, runUpdates, authenticator, sockets } = createModules(config, datastore, telemetry, redis, metrics, logger);

  const expressApp = express();
  expressApp.disable('x-powered-by');
  const httpServer = http.createServer(expressApp);
  const schema = await buildAppSchema(services);
  // Production masking, request ids on errors, internal errors logged once: HTTP and graphql-ws alike.
  const errorReporting = createErrorReporting({ production: config.nodeEnv === 'production', logger });
  const subscriptions = serveGraphqlWs({ httpServer, schema, config, services, authenticator, sockets, formatErrors: errorReporting.formatErrors, logger });
  const apollo = createGraphqlServer({ schema, config, httpServer, sockets: subscriptions, errorReporting, metrics, trace: telemetry.writer, logger, changes });
  await apollo.start();
  mountRoutes(expressApp, { apollo, config, services, authenticator, datastore, bootstrap, metrics, trace: telemetry.writer, redis, logger });

  return {
    httpServer,
    datastore,
    bootstrap,
    metrics,
    apiKeys: services.apiKeys,
    async listen(port, host) {
      telemetry.writer.start();
      setUpTraceInBackground(telemetry, logger);
      await bootstrap.start();
      // Run bookkeeping needs the app's tables: it starts once the database is prepared.
      void bootstrap
        .whenReady()
        .then(() => runLifecycle.start())
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
      if (bootstrap.current().done) await runLifecycle.stop();
      await runUpdates.stop();
      // After the runs: their last documents are in the queue now.
      await telemetry.writer.stop();
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await redis?.close();
      await datastore.close();
    },
  };
}
