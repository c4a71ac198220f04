import { describe } from 'node:test';
import { expectSqlPerDialect } from '../../../support/sql-table';

/** What runs on every new connection (Datastore.connect) before its first statement. */
describe('session statements', () => {
  const formats = "NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS' NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF'";
  expectSqlPerDialect('the Oracle family sets the date, timestamp (and on Oracle, number) formats; the others set nothing', (d) => d.sessionStatements(), {
    sqlite: [],
    postgresql: [],
    mysql: [],
    mariadb: [],
    oracle: { sql: `ALTER SESSION SET ${formats} NLS_NUMERIC_CHARACTERS = '.,'`, parameters: [] },
    tibero: { sql: `ALTER SESSION SET ${formats}`, parameters: [] },
  });
});
