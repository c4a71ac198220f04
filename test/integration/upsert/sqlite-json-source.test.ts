import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { SqliteDialect } from '../../../src/datastore/dialects/sqlite';
import { doubleParts } from '../../../src/datastore/values';
import type { ColumnDefinition, SqlValue } from '../../../src/datastore/types';
import { SeededRandom } from '../../../src/shared/seeded-random';
import { randomBitDouble } from '../../support/awkward-values';
import { openDatastore, select, sqliteDatabase } from '../../support/databases';

/**
 * SQLite's columnArraysSources carries each batch's per-row texts in one JSON parameter (json_each) and
 * its numbers in one blob of fixed-width fields, a double as an integer mantissa and a power of two.
 * Stored values must be the very values binding
 * them stores: the same rows are UPSERTed once through the JSON form and once through bound parameters
 * (the form without JSON), and SQL compares the two tables value by value with IS, which compares
 * doubles bit for bit (SQLite's ODBC driver reads a REAL back with 15 digits only, so reading them
 * back could not tell). NULLs in every per-row column, extreme and random doubles, hostile text.
 */
const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'set_id', type: 'string', length: 64, nullable: false },
  { name: 'k', type: 'string', length: 512, nullable: false },
  { name: 'n', type: 'integer' },
  { name: 'd', type: 'double' },
  { name: 't', type: 'text' },
];
const KEY = ['set_id', 'k'];
// An outcome table's shape: one text column, so json_each's value is the text itself, and NOT NULL numbers.
const ONE_TEXT: readonly ColumnDefinition[] = [
  { name: 'set_id', type: 'string', length: 64, nullable: false },
  { name: 'k', type: 'string', length: 512, nullable: false },
  { name: 'n', type: 'integer', nullable: false },
  { name: 'd', type: 'double', nullable: false },
];
// No text column: json_each walks an array of zeros.
const NO_TEXT: readonly ColumnDefinition[] = [
  { name: 'set_id', type: 'string', length: 64, nullable: false },
  { name: 'k', type: 'integer', nullable: false },
  { name: 'n', type: 'bigint' },
  { name: 'd', type: 'double' },
];
const SHAPES = { wide: COLUMNS, one_text: ONE_TEXT, no_text: NO_TEXT } as const;

const EXTREMES = [
  0,
  -0,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2 * Number.MIN_VALUE,
  2 ** -1022,
  2 ** -1022 - Number.MIN_VALUE,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  1 + Number.EPSILON,
  1 - Number.EPSILON / 2,
  0.1,
  1 / 3,
  2 ** 53,
  2 ** 53 + 2,
  123456789.12345679,
  1e-300,
  1e300,
];
const TEXTS = [
  '',
  'é',
  '日本語',
  '😀',
  '\uD800',
  'a\uDC00b',
  '\uDBFF\uDFFF',
  'quote " and \\ and \n',
  '\u0001\u001f\u007f',
  '\uFFFF',
  'x'.repeat(300),
  '0',
  ' ',
];

/** Row i of the comparison: a key, and NULLs, extremes, random bit patterns and hostile text in turn. */
function rowsOf(count: number): Record<string, SqlValue>[] {
  const random = new SeededRandom(20_261_204);
  const randomDouble = () => randomBitDouble(random);
  return Array.from({ length: count }, (_, i) => ({
    k: `${TEXTS[i % TEXTS.length]}#${i}`,
    n: i % 7 === 0 ? null : i % 5 === 0 ? Number.MAX_SAFE_INTEGER - i : i % 3 === 0 ? -(2 ** 31) - i : i,
    d: i % 11 === 0 ? null : i < EXTREMES.length ? EXTREMES[i]! : randomDouble(),
    t: i % 13 === 0 ? null : `${TEXTS[(i * 7) % TEXTS.length]}${i}`,
  }));
}

