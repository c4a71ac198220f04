import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import type { Page } from '../../../src/datastore/dialects/dialect';
import { SqliteDialect } from '../../../src/datastore/dialects/sqlite';
import { readPackedPage, readPackedTexts } from '../../../src/datastore/packed-page';
import type { ColumnDefinition, KeyRange, OrderedRead, PackedPageStatement, SqlCondition, Statement } from '../../../src/datastore/types';
import { integerValue } from '../../../src/datastore/values';
import { SeededRandom } from '../../../src/shared/seeded-random';
import { randomBitDouble } from '../../support/awkward-values';
import { ddl, openDatastore, sqliteDatabase, type TestDatabase } from '../../support/databases';

/**
 * SQLite reads a run's dataset (one integer key, numbers) as one JSON text a page (compilePackedPage):
 * every double must come back bit for bit, where the driver's own read gives 15 digits. The doubles go
 * in through the JSON form of the UPSERT (exact: sqlite-json-source.test.ts), the odd values (text and
 * a blob in number columns, ±Infinity, integers past 2^53) through SQL; the expected values are computed
 * here, never read back. Reads where the form stops (a key that is not an integer) go on by key and are
 * compared with the driver's read of the same rows.
 */
const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'a', type: 'double' },
  { name: 'b', type: 'double' },
  { name: 'c', type: 'double' },
  { name: 'n', type: 'bigint' },
];
const ROWS = 3_000;
const PAGE = 250;
const TEXT_ROWS = 40;
const FEATURES = ['a', 'b', 'c', 'n'];
const READ: OrderedRead = { table: 'packed_points', columns: ['id', ...FEATURES], keyColumns: ['id'], numbers: FEATURES };

const EXTREMES = [
  0,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2 ** -1022,
  2 ** -1022 - Number.MIN_VALUE,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  1 + Number.EPSILON,
  0.1 + 0.2,
  1 / 3,
  1023.9999999999999,
  9.999999999999998e98,
  1e99,
  1.0000000000000001e99,
  -1.2345678901234567e150,
  2 ** 53 + 2,
  123456789.12345678,
];

function randomDoubles(count: number): number[] {
  const random = new SeededRandom(20_261_204);
  return Array.from({ length: count }, () => randomBitDouble(random));
}

/** The rows as written: a row's values run through the extremes, random bit patterns, NULLs, and a random double times 10^k. */
function pointRows(): Record<string, number | null>[] {
  const random = randomDoubles(ROWS * 3);
  const scaled = new SeededRandom(7);
  return Array.from({ length: ROWS }, (_, id) => ({
    id: id * 2 - 1_000,
    a: id < EXTREMES.length ? EXTREMES[id]! : id % 17 === 0 ? null : random[id * 3]!,
    b: id % 13 === 0 ? null : (scaled.next() - 0.5) * 10 ** ((id % 40) - 20),
    c: random[id * 3 + 2]!,
    n: id % 11 === 0 ? null : id * 1_000_003,
  }));
}

/** Values put in through SQL, and what a read must give for them: SQLite keeps text and blobs in number columns. */
const ODD_VALUES: readonly { id: number; column: string; sql: string; expected: number | null }[] = [
  { id: -998, column: 'a', sql: "'not a number'", expected: null },
  { id: -996, column: 'b', sql: "X'0102'", expected: null },
  { id: -994, column: 'c', sql: '9e999', expected: Number.POSITIVE_INFINITY },
  { id: -992, column: 'c', sql: '-9e999', expected: Number.NEGATIVE_INFINITY },
  { id: -990, column: 'n', sql: '4611686018427387904', expected: 2 ** 62 },
  { id: -988, column: 'n', sql: '9007199254740993', expected: 2 ** 53 },
  { id: -986, column: 'a', sql: "'12.5'", expected: 12.5 },
];

/**
 * SQLite's dialect counting its packed pages (and those of several texts) and the driver's pages; with
 * `textCharacters`, a text holds that many characters (a page of PAGE rows then comes as several).
 */
