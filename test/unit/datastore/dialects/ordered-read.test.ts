import { describe } from 'node:test';
import type { SqlDialect } from '../../../../src/datastore/dialects/dialect';
import type { OrderedRead } from '../../../../src/datastore/types';
import { expectSqlPerDialect, backquoted } from '../../../support/sql-table';

/** The SQL of reading a table in key order (keyset-reader.ts asks the dialect for every text). */
function readings(d: SqlDialect): OrderedRead {
  return { table: 'reading', columns: ['site', 'n', 'x'], keyColumns: ['site', 'n'], where: { sql: `${d.quoteIdentifier('x')} > ?`, parameters: [0] } };
}

/**
 * SQLite's key beside itself as its storage class's letter and exact text (the driver reads a column by
 * its declared type: text in an INTEGER column as NULL), as a dialect without the math functions writes it.
 */
function sqliteKeyText(column: string, index: number): string {
  const c = `"${column}"`;
  return `CASE typeof(${c}) WHEN 'integer' THEN 'i' || ${c} WHEN 'real' THEN 'r' || ${sqliteReal(c)} WHEN 'text' THEN 't' || ${c} WHEN 'blob' THEN 'b' || hex(${c}) END AS key_text_${index}`;
}

/** SQLite's number column as its exact text (the driver reads 2.5 in an INTEGER column as 2, a REAL through 15 digits). */
function sqliteExactNumber(column: string): string {
  const c = `"${column}"`;
  return `CASE WHEN typeof(${c}) IN ('integer', 'real') THEN ${sqliteReal(c)} END`;
}

/**
 * SQLite's ordered read: a first SELECT of no rows types the key texts as long text (sqlite_master's
 * `sql`), the table's own columns as themselves, an exact number as NULL and a mask as 0.
 */
function sqliteTyped(table: string, columns: readonly string[], exact: readonly string[], masks: number, keys: number, select: string): string {
  const typed = [
    ...columns.map((name) => (exact.includes(name) ? `NULL AS "${name}"` : `"${table}"."${name}"`)),
    ...Array.from({ length: masks }, (_, index) => `0 AS non_number_mask_${index}`),
    ...Array.from({ length: keys }, (_, index) => `sqlite_master.sql AS key_text_${index}`),
  ];
  return `SELECT ${typed.join(', ')} FROM "${table}", sqlite_master WHERE 0 UNION ALL ${select}`;
}

function sqliteReal(c: string): string {
  return `CASE WHEN ${c} BETWEEN -1e99 AND 1e99 THEN printf('%!.17g', ${c}) WHEN ${c} = 9e999 THEN 'Infinity' WHEN ${c} = -9e999 THEN '-Infinity' ELSE printf('%!.17g', ${c}) END`;
}

