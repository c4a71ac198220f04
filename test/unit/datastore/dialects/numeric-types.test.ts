import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { itPerDialect } from '../../../support/sql-table';

describe('numeric types and casts', () => {
  itPerDialect(
    (expected: string) => `castToDouble wraps an expression as ${expected}`,
    {
      sqlite: 'CAST("x" * "x" AS REAL)',
      postgresql: 'CAST("x" * "x" AS DOUBLE PRECISION)',
      mysql: 'CAST("x" * "x" AS DOUBLE)',
      mariadb: 'CAST("x" * "x" AS DOUBLE)',
      oracle: 'CAST("x" * "x" AS BINARY_DOUBLE)',
      tibero: 'CAST("x" * "x" AS BINARY_DOUBLE)',
    },
    (dialect, expected) => assert.equal(dialect.castToDouble('"x" * "x"'), expected),
  );

  // The server's own DOUBLE columns: every driver but SQLite's hands a double over in binary, whole.
  // SQLite's exact text (before detectServer finds the math functions, which write past 1e99 exactly).
  itPerDialect(
    (expected: string) => `exactDoubleSelectSql selects a distance as ${expected}`,
    {
      sqlite:
        "CASE WHEN typeof(`d`) IN ('integer', 'real') THEN CASE WHEN `d` BETWEEN -1e99 AND 1e99 THEN printf('%!.17g', `d`) " +
        "WHEN `d` = 9e999 THEN 'Infinity' WHEN `d` = -9e999 THEN '-Infinity' ELSE printf('%!.17g', `d`) END END AS `d`",
      postgresql: '"d"',
      mysql: '`d`',
      mariadb: '`d`',
      oracle: '"D"',
      tibero: '"D"',
    },
    (dialect, expected) => assert.equal(dialect.exactDoubleSelectSql(dialect.quoteIdentifier('d')), expected),
  );

  // Dataset.preview: the exact form beside a DECIMAL column (the driver cut a negative value filling
  // its precision); SQLite's holds every storage class, as its letter and exact text.
  itPerDialect(
    (expected: string | RegExp) => `previewExactSql beside a DECIMAL(10,2) column: ${String(expected)}`,
    {
      sqlite:
        /^CASE typeof\(`x`\) WHEN 'integer' THEN 'i' \|\| `x` WHEN 'real' THEN 'r' \|\| CASE .* WHEN 'text' THEN CASE WHEN length\(CAST\(`x` AS BLOB\)\) <= 1000 THEN 't' \|\| `x` END END$/,
      postgresql: 'CAST("x" AS VARCHAR(4000))',
      mysql: 'CAST(`x` AS CHAR)',
      mariadb: 'CAST(`x` AS CHAR)',
      oracle: 'CAST("X" AS VARCHAR(4000))',
      tibero: 'CAST("X" AS VARCHAR(4000))',
    },
    (dialect, expected) => {
      const sql = dialect.previewExactSql(dialect.quoteIdentifier('x'), 'DECIMAL(10,2)')!;
      if (typeof expected === 'string') assert.equal(sql, expected);
      else assert.match(sql, expected);
    },
  );

  itPerDialect(
    (expected: boolean) => `previewExactSql beside an INTEGER column: ${expected ? 'its storage class and text' : 'none, the driver reads it'}`,
    { sqlite: true, postgresql: false, mysql: false, mariadb: false, oracle: false, tibero: false },
    (dialect, expected) => {
      assert.equal(dialect.previewExactSql(dialect.quoteIdentifier('x'), 'INTEGER') !== undefined, expected);
      assert.equal(dialect.previewExactSql(dialect.quoteIdentifier('x'), 'VARCHAR(20)'), undefined, 'a text column: none');
    },
  );

  // Type names as the catalogs report them (upper-cased by readCatalogColumn, but lower case must work too).
  const common = {
    BIGINT: true,
    INTEGER: true,
    int: true,
    SMALLINT: true,
    TINYINT: true,
    'INT UNSIGNED': true,
    'int(10) unsigned zerofill': true,
    DOUBLE: true,
    'DOUBLE PRECISION': true,
    'double precision': true,
    REAL: true,
    FLOAT: true,
    'FLOAT(126)': true,
    'NUMERIC(10,2)': true,
    DECIMAL: true,
    'DECIMAL(8,3) UNSIGNED': true,
    BINARY_DOUBLE: true,
    'VARCHAR(16)': false,
    VARCHAR2: false,
    TEXT: false,
    CLOB: false,
    BLOB: false,
    DATE: false,
    'TIMESTAMP(3)': false,
    'TIMESTAMP WITHOUT TIME ZONE': false,
    BOOLEAN: false,
    '': false,
  } satisfies Record<string, boolean>;

  // The SQLite dialect reads declared types by SQLite's affinity rules (datatype3.html §3.1): any name
  // containing INT, REAL, FLOA, DOUB, NUMERIC or DECIMAL (so also made-up names) is a number; a name
  // containing CHAR, CLOB, TEXT or BLOB, or no type at all, is not.
  const sqlite = {
    ...common,
    'UNSIGNED BIG INT': true,
    'FLOATING POINT': true,
    'NATIVE CHARACTER(70)': false,
    'VARYING CHARACTER(255)': false,
    '   ': false,
  };
  const elsewhere = {
    ...common,
    // Only SQLite matches substrings; everywhere else these are not numeric type names.
    'UNSIGNED BIG INT': false,
    'FLOATING POINT': false,
    'NATIVE CHARACTER(70)': false,
    'VARYING CHARACTER(255)': false,
    '   ': false,
  };

  itPerDialect(
    'isNumericType tells numeric type names from the rest',
    { sqlite, postgresql: elsewhere, mysql: elsewhere, mariadb: elsewhere, oracle: elsewhere, tibero: elsewhere },
    (dialect, expected) => {
      const actual = Object.fromEntries(Object.keys(expected).map((type) => [type, dialect.isNumericType(type)]));
      assert.deepEqual(actual, expected);
    },
  );

  itPerDialect(
    (reliable: boolean) => (reliable ? 'the driver cursor is trusted to return every row' : 'big results are read by key, not the driver cursor'),
    { sqlite: false, postgresql: true, mysql: true, mariadb: false, oracle: true, tibero: true },
    (dialect, expected) => assert.equal(dialect.reliableCursorFetch, expected),
  );
});