function recordingDialect(serverVersion: string, textCharacters?: number): SqliteDialect & { packedPages: number; splitPages: number; pages: Page[] } {
  return new (class extends SqliteDialect {
    packedPages = 0;
    splitPages = 0;
    readonly pages: Page[] = [];
    override readonly packedPageMaxCharacters: number = textCharacters ?? new SqliteDialect().packedPageMaxCharacters;
    override compilePackedPage(read: OrderedRead, conditions: readonly SqlCondition[], limit: number): PackedPageStatement | undefined {
      const statement = super.compilePackedPage(read, conditions, limit);
      // Counts every call: streamOrdered asks once before its pages whether the form fits.
      if (statement) this.packedPages++;
      if (statement?.sql.includes(' OFFSET ')) this.splitPages++;
      return statement;
    }
    override paginate(statement: Statement, page: Page): Statement {
      this.pages.push(page);
      return super.paginate(statement, page);
    }
  })(serverVersion);
}

async function readAll(datastore: Datastore, read: OrderedRead, range?: KeyRange): Promise<{ rows: unknown[][]; batches: number; nonNumbers: number[] }> {
  const rows: unknown[][] = [];
  const nonNumbers = read.columns.map(() => 0);
  let batches = 0;
  const count = await datastore.streamOrdered(
    read,
    PAGE,
    (batch) => {
      batches++;
      // The next page's statement may run while a batch is handed over, never beside another (pool of 4;
      // sampled at each batch, so a short overlap between two fast statements can pass unseen).
      const inUse = datastore.state().pool.inUse;
      assert.ok(inUse <= 1, `${inUse} connections in use while a batch is handed over`);
      batch.nonNumbers?.forEach((count, column) => (nonNumbers[column]! += count));
      for (let row = 0; row < batch.length; row++) rows.push(read.columns.map((_, column) => batch.value(row, column)));
    },
    range,
  );
  assert.equal(count, rows.length, 'streamOrdered counts the rows it delivered');
  return { rows, batches, nonNumbers };
}

function sameValue(actual: unknown, expected: unknown): boolean {
  return Object.is(actual, expected) || (actual === 0 && expected === 0);
}

