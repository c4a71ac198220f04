import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Executor } from '../../../../src/datastore/contracts';
import type { DialectVariant, SqlDialect } from '../../../../src/datastore/dialects/dialect';
import type { Row, Statement } from '../../../../src/datastore/types';
import { DatasetTableRepository } from '../../../../src/modules/dataset/dataset-table.repository';
import { createDialect, DIALECT_VARIANTS, type ExpectedSql, backquoted } from '../../../support/sql-table';

/** An executor that records the statements it is given and answers each query with `rows`. */
function recordingExecutor(dialect: SqlDialect, rows: Row[] = []): Executor & { statements: Statement[] } {
  const statements: Statement[] = [];
  return {
    dialect,
    statements,
    query: (statement) => {
      statements.push(statement);
      return Promise.resolve(rows);
    },
    execute: () => Promise.reject(new Error('the repository only reads')),
  };
}

/** Runs `call` on a repository over a recording executor and returns the one statement it sent. */
async function sentStatement(dialect: SqlDialect, call: (repository: DatasetTableRepository) => Promise<unknown>): Promise<ExpectedSql> {
  const executor = recordingExecutor(dialect);
  await call(new DatasetTableRepository(executor));
  assert.equal(executor.statements.length, 1, 'one statement');
  const [{ sql, parameters, kind }] = executor.statements as [Statement];
  assert.equal(kind, 'select');
  return { sql, parameters };
}

/** itPerDialect (test/support/sql-table.ts) for a check that awaits: each `it()` returns the check's promise. */
function itPerDialectAwaiting(
  scenario: string,
  expected: Record<DialectVariant, ExpectedSql>,
  check: (dialect: SqlDialect, expected: ExpectedSql) => Promise<void>,
): void {
  for (const variant of DIALECT_VARIANTS) it(`${variant}: ${scenario}`, () => check(createDialect(variant), expected[variant]));
}

/** A feature's value as a number: the column itself, on SQLite only where typeof says it is one. */
type NumberOf = (name: string) => string;
const probes = (q: (name: string) => string, number: NumberOf = q) =>
  `CASE WHEN EXISTS (SELECT 1 FROM ${q('readings')} WHERE ${number('temp')} IS NOT NULL) THEN 1 ELSE 0 END AS f0_present, ` +
  `CASE WHEN EXISTS (SELECT 1 FROM ${q('readings')} WHERE ${number('wind')} IS NOT NULL) THEN 1 ELSE 0 END AS f1_present`;
const doubleQuoted = (name: string) => `"${name}"`;
const sqliteNumber: NumberOf = (name) => `CASE WHEN typeof("${name}") IN ('integer', 'real') THEN "${name}" END`;
const backQuoted = (name: string) => `\`${name}\``;
const upperQuoted = (name: string) => `"${name.toUpperCase()}"`;

describe('DatasetTableRepository.featuresWithoutValue', () => {
  const oracle = { sql: `SELECT ${probes(upperQuoted)} FROM DUAL`, parameters: [] };
  itPerDialectAwaiting(
    'one statement of one EXISTS per feature, for a number (FROM DUAL on the Oracle family; on SQLite a value typeof calls integer or real)',
    {
      sqlite: backquoted({ sql: `SELECT ${probes(doubleQuoted, sqliteNumber)}`, parameters: [] }),
      postgresql: { sql: `SELECT ${probes(doubleQuoted)}`, parameters: [] },
      mysql: { sql: `SELECT ${probes(backQuoted)}`, parameters: [] },
      mariadb: { sql: `SELECT ${probes(backQuoted)}`, parameters: [] },
      oracle,
      tibero: oracle,
    },
    async (dialect, expected) => {
      assert.deepEqual(await sentStatement(dialect, (repository) => repository.featuresWithoutValue('readings', ['temp', 'wind'])), expected);
    },
  );

  it('names the features whose EXISTS is 0, in feature order, whatever type the driver gives the 0 and 1 as', async () => {
    const dialect = createDialect('postgresql');
    for (const row of [
      { f0_present: 1, f1_present: 0, f2_present: 0 },
      { f0_present: '1', f1_present: '0', f2_present: '0' },
      { f0_present: 1n, f1_present: 0n, f2_present: 0n },
    ]) {
      const repository = new DatasetTableRepository(recordingExecutor(dialect, [row]));
      assert.deepEqual(await repository.featuresWithoutValue('readings', ['temp', 'wind', 'rain']), ['wind', 'rain']);
    }
    const repository = new DatasetTableRepository(recordingExecutor(dialect, [{ f0_present: 1, f1_present: 1 }]));
    assert.deepEqual(await repository.featuresWithoutValue('readings', ['temp', 'wind']), []);
  });
});

