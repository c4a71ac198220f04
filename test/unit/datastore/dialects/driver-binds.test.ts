import assert from 'node:assert/strict';
import { describe } from 'node:test';
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