describe('SQLite reads a dataset page by page as packed text, every double exact', () => {
  let database: TestDatabase;
  let datastore: Datastore;
  // Pages of PAGE rows, as texts of 40 rows (SQLite's pages of a run's 2,000 rows come as several texts);
  // `whole`: the same pages as one text each.
  let recorded: Datastore;
  let dialect: ReturnType<typeof recordingDialect>;
  let recordedWhole: Datastore;
  let whole: ReturnType<typeof recordingDialect>;
  let expected: unknown[][];

  before(async () => {
    database = sqliteDatabase();
    let serverVersion: string;
    ({ datastore, serverVersion } = await openDatastore(database));
    dialect = recordingDialect(serverVersion, new SqliteDialect().packedRowCharacters(FEATURES.length) * TEXT_ROWS + 2);
    ({ datastore: recorded } = await openDatastore(database, { dialect }));
    whole = recordingDialect(serverVersion);
    ({ datastore: recordedWhole } = await openDatastore(database, { dialect: whole }));
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    await datastore.execute(datastore.dialect.compileCreateTable({ name: READ.table, columns: COLUMNS, primaryKey: ['id'] }));
    const rows = pointRows();
    await datastore.executeAll(datastore.dialect.compileUpsert({ table: READ.table, keyColumns: ['id'], columns: COLUMNS, rows }));
    for (const odd of ODD_VALUES) {
      await datastore.execute(ddl(`UPDATE ${q(READ.table)} SET ${q(odd.column)} = ${odd.sql} WHERE ${q('id')} = ${odd.id}`));
    }
    expected = rows.map((row) =>
      READ.columns.map((column) => {
        const odd = ODD_VALUES.find((value) => value.id === row.id && value.column === column);
        return odd ? odd.expected : row[column];
      }),
    );
  });
  after(async () => {
    await datastore?.close();
    await recorded?.close();
    await recordedWhole?.close();
  });

  it('the probe of this library passes: each of its doubles reads back exactly', async () => {
    const probe = dialect.packedPageProbe()!;
    const [row] = await datastore.query(probe.statement);
    const read = readPackedPage(Object.values(row!)[0], 1, probe.values.length + 1, probe.form).rows.map((values) => values[1]);
    assert.equal(read.length, probe.values.length);
    assert.deepEqual(
      read.flatMap((value, index) => (Object.is(value, probe.values[index]) ? [] : [`${String(value)} for ${probe.values[index]}`])),
      [],
    );
  });

  for (const form of ['several texts', 'one text'] as const) {
    it(`${ROWS} rows × 4 numbers (random bit patterns, subnormals, ±MAX_VALUE, both sides of 1e99, NULLs, text, a blob, ±Infinity, integers past 2^53) read back value for value, in packed pages only, a page as ${form}`, async () => {
      assert.ok(datastore.dialect instanceof SqliteDialect && datastore.dialect.readsJsonWithMath, 'this SQLite has JSON and the math functions');
      const [reader, recording] = form === 'one text' ? [recordedWhole, whole] : [recorded, dialect];
      recording.packedPages = 0;
      recording.splitPages = 0;
      recording.pages.length = 0;
      const { rows, batches, nonNumbers } = await readAll(reader, READ);
      assert.equal(rows.length, expected.length);
      assert.deepEqual(nonNumbers, [0, 1, 1, 0, 0], 'the text and the blob counted where they were (12.5 as text is a number to SQLite)');
      const differing = rows.flatMap((row, index) =>
        row.flatMap((value, column) =>
          sameValue(value, expected[index]![column])
            ? []
            : [`row ${index} ${READ.columns[column]}: read ${String(value)}, wrote ${String(expected[index]![column])}`],
        ),
      );
      assert.deepEqual(differing.slice(0, 10), [], `${differing.length} values read back differently`);
      assert.ok(recording.packedPages >= ROWS / PAGE, `read in packed pages (${recording.packedPages})`);
      assert.deepEqual(recording.pages, [], 'nothing read by the driver’s paging');
      assert.ok(batches >= ROWS / PAGE && batches <= ROWS / PAGE + 2, `${batches} batches of a page each`);
      if (form === 'one text') assert.equal(recording.splitPages, 0, 'one text a page');
      else assert.equal(recording.splitPages, recording.packedPages, `each page as texts of ${TEXT_ROWS} rows`);
    });
  }

  it('a key range reads exactly its rows (after excluded, through included), as splitOrdered cuts them', async () => {
    const after = expected[700]![0] as number;
    const through = expected[1_900]![0] as number;
    const { rows } = await readAll(recorded, READ, { after: [after], through: [through] });
    assert.deepEqual(
      rows.map((row) => row[0]),
      expected.slice(701, 1_901).map((row) => row[0]),
    );
    assert.ok(rows.every((row, index) => row.every((value, column) => sameValue(value, expected[701 + index]![column]))));
  });

  it('keys that are not integers within ±(2^53 − 1) (a real, text, past 2^53, NULL) and keys that tie: every row once, in key order, each key as stored', async () => {
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    const table = 'packed_odd_keys';
    // No primary key: ids repeat (runs of 3, one run of 600 across pages), and some are not integers.
    await datastore.execute(ddl(`CREATE TABLE ${q(table)} (${q('id')} NUMERIC, ${q('x')} DOUBLE)`));
    const ids = [
      ...Array.from({ length: 900 }, (_, index) => Math.floor(index / 3)),
      ...Array.from({ length: 600 }, () => 400),
      ...Array.from({ length: 300 }, (_, index) => 500 + index),
    ];
    const values = ids.map((id, index) => `(${id}, ${(index + 0.5) / 7})`);
    await datastore.execute(ddl(`INSERT INTO ${q(table)} VALUES ${values.join(', ')}`));
    await datastore.execute(ddl(`INSERT INTO ${q(table)} VALUES (450.5, 1.5), ('key text', 2.5), (9007199254740993, 3.5)`));
    const read: OrderedRead = { table, columns: ['id', 'x'], keyColumns: ['id'], numbers: ['x'] };
    // The keys as stored, by their storage class and text (the driver would read 'key text' in a NUMERIC
    // column as NULL and 9007199254740993 rounded); these reals' texts are exact.
    const driverReadOf = async () =>
      (
        await datastore.query({
          sql: `SELECT typeof(${q('id')}) AS class, CAST(${q('id')} AS TEXT) AS id_text, ${q('x')} FROM ${q(table)} ORDER BY ${q('id')}`,
          parameters: [],
          kind: 'select',
        })
      ).map((row) => [row.class === 'integer' ? integerValue(row.id_text) : row.class === 'real' ? Number(row.id_text) : row.id_text, row.x]);
    const driverRead = await driverReadOf();
    dialect.packedPages = 0;
    const { rows } = await readAll(recorded, read);
    const pairs = (list: unknown[][]) => list.map(([id, x]) => `${String(id)}:${Number(x).toFixed(9)}`).sort();
    assert.equal(rows.length, driverRead.length, 'every row once');
    assert.deepEqual(pairs(rows), pairs(driverRead));
    assert.deepEqual(
      rows.map((row) => String(row[0])),
      driverRead.map((row) => String(row[0])),
      'in the order of ORDER BY id',
    );
    assert.ok(dialect.packedPages > 2, `the form was used where it could be (${dialect.packedPages} pages)`);
    // Where a key is NULL (sorted first), the form stops at once: the driver's paging reads it all.
    await datastore.execute(ddl(`INSERT INTO ${q(table)} VALUES (NULL, 4.5)`));
    const withNulls = await readAll(recorded, read);
    const driverReadWithNulls = await driverReadOf();
    assert.equal(driverReadWithNulls.length, driverRead.length + 1);
    assert.deepEqual(pairs(withNulls.rows), pairs(driverReadWithNulls));
  });

  it('rows with a NULL key come first, a page at most a batch, and the rest in packed pages; a key column named as the packed row is read in its order', async () => {
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    const table = 'packed_null_keys';
    await datastore.execute(ddl(`CREATE TABLE ${q(table)} (${q('packed_row')} INTEGER, ${q('x')} DOUBLE)`));
    const values = [
      ...Array.from({ length: 25 }, (_, index) => `(NULL, ${index} / 7.0)`),
      ...Array.from({ length: 60 }, (_, index) => `(${index}, ${index} / 3.0)`),
    ];
    await datastore.execute(ddl(`INSERT INTO ${q(table)} VALUES ${values.join(', ')}`));
    const read: OrderedRead = { table, columns: ['packed_row', 'x'], keyColumns: ['packed_row'], numbers: ['x'] };
    dialect.packedPages = 0;
    const sizes: number[] = [];
    const rows: unknown[][] = [];
    await recorded.streamOrdered(read, 10, (batch) => {
      sizes.push(batch.length);
      for (let row = 0; row < batch.length; row++) rows.push([batch.value(row, 0), batch.value(row, 1)]);
    });
    assert.ok(
      sizes.every((size) => size <= 10),
      `batches of at most 10: ${sizes.join(', ')}`,
    );
    assert.deepEqual(
      rows.slice(0, 25).map((row) => row[0]),
      Array.from({ length: 25 }, () => null),
    );
    assert.deepEqual(
      rows.slice(25),
      Array.from({ length: 60 }, (_, index) => [index, index / 3]),
      'every other row once, in key order, its double exact',
    );
    assert.ok(dialect.packedPages > 6, `in packed pages (${dialect.packedPages})`);
  });

  it('a text holds at most 96 Ki characters on SQLite, as many rows as hold at their longest; a page of more rows comes as several texts, at most 16', async () => {
    const wide: OrderedRead = { table: 'wide', columns: ['id', ...Array.from({ length: 40 }, (_, index) => `f${index}`)], keyColumns: ['id'] };
    const textRows = Math.floor((96 * 1024 - 2) / (25 + 27 * 40));
    const statement = datastore.dialect.compilePackedPage({ ...wide, numbers: wide.columns.slice(1) }, [], 1_000_000)!;
    assert.equal(statement.rows, textRows * 16, 'the page is at most 16 texts');
    assert.ok(statement.longDataBytes! <= 2 * 96 * 1024, 'the driver is asked for one text at a time');
    assert.equal(statement.sql.match(/ OFFSET /g)?.length, 15);
    assert.match(statement.sql, new RegExp(`LIMIT 1 OFFSET ${textRows * 15}\\)`), 'the 16th text starts at the page’s row 15 × textRows');
    assert.ok(statement.sql.endsWith(`LIMIT ${textRows * 16})`), 'the rows are read once');
    const small = datastore.dialect.compilePackedPage({ ...wide, numbers: wide.columns.slice(1) }, [], textRows)!;
    assert.equal(small.rows, textRows);
    assert.match(small.sql, new RegExp(`LIMIT ${textRows}\\)$`), 'a page one text holds is one text');
    // Each text of a page of PAGE rows after a key, as the driver returns them: whole rows, in key order, TEXT_ROWS each (the keys are unique).
    const after = expected[10]![0] as number;
    const page = dialect.compilePackedPage(READ, [datastore.dialect.compileKeyCondition(['id'], [after], '>', '>')], PAGE)!;
    assert.equal(page.parameters?.length, Math.ceil(PAGE / TEXT_ROWS), 'the key bound once a text');
    const result = await recorded.query(page);
    assert.equal(result.length, 1, 'the texts are the columns of one row');
    // SQLite's pages are of the scaled form: an array per row.
    const texts = Object.values(result[0]!).map((text) => JSON.parse(text as string) as unknown[][]);
    assert.deepEqual(
      texts.map((text) => text.length),
      [...Array.from({ length: Math.floor(PAGE / TEXT_ROWS) }, () => TEXT_ROWS), PAGE % TEXT_ROWS],
    );
    assert.deepEqual(
      texts.flatMap((text) => text.map((row) => row[0])),
      expected.slice(11, 11 + PAGE).map((row) => row[0]),
    );
  });

  it('200 features (more than one json_array takes: SQLite allows 127 arguments) read back bit for bit, in packed pages only', async () => {
    const features = Array.from({ length: 200 }, (_, index) => `w${index}`);
    const columns: ColumnDefinition[] = [
      { name: 'id', type: 'integer', nullable: false },
      ...features.map((name): ColumnDefinition => ({ name, type: 'double' })),
    ];
    const random = new SeededRandom(200);
    const rows = Array.from({ length: 45 }, (_, row) => ({
      id: row * 3 - 40,
      ...Object.fromEntries(features.map((name, column) => [name, (row + column) % 17 === 0 ? null : randomBitDouble(random)])),
    }));
    await datastore.execute(datastore.dialect.compileCreateTable({ name: 'wide_points', columns, primaryKey: ['id'] }));
    await datastore.executeAll(datastore.dialect.compileUpsert({ table: 'wide_points', keyColumns: ['id'], columns, rows }));
    const read: OrderedRead = { table: 'wide_points', columns: ['id', ...features], keyColumns: ['id'], numbers: features };
    for (const [reader, recording] of [
      [recordedWhole, whole],
      [recorded, dialect],
    ] as const) {
      recording.packedPages = 0;
      recording.pages.length = 0;
      const { rows: read_ } = await readAll(reader, read);
      const differing = read_.flatMap((values, index) =>
        values.flatMap((value, column) =>
          sameValue(value, (rows[index] as Record<string, unknown>)[read.columns[column]!] ?? null) ? [] : [`${index}/${column}`],
        ),
      );
      assert.equal(read_.length, rows.length);
      assert.deepEqual(differing.slice(0, 10), [], `${differing.length} values read back differently`);
      assert.ok(recording.packedPages > 1, 'in packed pages');
      assert.deepEqual(recording.pages, [], 'nothing read by the driver’s paging');
    }
  });

  // Each made in SQL from exact parts, written by each of the scaled form's ways: [-4611686018427387392,-62]
  // and "-2.2250738585072014e-308" (26 characters, the longest), [m, e] past 1e99, [-2^52,-62], a subnormal's text.
  const LONGEST: readonly (readonly [string, number])[] = [
    ['-(1 - power(2, -53))', -(1 - 2 ** -53)],
    ['-power(2, -1022)', -(2 ** -1022)],
    ['-(2 - power(2, -52)) * power(2, 1023)', -Number.MAX_VALUE],
    ['-power(2, -10)', -(2 ** -10)],
    ['-power(2, -1074)', -(2 ** -1074)],
  ];
  for (const { values, firstKey, longest } of [
    // Every form, keys near 2^53.
    { values: 40, firstKey: '9007199254739991', longest: LONGEST },
    // Rows at their longest: 64-bit keys (their text quoted) and a wide row's groups.
    { values: 139, firstKey: '-9223372036854775808', longest: LONGEST.slice(0, 1) },
  ]) {
    it(`the scaled form's longest values (${values} a row, keys from ${firstKey}) keep each text within 96 Ki characters, and read back bit for bit in packed pages`, async () => {
      const table = `longest_${values}`;
      const features = Array.from({ length: values }, (_, index) => `x${index}`);
      const rows = 2_000;
      const value = (column: number) => `CASE (n + ${column}) % ${longest.length} ${longest.map(([sql], index) => `WHEN ${index} THEN ${sql}`).join(' ')} END`;
      await datastore.execute(ddl(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, ${features.map((name) => `${name} REAL`).join(', ')})`));
      await datastore.execute(
        ddl(
          `WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < ${rows - 1}) ` +
            `INSERT INTO ${table} SELECT ${firstKey} + n * 2, ${features.map((_, column) => value(column)).join(', ')} FROM s`,
        ),
      );
      const read: OrderedRead = { table, columns: ['id', ...features], keyColumns: ['id'], numbers: features };
      const statement = datastore.dialect.compilePackedPage(read, [], rows)!;
      const [result] = await datastore.query(statement);
      const texts = Object.values(result!).filter((text): text is string => typeof text === 'string');
      assert.ok(texts.length > 1, 'the page comes as several texts');
      assert.deepEqual(
        texts.flatMap((text, index) => (text.length <= 96 * 1024 ? [] : [`text ${index}: ${text.length} characters`])),
        [],
      );
      assert.ok(statement.longDataBytes! >= 2 * Math.max(...texts.map((text) => text.length)), 'the driver’s first buffer holds each text');
      if (longest.length === 1) {
        // Every row at its longest: the count is the rows' own length, not more.
        const perRow = datastore.dialect.packedRowCharacters(values);
        assert.deepEqual(
          texts.map((text) => text.length),
          texts.map((text) => (JSON.parse(text) as unknown[]).length * perRow + 1),
        );
      }
      whole.packedPages = 0;
      whole.pages.length = 0;
      const { rows: back } = await readAll(recordedWhole, read);
      assert.ok(whole.packedPages > 0, 'in packed pages');
      assert.deepEqual(whole.pages, [], 'nothing read by the driver’s paging');
      assert.equal(back.length, rows);
      const differing = back.flatMap((row, index) =>
        row
          .slice(1)
          .flatMap((read_, column) => (Object.is(read_, longest[(index + column) % longest.length]![1]) ? [] : [`${index}/${column}: ${String(read_)}`])),
      );
      assert.deepEqual(differing.slice(0, 10), [], `${differing.length} values read back differently`);
    });
  }

  it('a negative zero (kept where a column has no affinity) reads back as one, in packed pages and through the driver', async () => {
    await datastore.execute(ddl('CREATE TABLE signed_zeros (id INTEGER PRIMARY KEY, code TEXT, untyped, real_column REAL)'));
    await datastore.execute(ddl("INSERT INTO signed_zeros VALUES (1, 'a', -0.0, -0.0), (2, 'b', 0.0, 0.0), (3, 'c', 0, 0), (4, 'd', CAST('-0.0' AS REAL), 1)"));
    const expected = [
      [-0, 0],
      [0, 0],
      [0, 0],
      [-0, 1],
    ];
    const numbers = ['untyped', 'real_column'];
    const signs = (rows: readonly (readonly unknown[])[]) => rows.map((row) => row.map((value) => (Object.is(value, -0) ? '-0' : value)));
    // The packed form's own text, read as the reader reads it.
    const packed: OrderedRead = { table: 'signed_zeros', columns: ['id', ...numbers], keyColumns: ['id'], numbers };
    const statement = datastore.dialect.compilePackedPage(packed, [], 10)!;
    const [result] = await datastore.query(statement);
    const page = readPackedTexts(Object.values(result!), numbers.length, 10, statement.form);
    assert.deepEqual(signs(page.rows.map((row) => row.slice(1))), signs(expected), 'the packed form');
    // A whole read: in packed pages (an integer key), and through the driver (a text key stops the form at its first row).
    for (const [what, read] of [
      ['a read by the integer key', packed],
      ['a read by the text key', { ...packed, columns: ['code', ...numbers], keyColumns: ['code'] }],
    ] as const) {
      const { rows } = await readAll(recordedWhole, read);
      assert.deepEqual(signs(rows.map((row) => row.slice(1))), signs(expected), what);
    }
  });

  it('a read the form does not fit (two key columns, or a column not read as a number) is the driver’s, as before', () => {
    assert.equal(dialect.compilePackedPage({ ...READ, keyColumns: ['id', 'a'] }, [], PAGE), undefined);
    assert.equal(dialect.compilePackedPage({ ...READ, numbers: ['a', 'b'] }, [], PAGE), undefined);
    assert.equal(dialect.compilePackedPage({ ...READ, columns: ['a', 'id'] }, [], PAGE), undefined);
    assert.equal(new SqliteDialect().compilePackedPage(READ, [], PAGE), undefined, 'not without the math functions');
    const wide = Array.from({ length: 201 }, (_, index) => `w${index}`);
    assert.equal(
      dialect.compilePackedPage({ table: 'w', columns: ['id', ...wide], keyColumns: ['id'], numbers: wide }, [], PAGE),
      undefined,
      'not past 200 values a row',
    );
  });
});
