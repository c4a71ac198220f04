import { mkdirSync } from 'node:fs';
import { DatabaseBootstrap } from './bootstrap';
import type { Config } from '../config/config';
import { Datastore, type WriteObserver } from '../datastore/datastore';
import type { Metrics } from '../metrics/metrics';
import { dialectFor } from '../datastore/dialects';
import { logFailure } from '../logging/log-failure';
import type { Logger } from '../logging/logger';

/** The embedded SQLite file's folder, made if missing (the driver will not create it); nothing for another database. */
export function prepareEmbeddedFolder(config: Config): void {
  if (config.database.embedded) mkdirSync(config.dataDir, { recursive: true });
}

/** The pool over the DB_* settings (telling `writes` when each write starts and ends), and the bootstrap that prepares the database once it answers. */
export function openDatabase(config: Config, logger: Logger, observeStatement: Metrics['observeStatement'], writes?: WriteObserver) {
  prepareEmbeddedFolder(config);
  const datastore = Datastore.create({
    connectionString: config.database.connectionString,
    dialect: dialectFor(config.database.dialect),
    poolMax: config.database.poolMax,
    acquireTimeoutMs: config.database.acquireTimeoutMs,
    queryTimeoutMs: config.database.queryTimeoutMs,
    idleTimeoutMs: config.database.idleTimeoutMs,
    observer: observeStatement,
    writes,
    onBackgroundError: (error, context) => logFailure(logger, 'warn', error, { context }, 'database background error'),
  });
  return { datastore, bootstrap: new DatabaseBootstrap(datastore, config, logger) };
}