describe('ordered reads', () => {
  const ansiAfter = {
    sql: 'SELECT "site", "n", "x" FROM "reading" WHERE ("x" > ?) AND ("site" > ? OR ("site" = ? AND "n" > ?)) ORDER BY "site", "n"',
    parameters: [0, 'a', 'a', 5],
  };
  const mysqlAfter = {
    sql: 'SELECT `site`, `n`, `x` FROM `reading` WHERE (`x` > ?) AND (`site` > ? OR (`site` = ? AND `n` > ?)) ORDER BY `site`, `n`',
    parameters: [0, 'a', 'a', 5],
  };
  const oracleAfter = {
    sql:
      'SELECT "SITE", "N", "X", TO_CHAR("SITE") AS key_text_0, TO_CHAR("N") AS key_text_1 FROM "READING" ' +
      'WHERE ("X" > ?) AND ("SITE" > ? OR ("SITE" = ? AND "N" > ?)) ORDER BY "SITE", "N"',
    parameters: [0, 'a', 'a', 5],
  };
  expectSqlPerDialect(
    "the rows after a composite key: the read's own condition, then the key compared part by part",
    (d) => d.compileOrderedSelect(readings(d), [d.compileKeyCondition(['site', 'n'], ['a', 5], '>', '>')]),
    {
      sqlite: backquoted({
        sql: sqliteTyped(
          'reading',
          ['site', 'n', 'x'],
          [],
          0,
          2,
          `SELECT "site", "n", "x", ${sqliteKeyText('site', 0)}, ${sqliteKeyText('n', 1)} FROM "reading" ` +
            'WHERE ("x" > ?) AND ("site" > ? OR ("site" = ? AND "n" > ?)) ORDER BY "site", "n"',
        ),
        parameters: [0, 'a', 'a', 5],
      }),
      postgresql: ansiAfter,
      mysql: mysqlAfter,
      mariadb: mysqlAfter,
      oracle: oracleAfter,
      tibero: oracleAfter,
    },
  );

  const ansiUpTo = { sql: '"site" < ? OR ("site" = ? AND "n" <= ?)', parameters: ['b', 'b', 9] };
  const oracleUpTo = { sql: '"SITE" < ? OR ("SITE" = ? AND "N" <= ?)', parameters: ['b', 'b', 9] };
  expectSqlPerDialect('up to and including a composite key', (d) => ({ ...d.compileKeyCondition(['site', 'n'], ['b', 9], '<', '<='), kind: 'select' }), {
    sqlite: backquoted(ansiUpTo),
    postgresql: ansiUpTo,
    mysql: { sql: '`site` < ? OR (`site` = ? AND `n` <= ?)', parameters: ['b', 'b', 9] },
    mariadb: { sql: '`site` < ? OR (`site` = ? AND `n` <= ?)', parameters: ['b', 'b', 9] },
    oracle: oracleUpTo,
    tibero: oracleUpTo,
  });

  const ansiCounts = {
    sql: 'SELECT COUNT(*) AS total_rows, SUM(CASE WHEN "site" IS NULL OR "n" IS NULL THEN 1 ELSE 0 END) AS null_keys FROM "reading" WHERE "x" > ?',
    parameters: [0],
  };
  const mysqlCounts = {
    sql: 'SELECT COUNT(*) AS total_rows, SUM(CASE WHEN `site` IS NULL OR `n` IS NULL THEN 1 ELSE 0 END) AS null_keys FROM `reading` WHERE `x` > ?',
    parameters: [0],
  };
  const oracleCounts = {
    sql: 'SELECT COUNT(*) AS total_rows, SUM(CASE WHEN "SITE" IS NULL OR "N" IS NULL THEN 1 ELSE 0 END) AS null_keys FROM "READING" WHERE "X" > ?',
    parameters: [0],
  };
  expectSqlPerDialect('the rows of a read and those with a NULL key part, counted in one statement', (d) => d.compileKeyCounts(readings(d)), {
    sqlite: backquoted(ansiCounts),
    postgresql: ansiCounts,
    mysql: mysqlCounts,
    mariadb: mysqlCounts,
    oracle: oracleCounts,
    tibero: oracleCounts,
  });

  // A number column cast to a double (PostgreSQL's REAL from its text), which the odbc package reads in binary.
  const ansiPlain = {
    sql: `SELECT "site", "n", CASE WHEN pg_typeof("x") = 'real'::regtype THEN CAST(CAST("x" AS TEXT) AS DOUBLE PRECISION) ELSE CAST("x" AS DOUBLE PRECISION) END AS "x" FROM "reading" ORDER BY "site", "n"`,
    parameters: [],
  };
  const mysqlPlain = { sql: 'SELECT `site`, `n`, CAST(`x` AS DOUBLE) AS `x` FROM `reading` ORDER BY `site`, `n`', parameters: [] };
  const oraclePlain = {
    sql: 'SELECT "SITE", "N", CAST("X" AS BINARY_DOUBLE) AS "X", TO_CHAR("SITE") AS key_text_0, TO_CHAR("N") AS key_text_1 FROM "READING" ORDER BY "SITE", "N"',
    parameters: [],
  };
  expectSqlPerDialect(
    'a number column is read as a double the driver reads whole (SQLite: as its exact text), with a mask of its non-number values where numeric columns hold text',
    (d) => d.compileOrderedSelect({ ...readings(d), where: undefined, numbers: ['x'] }),
    {
      sqlite: backquoted({
        sql: sqliteTyped(
          'reading',
          ['site', 'n', 'x'],
          ['x'],
          1,
          2,
          `SELECT "site", "n", ${sqliteExactNumber('x')} AS "x", CASE WHEN typeof("x") IN ('text', 'blob') THEN 1 ELSE 0 END AS non_number_mask_0, ${sqliteKeyText('site', 0)}, ${sqliteKeyText('n', 1)} FROM "reading" ORDER BY "site", "n"`,
        ),
        parameters: [],
      }),
      postgresql: ansiPlain,
      mysql: mysqlPlain,
      mariadb: mysqlPlain,
      oracle: oraclePlain,
      tibero: oraclePlain,
    },
  );

  const oracleKeysOnly = { sql: 'SELECT "N", TO_CHAR("N") AS key_text_0 FROM "READING" ORDER BY "N"', parameters: [] };
  expectSqlPerDialect(
    "each key column's exact text is read beside it where the driver reads exact numbers as doubles (Oracle's NUMBER) or a value by its column's declared type (SQLite)",
    (d) => d.compileOrderedSelect({ table: 'reading', columns: ['n'], keyColumns: ['n'] }),
    {
      sqlite: backquoted({ sql: sqliteTyped('reading', ['n'], [], 0, 1, `SELECT "n", ${sqliteKeyText('n', 0)} FROM "reading" ORDER BY "n"`), parameters: [] }),
      postgresql: { sql: 'SELECT "n" FROM "reading" ORDER BY "n"', parameters: [] },
      mysql: { sql: 'SELECT `n` FROM `reading` ORDER BY `n`', parameters: [] },
      mariadb: { sql: 'SELECT `n` FROM `reading` ORDER BY `n`', parameters: [] },
      oracle: oracleKeysOnly,
      tibero: oracleKeysOnly,
    },
  );
});
