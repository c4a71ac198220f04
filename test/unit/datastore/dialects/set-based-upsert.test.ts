import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MariadbDialect } from '../../../../src/datastore/dialects/mariadb';
import { MysqlDialect } from '../../../../src/datastore/dialects/mysql';
import { PostgresqlDialect } from '../../../../src/datastore/dialects/postgresql';
import type { ColumnDefinition, SqlValue, UpsertSpec } from '../../../../src/datastore/types';
import { createDialect } from '../../../support/sql-table';
import { compileValuesUpsert } from '../../../support/values-upsert';
import { AWKWARD_TEXTS } from '../../../support/awkward-values';

/**
 * The set-based UPSERT forms (issue 6): PostgreSQL's one array literal per column, unnested, and
 * MySQL/MariaDB's one JSON document read by JSON_TABLE. Their SQL shape is in upsert.test.ts; here,
 * what the parameters carry: escaping, exact numbers, chunking by rows and by size. The integration
 * tests (test/integration/upsert/) prove the databases read them back as written.
 */

const TEXT_COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'integer' },
  { name: 'label', type: 'text' },
];

function textSpec(values: readonly (string | null)[]): UpsertSpec {
  return { table: 't', keyColumns: ['id'], columns: TEXT_COLUMNS, rows: values.map((label, id) => ({ id, label })) };
}

/** A reading of a PostgreSQL one-dimensional array literal, as array_in does it: quoted elements, bare NULL. */
function parsePostgresqlArray(literal: string): (string | null)[] {
  assert.ok(literal.startsWith('{') && literal.endsWith('}'), literal.slice(0, 40));
  const elements: (string | null)[] = [];
  let index = 1;
  while (index < literal.length - 1) {
    if (literal[index] === '"') {
      let text = '';
      index++;
      while (literal[index] !== '"') {
        if (literal[index] === '\\') index++;
        text += literal[index++];
      }
      elements.push(text);
      index++;
    } else {
      const end = !literal.includes(',', index) ? literal.length - 1 : literal.indexOf(',', index);
      const bare = literal.slice(index, end);
      elements.push(bare === 'NULL' ? null : bare);
      index = end;
    }
    if (literal[index] === ',') index++;
  }
  return elements;
}

