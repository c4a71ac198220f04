import { loadConfig, threadPoolSize } from './config/config';
import { isAppError } from './errors/app-error';
import { createLogger } from './logging/logger';

/** The process entry: config, logger, app, listen, signals. The only place that calls process.exit. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    // The code first, so scripts can tell a refused configuration from a crash.
    process.stderr.write(`${isAppError(error) ? `${error.code}: ${error.message}` : String(error)}\n`);
    process.exit(1);
  }
  // Every ODBC call occupies a libuv worker thread until the driver returns. The pool must not starve
  // file and DNS work, so the thread pool is sized from it before anything asynchronous has run.
  process.env.UV_THREADPOOL_SIZE ??= String(threadPoolSize(config));

  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  const { buildApp } = await import('./app.js');
  const app = await buildApp(config, logger);
  const address = await app.listen(config.port, config.host);
  logger.info(
    {
      url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${address.port}/graphql`,
      dialect: config.database.dialect,
      database: config.database.redactedConnectionString,
      threadPool: process.env.UV_THREADPOOL_SIZE,
    },
    'server listening',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
