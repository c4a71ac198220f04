import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SqlDialect } from '../../../../src/datastore/dialects/dialect';
import type { Statement } from '../../../../src/datastore/types';
import { refineForServer } from '../../../../src/datastore/dialects/index';
import { TiberoDialect } from '../../../../src/datastore/dialects/tibero';
import { expectSqlPerDialect, itForEveryDialect, itPerDialect, backquoted } from '../../../support/sql-table';

/** A query with its ORDER BY and one parameter of its own, which must stay first. */
function finishedRuns(dialect: SqlDialect): Statement {
  const q = (name: string) => dialect.quoteIdentifier(name);
  return { sql: `SELECT ${q('id')} FROM ${q('model_run')} WHERE ${q('status')} = ? ORDER BY ${q('id')}`, parameters: ['done'], kind: 'select' };
}

const ORACLE_QUERY = 'SELECT "ID" FROM "MODEL_RUN" WHERE "STATUS" = ? ORDER BY "ID"';
// Numbers are bound as text in this family (oracle-binds.ts): the SQL says where they are numbers.
const OFFSET_FETCH = { sql: `${ORACLE_QUERY} OFFSET CAST(? AS NUMBER) ROWS FETCH NEXT CAST(? AS NUMBER) ROWS ONLY`, parameters: ['done', 40, 20] };
const ROWNUM = {
  sql: `SELECT * FROM (SELECT r_.*, ROWNUM rn_ FROM (${ORACLE_QUERY}) r_ WHERE ROWNUM <= CAST(? AS NUMBER)) WHERE rn_ > CAST(? AS NUMBER) ORDER BY rn_`,
  parameters: ['done', 60, 40],
};

describe('pagination', () => {
  // Tibero before its version is known: the ROWNUM form every version runs.
  expectSqlPerDialect('page 3 of 20 appends the limit and offset after the query parameters', (d) => d.paginate(finishedRuns(d), { limit: 20, offset: 40 }), {
    sqlite: backquoted({ sql: 'SELECT "id" FROM "model_run" WHERE "status" = ? ORDER BY "id" LIMIT ? OFFSET ?', parameters: ['done', 20, 40] }),
    postgresql: { sql: 'SELECT "id" FROM "model_run" WHERE "status" = ? ORDER BY "id" LIMIT ? OFFSET ?', parameters: ['done', 20, 40] },
    mysql: { sql: 'SELECT `id` FROM `model_run` WHERE `status` = ? ORDER BY `id` LIMIT ? OFFSET ?', parameters: ['done', 20, 40] },
    mariadb: { sql: 'SELECT `id` FROM `model_run` WHERE `status` = ? ORDER BY `id` LIMIT ? OFFSET ?', parameters: ['done', 20, 40] },
    oracle: OFFSET_FETCH,
    tibero: ROWNUM,
  });

  itPerDialect(
    (dropped) => `a page's rows carry ${dropped === 0 ? "only the query's columns" : 'the row number last, for the datastore to drop'}`,
    { sqlite: backquoted(0), postgresql: 0, mysql: 0, mariadb: 0, oracle: 0, tibero: 1 },
    (dialect, dropped) => assert.equal(dialect.paginate(finishedRuns(dialect), { limit: 20, offset: 40 }).trailingColumnsToDrop ?? 0, dropped),
  );

  expectSqlPerDialect('any 500 rows of a query, in no order (a capped count): ROWNUM on the Oracle family', (d) => d.firstRows(finishedRuns(d), 500), {
    sqlite: backquoted({ sql: 'SELECT "id" FROM "model_run" WHERE "status" = ? ORDER BY "id" LIMIT ? OFFSET ?', parameters: ['done', 500, 0] }),
    postgresql: { sql: 'SELECT "id" FROM "model_run" WHERE "status" = ? ORDER BY "id" LIMIT ? OFFSET ?', parameters: ['done', 500, 0] },
    mysql: { sql: 'SELECT `id` FROM `model_run` WHERE `status` = ? ORDER BY `id` LIMIT ? OFFSET ?', parameters: ['done', 500, 0] },
    mariadb: { sql: 'SELECT `id` FROM `model_run` WHERE `status` = ? ORDER BY `id` LIMIT ? OFFSET ?', parameters: ['done', 500, 0] },
    oracle: { sql: `SELECT * FROM (${ORACLE_QUERY}) WHERE ROWNUM <= CAST(? AS NUMBER)`, parameters: ['done', 500] },
    tibero: { sql: `SELECT * FROM (${ORACLE_QUERY}) WHERE ROWNUM <= CAST(? AS NUMBER)`, parameters: ['done', 500] },
  });

  describe('Tibero pages by the version its V$VERSION gives (name=value rows)', () => {
    const cases: [string, 'OFFSET/FETCH' | 'ROWNUM'][] = [
      ['PRODUCT_NAME=Tibero PRODUCT_MAJOR=7 PRODUCT_MINOR=2 STABLE_VERSION=FS02_PS06', 'OFFSET/FETCH'],
      ['PRODUCT_MAJOR=7 PRODUCT_MINOR= ', 'OFFSET/FETCH'],
      ['PRODUCT_NAME=Tibero PRODUCT_MAJOR=6 PRODUCT_MINOR=0 STABLE_VERSION=FS07_CS_2005', 'OFFSET/FETCH'],
      ['PRODUCT_MAJOR=6 PRODUCT_MINOR=0 STABLE_VERSION=FS07PS03', 'OFFSET/FETCH'],
      ['PRODUCT_NAME=Tibero PRODUCT_MAJOR=6 PRODUCT_MINOR=0 STABLE_VERSION=FS06_CS_1902', 'ROWNUM'],
      ['PRODUCT_MAJOR=6 PRODUCT_MINOR=0', 'ROWNUM'],
      ['PRODUCT_MAJOR=5 PRODUCT_MINOR=0 STABLE_VERSION=SP1', 'ROWNUM'],
      ['TB_MAJOR=4', 'ROWNUM'],
      ['unknown', 'ROWNUM'],
      ['', 'ROWNUM'],
    ];
    for (const [version, form] of cases) {
      it(`${JSON.stringify(version)}: ${form}`, () => {
        const dialect = refineForServer(new TiberoDialect(), version);
        assert.ok(dialect instanceof TiberoDialect);
        const { sql, parameters } = dialect.paginate(finishedRuns(dialect), { limit: 20, offset: 40 });
        assert.deepEqual({ sql, parameters }, form === 'ROWNUM' ? ROWNUM : OFFSET_FETCH);
      });
    }
  });

  itForEveryDialect('paging keeps the statement kind', (d) => {
    assert.equal(d.paginate(finishedRuns(d), { limit: 1, offset: 0 }).kind, 'select');
  });
});
