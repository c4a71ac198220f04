import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialectFor } from '../../../../src/datastore/dialects';
import { MariadbDialect } from '../../../../src/datastore/dialects/mariadb';
import { SCHEMA_LOCK_KEY, SCHEMA_LOCK_WAIT_SECONDS } from '../../../../src/datastore/dialects/dialect';

describe('the schema lock servers take around migrations and the demo load', () => {
  it('PostgreSQL: a session-level advisory lock on the app’s key, answering acquired = 1 once held', () => {
    assert.deepEqual(dialectFor('postgresql').schemaLockStatements(), {
      acquire: { sql: 'SELECT 1 AS acquired FROM (SELECT pg_advisory_lock(CAST(? AS bigint))) AS held', parameters: [SCHEMA_LOCK_KEY], kind: 'select' },
      release: { sql: 'SELECT pg_advisory_unlock(CAST(? AS bigint)) AS released', parameters: [SCHEMA_LOCK_KEY], kind: 'select' },
    });
  });

  it('MySQL and MariaDB: GET_LOCK named after the database, waiting at most SCHEMA_LOCK_WAIT_SECONDS', () => {
    for (const dialect of [dialectFor('mysql'), new MariadbDialect('10.11.19-MariaDB')]) {
      assert.deepEqual(dialect.schemaLockStatements(), {
        acquire: { sql: "SELECT GET_LOCK(CONCAT('aimodel_schema:', DATABASE()), ?) AS acquired", parameters: [SCHEMA_LOCK_WAIT_SECONDS], kind: 'select' },
        release: { sql: "SELECT RELEASE_LOCK(CONCAT('aimodel_schema:', DATABASE())) AS released", parameters: [], kind: 'select' },
      });
    }
  });

  it('SQLite, Oracle and Tibero take none', () => {
    for (const name of ['sqlite', 'oracle', 'tibero'] as const) assert.equal(dialectFor(name).schemaLockStatements(), undefined, name);
  });
});
