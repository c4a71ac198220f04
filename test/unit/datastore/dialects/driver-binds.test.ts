import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8Chunks } from '../../../../src/datastore/dialects/oracle-binds';
import type { SqlValue } from '../../../../src/datastore/types';
import { itForEveryDialect, itPerDialect } from '../../../support/sql-table';

/** What the datastore hands the driver (SqlDialect.driverStatement): the C type follows the JS type. */
describe('values as the driver is handed them', () => {
  const at = new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 123));
  const values: SqlValue[] = [0, -0, 7, -7, 3, 2 ** 60, 1e21, Number.MAX_VALUE, 9_007_199_254_740_993n, true, false, 0.5, -1e-300, 'text', '12', at, null];
  const asBound = [0, 0, 7, -7, 3, 2 ** 60, 1e21, Number.MAX_VALUE, 9_007_199_254_740_993n, 1, 0, 0.5, -1e-300, 'text', '12', '2024-02-29 23:59:58.123', null];
  // No whole number and no BigInt: node-odbc would bind it as SQL_C_SBIGINT, which Oracle's driver refuses.
  const asText = [
    '0',
    '0',
    '7',
    '-7',
    '3',
    '1152921504606846976',
    '1e+21',
    '1.7976931348623157e+308',
    '9007199254740993',
    '1',
    '0',
    0.5,
    -1e-300,
    'text',
    '12',
    '2024-02-29 23:59:58.123',
    null,
  ];
  const sql = values.map(() => '?').join(', ');

  itPerDialect(
    (expected) =>
      expected === asText ? 'whole numbers, BigInts and booleans go as their exact decimal text; fractions stay doubles' : 'values go as values.ts binds them',
    { sqlite: asBound, postgresql: asBound, mysql: asBound, mariadb: asBound, oracle: asText, tibero: asText },
    (dialect, expected) => {
      assert.deepEqual(dialect.driverStatement({ sql, parameters: values, kind: 'select' }), { sql, parameters: expected });
    },
  );

  itForEveryDialect('each whole number bound as text reads back as the same number', (dialect) => {
    const { parameters } = dialect.driverStatement({ sql, parameters: values, kind: 'select' });
    parameters.forEach((bound, index) => {
      if (typeof bound === 'string' && typeof values[index] === 'number') assert.ok(Object.is(Number(bound), Object.is(values[index], -0) ? 0 : values[index]));
    });
  });
});

describe('long text inside an expression on the Oracle family', () => {
  const long = `${'한'.repeat(1_500)}${'a'.repeat(2_999)}😀${'b'.repeat(5_000)}`; // 4,500 + 2,999 + 4 + 5,000 bytes
  const sql = `INSERT INTO "T" ("ID", "NOTE", "BODY") VALUES (CAST(? AS NUMBER), 'TO_CLOB(?) stays', TO_CLOB(?))`;
  const chunked = `INSERT INTO "T" ("ID", "NOTE", "BODY") VALUES (CAST(? AS NUMBER), 'TO_CLOB(?) stays', (TO_CLOB(?) || TO_CLOB(?) || TO_CLOB(?) || TO_CLOB(?)))`;

  itPerDialect(
    (expected) =>
      expected === chunked
        ? 'a TO_CLOB(?) value over 4,000 bytes goes as TO_CLOB(?) || TO_CLOB(?) …, chunks of at most 4,000 bytes'
        : 'the SQL is sent as written',
    { sqlite: sql, postgresql: sql, mysql: sql, mariadb: sql, oracle: chunked, tibero: chunked },
    (dialect, expected) => {
      const bound = dialect.driverStatement({ sql, parameters: [1, long], kind: 'insert' });
      assert.equal(bound.sql, expected);
      const [, ...texts] = bound.parameters as string[];
      assert.equal(texts.join(''), long);
      if (expected === chunked)
        assert.deepEqual(
          texts.map((text) => Buffer.byteLength(text)),
          [3_999, 4_000, 4_000, 504],
        );
    },
  );

  itForEveryDialect('a value of exactly 4,000 bytes, and a long one bound directly (not in TO_CLOB), are sent as they are', (dialect) => {
    const direct = `UPDATE "T" SET "BODY" = ?, "NOTE" = TO_CLOB(?) WHERE "ID" = ?`;
    const parameters = [long, '한'.repeat(1_333) + 'a', 'x'];
    assert.deepEqual(dialect.driverStatement({ sql: direct, parameters, kind: 'update' }), { sql: direct, parameters });
  });

  it('utf8Chunks never splits a surrogate pair, and counts a lone surrogate as the 3 bytes it is written as', () => {
    assert.deepEqual(utf8Chunks(`${'a'.repeat(3_998)}😀b`, 4_000), ['a'.repeat(3_998), '😀b']);
    assert.deepEqual(utf8Chunks(`${'a'.repeat(3_996)}😀b`, 4_000), [`${'a'.repeat(3_996)}😀`, 'b']);
    assert.deepEqual(utf8Chunks(`${'a'.repeat(3_998)}\ud800b`, 4_000), ['a'.repeat(3_998), '\ud800b']);
    assert.deepEqual(utf8Chunks('', 4_000), ['']);
  });
});