describe('set-based UPSERT parameters', () => {
  describe('PostgreSQL: one array literal per column', () => {
    const dialect = new PostgresqlDialect();

    it('every awkward text, and NULL beside the text "NULL", reads back from the literal as written', () => {
      const values = [...AWKWARD_TEXTS, null];
      const [statement] = dialect.compileUpsert(textSpec(values));
      assert.deepEqual(parsePostgresqlArray(String(statement!.parameters[1])), values);
    });

    it('quotes every text element and escapes only " and \\', () => {
      const [statement] = dialect.compileUpsert(textSpec(['a"b', 'c\\d', '', 'NULL', null, ' x ']));
      assert.equal(statement!.parameters[1], String.raw`{"a\"b","c\\d","","NULL",NULL," x "}`);
    });

    it('doubles, integers and bigints are written bare and exact (−0 as 0); dates as UTC text; booleans as 1/0', () => {
      const columns: ColumnDefinition[] = [
        { name: 'id', type: 'integer' },
        { name: 'distance', type: 'double' },
        { name: 'big', type: 'bigint' },
        { name: 'at', type: 'timestamp' },
        { name: 'flag', type: 'boolean' },
      ];
      const rows: Record<string, SqlValue>[] = [
        { id: 1, distance: -0, big: 9007199254740993n, at: new Date(Date.UTC(2026, 10, 26, 9, 30, 15, 250)), flag: true },
        { id: 2, distance: 5e-324, big: '-9223372036854775808', at: '2024-05-01 09:30:00.000', flag: false },
        { id: 3, distance: 1.7976931348623157e308, big: null, at: null, flag: null },
      ];
      const [statement] = dialect.compileUpsert({ table: 't', keyColumns: ['id'], columns, rows });
      assert.deepEqual(statement!.parameters, [
        '{1,2,3}',
        '{0,5e-324,1.7976931348623157e+308}',
        '{9007199254740993,"-9223372036854775808",NULL}',
        '{"2026-11-26 09:30:15.250","2024-05-01 09:30:00.000",NULL}',
        '{"1","0",NULL}',
      ]);
    });

    it('a batch of 125,000 rows goes in three statements of at most 50,000 rows, six parameters each, rows in order', () => {
      const rows = Array.from({ length: 125_000 }, (_, id) => ({ id, label: `row ${id}` }));
      const statements = dialect.compileUpsert({ table: 't', keyColumns: ['id'], columns: TEXT_COLUMNS, rows });
      assert.deepEqual(
        statements.map((statement) => parsePostgresqlArray(String(statement.parameters[0])).length),
        [50_000, 50_000, 25_000],
      );
      for (const statement of statements) assert.equal(statement.parameters.length, 2);
      const labels = statements.flatMap((statement) => parsePostgresqlArray(String(statement.parameters[1])));
      assert.deepEqual(
        labels,
        rows.map((row) => row.label),
      );
    });

    it('a statement carries at most maxArrayTextPerStatement characters; a row longer than that goes alone', () => {
      const small = new (class extends PostgresqlDialect {
        override readonly maxArrayTextPerStatement = 40;
      })();
      // Each row is `n,` (2–3 characters) plus `"xxxxxxxxxx",` (13): 15 or 16 characters.
      const labels = ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(10), 'y'.repeat(100), 'x'.repeat(10)];
      const statements = small.compileUpsert(textSpec(labels));
      assert.deepEqual(
        statements.map((statement) => parsePostgresqlArray(String(statement.parameters[1]))),
        [[labels[0], labels[1]], [labels[2]], [labels[3]], [labels[4]]],
      );
    });

    it('refuses NaN, Infinity and invalid dates (BAD_USER_INPUT) and binary values (DIALECT_UNSUPPORTED), naming the parameter', () => {
      const columns: ColumnDefinition[] = [
        { name: 'id', type: 'integer' },
        { name: 'value', type: 'double' },
      ];
      const spec = (value: SqlValue): UpsertSpec => ({
        table: 't',
        keyColumns: ['id'],
        columns,
        rows: [
          { id: 1, value: 1 },
          { id: 2, value },
        ],
      });
      assert.throws(() => dialect.compileUpsert(spec(Number.NaN)), { code: 'BAD_USER_INPUT', message: /Parameter 4 is NaN/ });
      assert.throws(() => dialect.compileUpsert(spec(-Infinity)), { code: 'BAD_USER_INPUT', message: /Parameter 4 is -Infinity/ });
      assert.throws(() => dialect.compileUpsert(spec(new Date(Number.NaN))), { code: 'BAD_USER_INPUT', message: /Parameter 4 is an invalid date/ });
      assert.throws(() => dialect.compileUpsert(spec(Buffer.from('x'))), { code: 'DIALECT_UNSUPPORTED', message: /Parameter 4 is binary/ });
    });
  });

  describe('MySQL / MariaDB: one JSON document read by JSON_TABLE', () => {
    const dialect = new MysqlDialect();

    it('every awkward text, and null beside the text "null", reads back from the JSON as written', () => {
      const values = [...AWKWARD_TEXTS, null];
      const [statement] = dialect.compileUpsert(textSpec(values));
      assert.deepEqual(
        JSON.parse(String(statement!.parameters[0])),
        values.map((label, id) => [id, label]),
      );
    });

    it('numbers are written bare and exact; dates as UTC text; booleans as 1/0', () => {
      const columns: ColumnDefinition[] = [
        { name: 'id', type: 'integer' },
        { name: 'distance', type: 'double' },
        { name: 'at', type: 'timestamp' },
        { name: 'flag', type: 'boolean' },
      ];
      const rows: Record<string, SqlValue>[] = [
        { id: 1, distance: 5e-324, at: new Date(Date.UTC(2026, 10, 26, 9, 30, 15, 250)), flag: true },
        { id: 9007199254740993n, distance: 1e21, at: null, flag: false },
      ];
      const [statement] = dialect.compileUpsert({ table: 't', keyColumns: ['id'], columns, rows });
      assert.equal(statement!.parameters[0], '[[1,5e-324,"2026-11-26 09:30:15.250",1],[9007199254740993,1e+21,null,0]]');
    });

    it('-0 goes into the JSON document as 0', () => {
      const rows = [
        { id: 1, label: 'a', score: 1.5 },
        { id: 2, label: 'b', score: -0 },
      ];
      const columns: ColumnDefinition[] = [...TEXT_COLUMNS, { name: 'score', type: 'double' }];
      const [statement] = dialect.compileUpsert({ table: 't', keyColumns: ['id'], columns, rows });
      assert.match(String(statement!.parameters[0]), /\[2,"b",0\]/);
    });

    it('a chunk holds at most maxJsonBytesPerStatement bytes of JSON counted in UTF-8, so Korean text splits sooner than ASCII', () => {
      const small = new (class extends MysqlDialect {
        override readonly maxJsonBytesPerStatement = 100;
      })();
      // A row `[n,"…"]` and its comma: with 10 ASCII characters 17–18 bytes; with 10 Hangul syllables (3 bytes each) 37–38.
      const chunkSizes = (label: string) =>
        small
          .compileUpsert(textSpec(Array.from({ length: 12 }, () => label)))
          .map((statement) => (JSON.parse(String(statement.parameters[0])) as unknown[]).length);
      assert.deepEqual(chunkSizes('x'.repeat(10)), [5, 5, 2]);
      assert.deepEqual(chunkSizes('가'.repeat(10)), [2, 2, 2, 2, 2, 2]);
    });

    it('a batch of 125,000 rows goes in three statements of at most 50,000 rows, one parameter each, rows in order', () => {
      const rows = Array.from({ length: 125_000 }, (_, id) => ({ id, label: `row ${id}` }));
      const statements = dialect.compileUpsert({ table: 't', keyColumns: ['id'], columns: TEXT_COLUMNS, rows });
      const chunks = statements.map((statement) => JSON.parse(String(statement.parameters[0])) as [number, string][]);
      assert.deepEqual(
        chunks.map((chunk) => chunk.length),
        [50_000, 50_000, 25_000],
      );
      assert.deepEqual(
        chunks.flat(),
        rows.map((row) => [row.id, row.label]),
      );
    });
  });

  describe('which form a dialect compiles', () => {
    const mariadbSql = (version?: string) => new MariadbDialect(version).compileUpsert(textSpec(['a']))[0]!.sql;

    for (const version of ['10.11.19-MariaDB-0+deb12u1', '10.6.0-MariaDB', '11.4.2-MariaDB', '8.0.4', '8.0.19']) {
      it(`MariaDB's dialect on ${version}: JSON_TABLE, taking the new values with VALUES()`, () => {
        assert.match(mariadbSql(version), /FROM JSON_TABLE\(\?, '\$\[\*\]' COLUMNS .* ON DUPLICATE KEY UPDATE `t`.`label` = VALUES\(`label`\)$/);
      });
    }

    for (const version of [undefined, '10.5.23-MariaDB', '10.4.1-MariaDB-log', '5.7.44', '8.0.3', 'unknown']) {
      it(`MariaDB's dialect on ${version ?? 'an unknown version'}: multi-row VALUES (no JSON_TABLE)`, () => {
        assert.equal(mariadbSql(version), 'INSERT INTO `t` (`id`, `label`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `label` = VALUES(`label`)');
      });
    }

    for (const variant of ['sqlite', 'oracle', 'tibero', 'mariadb'] as const) {
      it(`${variant}${variant === 'mariadb' ? ' (no version)' : ''}: compileUpsert is the multi-row VALUES form`, () => {
        const dialect = createDialect(variant);
        const spec: UpsertSpec = textSpec(Array.from({ length: 2_500 }, (_, id) => `label ${id}`));
        assert.deepEqual(dialect.compileUpsert(spec), compileValuesUpsert(dialect, spec));
      });
    }
  });
});

