import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { expectSqlPerDialect, itPerDialect, backquoted } from '../../../support/sql-table';

describe('server statements', () => {
  const oraclePing = { sql: 'SELECT 1 AS ok FROM DUAL', parameters: [] };
  expectSqlPerDialect('the ping needs FROM DUAL on the Oracle family only', (d) => d.pingStatement(), {
    sqlite: backquoted({ sql: 'SELECT 1 AS ok', parameters: [] }),
    postgresql: { sql: 'SELECT 1 AS ok', parameters: [] },
    mysql: { sql: 'SELECT 1 AS ok', parameters: [] },
    mariadb: { sql: 'SELECT 1 AS ok', parameters: [] },
    oracle: oraclePing,
    tibero: oraclePing,
  });

  expectSqlPerDialect('the server version comes from each database its own way', (d) => d.serverVersionStatement(), {
    sqlite: backquoted({
      sql: "SELECT sqlite_version() || CASE WHEN (SELECT COUNT(*) FROM pragma_function_list WHERE name IN ('json_extract', 'power')) >= 2 THEN ' (json, math)' ELSE '' END AS version",
      parameters: [],
    }),
    postgresql: { sql: 'SELECT version() AS version', parameters: [] },
    mysql: { sql: 'SELECT VERSION() AS version', parameters: [] },
    mariadb: { sql: 'SELECT VERSION() AS version', parameters: [] },
    oracle: { sql: 'SELECT banner AS version FROM v$version WHERE ROWNUM = 1', parameters: [] },
    tibero: { sql: 'SELECT name AS name, value AS value FROM v$version', parameters: [] },
  });

  const selectForUpdate = (quote: (name: string) => string) => ({
    sql: `SELECT ${quote('id')} FROM ${quote('ai_dataset')} WHERE ${quote('id')} = ? FOR UPDATE`,
    parameters: ['d-1'],
  });
  expectSqlPerDialect(
    'a row is locked with SELECT … FOR UPDATE, on SQLite by a write that takes the one write lock and counts the row',
    (d) => d.lockRowStatement('ai_dataset', 'id', 'd-1'),
    {
      sqlite: backquoted({ sql: 'UPDATE "ai_dataset" SET "id" = "id" WHERE "id" = ?', parameters: ['d-1'] }),
      postgresql: selectForUpdate((name) => `"${name}"`),
      mysql: selectForUpdate((name) => `\`${name}\``),
      mariadb: selectForUpdate((name) => `\`${name}\``),
      oracle: selectForUpdate((name) => `"${name.toUpperCase()}"`),
      tibero: selectForUpdate((name) => `"${name.toUpperCase()}"`),
    },
  );

  itPerDialect(
    (expected) => `statistics refreshed after a bulk insert: ${expected.length === 0 ? 'none needed' : expected.join('; ')}`,
    {
      sqlite: backquoted([]),
      postgresql: ['ANALYZE "ai_run_assignment"'],
      mysql: [],
      mariadb: [],
      oracle: [],
      tibero: [],
    },
    (dialect, expected) =>
      assert.deepEqual(
        dialect.refreshStatisticsStatements('ai_run_assignment').map((statement) => statement.sql),
        expected,
      ),
  );

  itPerDialect(
    (expected) => `"now" in UTC is ${expected}`,
    {
      sqlite: backquoted("strftime('%Y-%m-%d %H:%M:%f', 'now')"),
      postgresql: "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')",
      mysql: 'UTC_TIMESTAMP(3)',
      mariadb: 'UTC_TIMESTAMP(3)',
      oracle: 'SYS_EXTRACT_UTC(SYSTIMESTAMP)',
      tibero: 'SYS_EXTRACT_UTC(SYSTIMESTAMP)',
    },
    (dialect, expected) => assert.equal(dialect.currentUtcTimestampSql(), expected),
  );

  itPerDialect(
    (expected) => `the version read from the rows is "${expected}"`,
    { sqlite: backquoted('3.40.1'), postgresql: '3.40.1', mysql: '3.40.1', mariadb: '3.40.1', oracle: '3.40.1', tibero: 'PRODUCT_VERSION=7.2.6 BUILD=1' },
    (dialect, expected) => {
      const rows =
        dialect.variant === 'tibero'
          ? [
              { name: 'PRODUCT_VERSION', value: '7.2.6' },
              { name: 'BUILD', value: '1' },
            ]
          : [{ version: '3.40.1' }];
      assert.equal(dialect.readServerVersion(rows), expected);
    },
  );
});