describe('DatasetTableRepository.rowsUpTo', () => {
  const limited = (q: (name: string) => string, where: string, paging: string) =>
    `SELECT COUNT(*) AS row_count FROM (SELECT 1 AS present FROM ${q('readings')}${where} ${paging}) capped`;
  const complete = (q: (name: string) => string, number: NumberOf = q) => ` WHERE ${number('temp')} IS NOT NULL AND ${number('wind')} IS NOT NULL`;

  // The Oracle family caps with ROWNUM, which every Oracle and Tibero version has.
  const rownum = (where: string) =>
    `SELECT COUNT(*) AS row_count FROM (SELECT * FROM (SELECT 1 AS present FROM ${upperQuoted('readings')}${where}) WHERE ROWNUM <= CAST(? AS NUMBER)) capped`;
  const oracleComplete = { sql: rownum(complete(upperQuoted)), parameters: [4] };
  itPerDialectAwaiting(
    'complete rows only: a COUNT over the rows with a number in every feature, capped inside a derived table',
    {
      sqlite: backquoted({ sql: limited(doubleQuoted, complete(doubleQuoted, sqliteNumber), 'LIMIT ? OFFSET ?'), parameters: [4, 0] }),
      postgresql: { sql: limited(doubleQuoted, complete(doubleQuoted), 'LIMIT ? OFFSET ?'), parameters: [4, 0] },
      mysql: { sql: limited(backQuoted, complete(backQuoted), 'LIMIT ? OFFSET ?'), parameters: [4, 0] },
      mariadb: { sql: limited(backQuoted, complete(backQuoted), 'LIMIT ? OFFSET ?'), parameters: [4, 0] },
      oracle: oracleComplete,
      tibero: oracleComplete,
    },
    async (dialect, expected) => {
      assert.deepEqual(
        await sentStatement(dialect, (repository) => repository.rowsUpTo('readings', ['temp', 'wind'], { completeOnly: true, cap: 4 })),
        expected,
      );
    },
  );

  const oracleAll = { sql: rownum(''), parameters: [7] };
  itPerDialectAwaiting(
    'all rows: the same count without a WHERE',
    {
      sqlite: backquoted({ sql: limited(doubleQuoted, '', 'LIMIT ? OFFSET ?'), parameters: [7, 0] }),
      postgresql: { sql: limited(doubleQuoted, '', 'LIMIT ? OFFSET ?'), parameters: [7, 0] },
      mysql: { sql: limited(backQuoted, '', 'LIMIT ? OFFSET ?'), parameters: [7, 0] },
      mariadb: { sql: limited(backQuoted, '', 'LIMIT ? OFFSET ?'), parameters: [7, 0] },
      oracle: oracleAll,
      tibero: oracleAll,
    },
    async (dialect, expected) => {
      assert.deepEqual(
        await sentStatement(dialect, (repository) => repository.rowsUpTo('readings', ['temp', 'wind'], { completeOnly: false, cap: 7 })),
        expected,
      );
    },
  );
});

describe('DatasetTableRepository.preview', () => {
  const column = (name: string, type: string, position: number) => ({ table: 'sales', name, type, nullable: true, position });

  it('oracle: a mixed-case numeric column ("Amount", kept so by the catalog) reads as the driver reads it: quoting would upper-case its name', async () => {
    const { sql } = await sentStatement(createDialect('oracle'), (repository) =>
      repository.preview('sales', ['id'], [column('id', 'NUMBER(10)', 1), column('price', 'NUMBER(12,2)', 2), column('Amount', 'NUMBER(12,2)', 3)], {
        limit: 10,
        offset: 0,
      }),
    );
    assert.match(sql, /CAST\(t\."PRICE" AS VARCHAR\(4000\)\) AS "PREVIEW_EXACT_2"/);
    assert.doesNotMatch(sql, /AMOUNT/, 'no exact form for "Amount"');
  });

  it('sqlite: a table wider than the select limit gets exact forms only up to it (990 columns and expressions in all)', async () => {
    const columns = Array.from({ length: 1_200 }, (_, index) => column(`c${index}`, 'DOUBLE', index + 1));
    const { sql } = await sentStatement(createDialect('sqlite'), (repository) => repository.preview('wide', ['c0'], columns, { limit: 10, offset: 0 }));
    assert.equal(sql.match(/AS `preview_exact_\d+`/g)?.length ?? 0, 0, '1,200 columns: no room for one');
    const narrow = columns.slice(0, 600);
    const { sql: narrowSql } = await sentStatement(createDialect('sqlite'), (repository) =>
      repository.preview('wide', ['c0'], narrow, { limit: 10, offset: 0 }),
    );
    assert.equal(narrowSql.match(/AS `preview_exact_\d+`/g)?.length, 390);
  });
});
