import { isMainThread } from 'node:worker_threads';
import * as dialects from '../../src/datastore/dialects';
import { PrefixedAppTablesMariadbDialect } from './prefixed-mariadb';

/**
 * TESTS ONLY, loaded into a server process a test starts (NODE_OPTIONS=--require=…, see
 * mariadbReplicaDatabase in replica-database.ts). The MariaDB test user has the shared aimodel_test
 * database only, so a process of its own gets the app's tables under the prefix in
 * TEST_MARIADB_APP_TABLE_PREFIX (and its own data tables, TEST_MARIADB_PREFIXED_TABLES): DB_DIALECT=mysql
 * then means PrefixedAppTablesMariadbDialect.
 * Worker threads run no SQL and are left alone.
 */
const prefix = process.env.TEST_MARIADB_APP_TABLE_PREFIX;
// The test's own data tables, kept under the prefix too (comma-separated).
const ownTables = (process.env.TEST_MARIADB_PREFIXED_TABLES ?? '').split(',').filter((name) => name !== '');
if (prefix && isMainThread) {
  const original = dialects.dialectFor;
  // The compiled importers call `dialects_1.dialectFor(…)`, so replacing the export reaches them.
  (dialects as { dialectFor: typeof original }).dialectFor = (name) =>
    name === 'mysql' ? new PrefixedAppTablesMariadbDialect(prefix, ownTables) : original(name);
}