describe('SQLite: the JSON and blob form of a column-wise UPSERT stores what binding stores', () => {
  let datastore: Datastore;
  let dialect: SqliteDialect;

  before(async () => {
    datastore = (await openDatastore(sqliteDatabase())).datastore;
    dialect = datastore.dialect as SqliteDialect;
    for (const [shape, columns] of Object.entries(SHAPES)) {
      for (const table of ['via_json', 'via_binds']) {
        await datastore.execute(dialect.compileCreateTable({ name: shape === 'wide' ? table : `${table}_${shape}`, columns, primaryKey: KEY }));
      }
    }
  });
  after(() => datastore?.close());

  /** UPSERTs `rows` (set_id shared) into `table` through `through`'s columnArraysSources, in one transaction. */
  async function upsert(
    through: SqliteDialect,
    table: string,
    setId: string,
    rows: readonly Record<string, SqlValue>[],
    columns: readonly ColumnDefinition[] = COLUMNS,
  ): Promise<number> {
    const sources = [...through.columnArraysSources(columns, { set_id: setId }, { count: rows.length, value: (row, column) => rows[row]![column] ?? null })];
    await datastore.transaction(async (transaction) => {
      for (const source of sources) {
        for (const statement of dialect.compileUpsertFromSelect({ table, keyColumns: KEY, columns }, source, true)) await transaction.execute(statement);
      }
    });
    return sources.filter((source) => source.sql.includes('json_each')).length;
  }

  /** Per-column differences between via_json and via_binds (of a shape: `_one_text`, `_no_text`), row by row with IS. */
  async function differences(setId: string, suffix = ''): Promise<Record<string, unknown>> {
    const [json, binds] = [`via_json${suffix}`, `via_binds${suffix}`];
    const t = suffix === '' ? 'SUM(j.t IS NOT b.t)' : '0';
    const [row] = await datastore.query(
      select(
        `SELECT (SELECT COUNT(*) FROM ${json} WHERE set_id = ?) AS json_rows, (SELECT COUNT(*) FROM ${binds} WHERE set_id = ?) AS bound_rows, ` +
          'COUNT(b.k) AS matched, SUM(j.n IS NOT b.n) AS n_differ, SUM(j.d IS NOT b.d) AS d_differ, SUM(typeof(j.d) IS NOT typeof(b.d)) AS d_type_differ, ' +
          `${t} AS t_differ FROM ${json} j LEFT JOIN ${binds} b ON b.set_id = j.set_id AND b.k = j.k WHERE j.set_id = ?`,
        [setId, setId, setId],
      ),
    );
    return Object.fromEntries(Object.entries(row!).map(([name, value]) => [name, Number(value)]));
  }

  /** What differences() reads when both tables hold `rows` rows of the set with the same values. */
  const sameValues = (rows: number) => ({ json_rows: rows, bound_rows: rows, matched: rows, n_differ: 0, d_differ: 0, d_type_differ: 0, t_differ: 0 });

  it('this SQLite has JSON and the math functions, so the JSON form is the one a run takes', () => {
    assert.equal(dialect.readsJsonWithMath, true);
  });

  it('12,000 rows inserted, then every one updated: the two tables hold the same values, bit for bit', async () => {
    const rows = rowsOf(12_000);
    const jsonStatements = await upsert(dialect, 'via_json', 'a', rows);
    assert.ok(jsonStatements > 0, 'the JSON form ran');
    await upsert(new SqliteDialect(), 'via_binds', 'a', rows);
    assert.deepEqual(await differences('a'), sameValues(12_000));

    const changed = rows.map((row, i) => ({ ...row, n: i % 2 === 0 ? null : 1, d: i % 3 === 0 ? -Number.MIN_VALUE : (row.d as number | null), t: 'changed' }));
    await upsert(dialect, 'via_json', 'a', changed);
    await upsert(new SqliteDialect(), 'via_binds', 'a', changed);
    assert.deepEqual(await differences('a'), sameValues(12_000));
  });

  it('a batch holding a value the JSON form does not carry (an integer past 2^53, a number in a text column) is bound instead, the others still go as JSON', async () => {
    const rows = rowsOf(110_000);
    rows[60_000] = { ...rows[60_000]!, n: 2 ** 60 };
    rows[100_000] = { ...rows[100_000]!, t: 12_345 };
    const jsonStatements = await upsert(dialect, 'via_json', 'b', rows);
    assert.equal(jsonStatements, 1, 'of the three batches of 50,000 rows, the first as JSON, the two holding those values bound');
    await upsert(new SqliteDialect(), 'via_binds', 'b', rows);
    assert.deepEqual(await differences('b'), sameValues(110_000));
  });

  it("an outcome table's shape (one text column, NOT NULL numbers) and a shape with no text column: the same values, bit for bit", async () => {
    const rows = rowsOf(12_000);
    const outcomes = rows.map((row, i): Record<string, SqlValue> => ({ k: row.k!, n: row.n ?? -i, d: row.d ?? i / 7 }));
    assert.ok((await upsert(dialect, 'via_json_one_text', 'e', outcomes, ONE_TEXT)) > 0, 'the JSON form ran');
    await upsert(new SqliteDialect(), 'via_binds_one_text', 'e', outcomes, ONE_TEXT);
    assert.deepEqual(await differences('e', '_one_text'), sameValues(12_000));

    const numbered = rows.map((row, i): Record<string, SqlValue> => ({ k: i - 6_000, n: row.n ?? null, d: row.d ?? null }));
    assert.ok((await upsert(dialect, 'via_json_no_text', 'f', numbered, NO_TEXT)) > 0, 'the JSON form ran');
    await upsert(new SqliteDialect(), 'via_binds_no_text', 'f', numbered, NO_TEXT);
    assert.deepEqual(await differences('f', '_no_text'), sameValues(12_000));
  });

  it('NULL in a NOT NULL column is bound, and refused as binding it is refused: nothing of the UPSERT is stored', async () => {
    const outcomes = rowsOf(3_000).map((row, i): Record<string, SqlValue> => ({ k: row.k!, n: i === 2_500 ? null : i, d: i / 3 }));
    const sources = [
      ...dialect.columnArraysSources(ONE_TEXT, { set_id: 'g' }, { count: outcomes.length, value: (row, column) => outcomes[row]![column] ?? null }),
    ];
    assert.ok(!sources.some((source) => source.sql.includes('json_each')), 'the batch holding the NULL is bound');
    await assert.rejects(upsert(dialect, 'via_json_one_text', 'g', outcomes, ONE_TEXT), /NOT NULL|constraint/i);
    const [count] = await datastore.query(select('SELECT COUNT(*) AS c FROM via_json_one_text WHERE set_id = ?', ['g']));
    assert.equal(Number(count!.c), 0);
  });

  it('a double that is not finite is refused as binding refuses it, and nothing of the UPSERT is stored', async () => {
    const rows = rowsOf(60_000);
    rows[55_000] = { ...rows[55_000]!, d: Number.NaN };
    await assert.rejects(upsert(dialect, 'via_json', 'c', rows), /Parameter \d+ is NaN; only finite numbers can be stored/);
    const [count] = await datastore.query(select('SELECT COUNT(*) AS c FROM via_json WHERE set_id = ?', ['c']));
    assert.equal(Number(count!.c), 0);
  });

  it('doubleParts gives m and e with m × 2^e the double exactly, m odd or 0, |m| < 2^53', () => {
    for (const value of [...EXTREMES, -1.5, 3, 2 ** -1074 * 3, 6.02214076e23]) {
      const [m, e] = doubleParts(value);
      assert.ok(Number.isSafeInteger(m) && (m === 0 || m % 2 !== 0), `${value}: ${m}`);
      // m × 2^e in two steps so that neither overflows or underflows before the end.
      const half = Math.trunc(e / 2);
      assert.equal(m * 2 ** half * 2 ** (e - half), value === 0 ? 0 : value, `${value}`);
    }
  });
});