describe('PostgreSQL columnArraysSources (a run publishing its outcomes from memory)', () => {
  const columns: readonly ColumnDefinition[] = [
    { name: 'dataset_id', type: 'string' },
    { name: 'entity_key', type: 'string' },
    { name: 'cluster', type: 'integer' },
    { name: 'distance', type: 'double' },
    { name: 'scored_at', type: 'timestamp' },
  ];
  const keys = [...AWKWARD_TEXTS, 'NULL', '{a,b}', 'x"y\\z'];
  const rows = {
    count: keys.length,
    value: (row: number, column: string): SqlValue =>
      column === 'entity_key' ? keys[row]! : column === 'cluster' ? row - 2 : [-0, 5e-324, 1.7976931348623157e308][row % 3]!,
  };
  const scoredAt = new Date('2026-12-04T01:02:03.004Z');

  it('binds the shared values once, typed, and every other column as one exact array in column order; batches by rows', () => {
    const dialect = Object.assign(new PostgresqlDialect('PostgreSQL 15.18'), { maxRowsPerArraySource: 4 });
    const sources = [...dialect.columnArraysSources(columns, { dataset_id: 'ds', scored_at: scoredAt }, rows)];
    assert.equal(sources.length, Math.ceil(keys.length / 4));
    assert.equal(
      sources[0]!.sql,
      'SELECT CAST(? AS text) AS "dataset_id", u."entity_key" AS "entity_key", u."cluster" AS "cluster", u."distance" AS "distance", ' +
        'CAST(? AS timestamp) AS "scored_at" FROM unnest(CAST(? AS text[]), CAST(? AS integer[]), CAST(? AS double precision[])) ' +
        'AS u("entity_key", "cluster", "distance") WHERE true',
    );
    assert.deepEqual(sources[0]!.parameters.slice(0, 2), ['ds', scoredAt]);
    const read = sources.flatMap((source) => parsePostgresqlArray(String(source.parameters[2])));
    assert.deepEqual(read, keys);
    const clusters = sources.flatMap((source) => parsePostgresqlArray(String(source.parameters[3])));
    assert.deepEqual(
      clusters.map(Number),
      keys.map((_, row) => row - 2),
    );
    const distances = sources.flatMap((source) => parsePostgresqlArray(String(source.parameters[4])));
    assert.deepEqual(
      distances.map(Number),
      keys.map((_, row) => Math.abs([-0, 5e-324, 1.7976931348623157e308][row % 3]!)),
    );
  });

  it('as a source of an UPSERT from a SELECT it takes the lock but keeps nested loops (no statistics to go stale)', () => {
    const dialect = new PostgresqlDialect('PostgreSQL 15.18');
    const [source] = dialect.columnArraysSources(columns, { dataset_id: 'ds', scored_at: scoredAt }, rows);
    const statements = dialect.compileUpsertFromSelect({ table: 'outcome', keyColumns: ['dataset_id', 'entity_key'], columns }, source!, true);
    assert.deepEqual(
      statements.slice(0, -1).map((statement) => statement.sql),
      ['LOCK TABLE "outcome" IN SHARE ROW EXCLUSIVE MODE'],
    );
    assert.match(statements.at(-1)!.sql, /^MERGE INTO "outcome" AS t USING \(SELECT CAST/);
  });
});
