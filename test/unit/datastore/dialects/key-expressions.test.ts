import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { itPerDialect } from '../../../support/sql-table';

/** The expressions the dataset key checks are built from (DatasetTableRepository.keyViolations). */
describe('key check expressions', () => {
  const ansiFraction = 'MOD(EXTRACT(SECOND FROM CAST(ts AS TIMESTAMP)) * 1000, 1) <> 0';
  itPerDialect(
    (expected) => `a timestamp finer than a millisecond: ${expected}`,
    {
      sqlite: "(typeof(ts) = 'text' AND instr(ts, '.') > 0 AND ltrim(substr(ts, instr(ts, '.') + 4), '0') GLOB '[1-9]*')",
      postgresql: ansiFraction,
      mysql: 'MICROSECOND(ts) % 1000 <> 0',
      mariadb: 'MICROSECOND(ts) % 1000 <> 0',
      oracle: ansiFraction,
      tibero: ansiFraction,
    },
    (dialect, expected) => assert.equal(dialect.subMillisecondSql('ts'), expected),
  );

  itPerDialect(
    (expected) => `characters of a text, as VARCHAR(n) counts them, and a tab: ${expected.join(', ')}`,
    {
      sqlite: ['LENGTH(x)', 'char(9)', 'CAST(x AS VARCHAR(4000))'],
      postgresql: ['CHAR_LENGTH(x)', 'CHR(9)', 'CAST(x AS VARCHAR(4000))'],
      mysql: ['CHAR_LENGTH(x)', 'CHAR(9 USING utf8mb4)', 'CAST(x AS CHAR)'],
      mariadb: ['CHAR_LENGTH(x)', 'CHAR(9 USING utf8mb4)', 'CAST(x AS CHAR)'],
      oracle: ['COALESCE(LENGTH(x), 0)', 'CHR(9)', 'CAST(x AS VARCHAR(4000))'],
      tibero: ['COALESCE(LENGTH(x), 0)', 'CHR(9)', 'CAST(x AS VARCHAR(4000))'],
    },
    (dialect, expected) => assert.deepEqual([dialect.characterLengthSql('x'), dialect.characterSql(9), dialect.castToText('x')], expected),
  );

  itPerDialect(
    'timestamp types are the ones named TIMESTAMP or DATETIME',
    { sqlite: true, postgresql: true, mysql: true, mariadb: true, oracle: true, tibero: true },
    (dialect) =>
      assert.deepEqual(
        ['TIMESTAMP', 'timestamp without time zone', 'TIMESTAMP(6) WITH TIME ZONE', 'DATETIME', 'datetime(6)', 'DATE', 'VARCHAR', 'INTEGER'].map((type) =>
          dialect.isTimestampType(type),
        ),
        [true, true, true, true, true, false, false, false],
      ),
  );
});
