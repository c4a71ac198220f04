import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { SqlDialect } from '../../../../src/datastore/dialects/dialect';
import type { Statement } from '../../../../src/datastore/types';
import { expectSqlPerDialect, itForEveryDialect } from '../../../support/sql-table';

/** A query with its ORDER BY and one parameter of its own, which must stay first. */
function finishedRuns(dialect: SqlDialect): Statement {
  const q = (name: string) => dialect.quoteIdentifier(name);
  return { sql: `SELECT ${q('id')} FROM ${q('model_run')} WHERE ${q('status')} = ? ORDER BY ${q('id')}`, parameters: ['done'], kind: 'select' };
}

describe('pagination', () => {
  const oracle = {
    sql: 'SELECT "ID" FROM "MODEL_RUN" WHERE "STATUS" = ? ORDER BY "ID" OFFSET CAST(? AS NUMBER) ROWS FETCH NEXT CAST(? AS NUMBER) ROWS ONLY',
    parameters: ['done', 40, 20],
  };
  expectSqlPerDialect('page 3 of 20 appends the limit and offset after the query parameters', (d) => d.paginate(finishedRuns(d), { limit: 20, offset: 40 }), {
    sqlite: { sql: 'SELECT "id" FROM "model_run" WHERE "status" = ? ORDER BY "id" LIMIT ? OFFSET ?', parameters: ['done', 20, 40] },
    postgresql: { sql: 'SELECT "id" FROM "model_run" WHERE "status" = ? ORDER BY "id" LIMIT ? OFFSET ?', parameters: ['done', 20, 40] },
    mysql: { sql: 'SELECT `id` FROM `model_run` WHERE `status` = ? ORDER BY `id` LIMIT ? OFFSET ?', parameters: ['done', 20, 40] },
    mariadb: { sql: 'SELECT `id` FROM `model_run` WHERE `status` = ? ORDER BY `id` LIMIT ? OFFSET ?', parameters: ['done', 20, 40] },
    oracle,
    tibero: oracle,
  });

  itForEveryDialect('paging keeps the statement kind', (d) => {
    assert.equal(d.paginate(finishedRuns(d), { limit: 1, offset: 0 }).kind, 'select');
  });
});
