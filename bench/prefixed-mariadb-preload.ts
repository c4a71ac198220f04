import { isMainThread } from 'node:worker_threads';
import * as dialects from '../src/datastore/dialects';
import { PrefixedAppTablesMariadbDialect } from '../test/support/prefixed-mariadb';

/**
 * BENCH ONLY, loaded into the server the end-to-end bench starts on MariaDB (NODE_OPTIONS=--require=…):
 * the test user has the shared aimodel_test database only, so the bench's app tables and its copy of
 * the blob table carry the prefix in BENCH_MARIADB_TABLE_PREFIX (its data tables: BENCH_MARIADB_PREFIXED_TABLES).
 * Unlike the tests' preload, the dialect is refined for the server's version as production's is
 * (JSON_TABLE on MariaDB ≥ 10.6), so the server measured writes as it would unprefixed.
 */
const prefix = process.env.BENCH_MARIADB_TABLE_PREFIX;
const ownTables = (process.env.BENCH_MARIADB_PREFIXED_TABLES ?? '').split(',').filter((name) => name !== '');
if (prefix && isMainThread) {
  const { dialectFor, refineForServer } = dialects;
  // The compiled importers call `dialects_1.dialectFor(…)`, so replacing the exports reaches them.
  Object.assign(dialects, {
    dialectFor: (name: string) => (name === 'mysql' ? new PrefixedAppTablesMariadbDialect(prefix, ownTables) : dialectFor(name)),
    refineForServer: (dialect: dialects.SqlDialect, version: string) =>
      dialect instanceof PrefixedAppTablesMariadbDialect ? new PrefixedAppTablesMariadbDialect(prefix, ownTables, version) : refineForServer(dialect, version),
  });
}
