import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import type { KeyRange, OrderedRead } from '../../../src/datastore/types';
import { entityKey } from '../../../src/modules/run/dataset-reader';
import { ddl, openDatastore, select, sqliteDatabase } from '../../support/databases';

/**
 * A SQLite column holds whatever each row gives it: integers, reals, text and blobs side by side, only
 * nudged by the declared type's affinity. The ODBC driver reads a column by its declared type (an
 * undeclared one by its first row's value): 'k1' in an INTEGER column came back NULL, 2.5 as 2, an
 * integer past 2^53 in a NUMERIC column rounded, a REAL key through 15 digits, and a run wrote outcomes
 * under the entity key "null" or another row's key. Every key must come back as stored, in SQLite's
 * own order, with its own row's features, whatever the page size and however the read is split; a long
 * text key whole (the driver reads an expression as at most 255 characters, 1,020 bytes, and a column
 * declared VARCHAR(10) as at most 10).
 */

/** A key as inserted: its SQL literal, and what a read hands over (value()). */
interface Key {
  readonly sql: string;
  readonly read: number | string | Buffer;
}

const integer = (value: bigint): Key => ({
  sql: value.toString(),
  read: value >= -(2n ** 53n) + 1n && value <= 2n ** 53n - 1n ? Number(value) : value.toString(),
});
// m × 2^e, made exactly in SQL (SQLite 3.40 reads decimal literals without correct rounding).
const real = (value: number): Key => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const biased = (view.getUint32(0) >>> 20) & 0x7ff;
  const fraction = (view.getUint32(0) & 0xfffff) * 2 ** 32 + view.getUint32(4);
  const mantissa = biased === 0 ? fraction : fraction + 2 ** 52;
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  return { sql: `(${Math.sign(value) * mantissa}.0 * power(2, ${exponent}))`, read: value };
};
const text = (value: string): Key => ({ sql: `'${value.replace(/'/g, "''")}'`, read: value });
const blob = (hex: string): Key => ({ sql: `X'${hex}'`, read: Buffer.from(hex, 'hex') });

const INTEGERS = [0n, 7n, -1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 5_000_000_000n].map(integer);
// Each keeps its storage class in an INTEGER or NUMERIC column too: a fraction, or past 64-bit integers.
const FRACTIONAL_REALS = [2.5, -0.1, 1 / 3, 0.1 + 0.2, 1e300, -Number.MAX_VALUE, Number.MIN_VALUE, 123456789.12345679].map(real);
// Look like no number, so affinity leaves them text.
// Long ones too: the driver reads an expression, or a column declared VARCHAR(10), as at most 255 (or 10)
// characters, 4 bytes each.
const PLAIN_TEXTS = ['k1', '', 'é 한글 🙂', "it's", 'x'.repeat(200), '한'.repeat(600), 'y'.repeat(2_000), '🙂'.repeat(300)].map(text);
const BLOBS = ['0102', '', '00FF', 'AB'.repeat(700)].map(blob);

const TABLES: readonly { readonly declared: string; readonly keys: readonly Key[] }[] = [
  // No affinity: every value stays as inserted, numeric-looking text included.
  {
    declared: '',
    keys: [...INTEGERS, ...FRACTIONAL_REALS, ...PLAIN_TEXTS, text('  7'), text('+5'), text('2.5e0'), ...BLOBS],
  },
  { declared: 'INTEGER', keys: [...INTEGERS, ...FRACTIONAL_REALS, ...PLAIN_TEXTS, ...BLOBS] },
  { declared: 'NUMERIC', keys: [...INTEGERS, ...FRACTIONAL_REALS, ...PLAIN_TEXTS, ...BLOBS] },
  { declared: 'REAL', keys: [...FRACTIONAL_REALS, real(3), real(2 ** 60), ...PLAIN_TEXTS, ...BLOBS] },
  { declared: 'VARCHAR(10)', keys: [...PLAIN_TEXTS, text('0123456789abcdef'), ...BLOBS] },
  { declared: 'TEXT', keys: [...PLAIN_TEXTS, text('007'), text('  7'), text('9007199254740993'), text('2.5'), ...BLOBS] },
];

describe('SQLite key columns holding integers, reals, text and blobs', () => {
  let datastore: Datastore;
  /** Per table: its keys in SQLite's ORDER BY order, each with its row's feature (the rowid it was inserted at). */
  const expected = new Map<string, { key: Key; x: number }[]>();

  before(async () => {
    ({ datastore } = await openDatastore(sqliteDatabase()));
    for (const [index, { declared, keys }] of TABLES.entries()) {
      const table = `keys_${index}`;
      await datastore.execute(ddl(`CREATE TABLE ${table} (id ${declared}, x REAL)`));
      const rows = keys.map((key, row) => `(${row + 1}, ${key.sql}, ${row + 1})`);
      await datastore.execute(ddl(`INSERT INTO ${table} (rowid, id, x) VALUES ${rows.join(', ')}`));
      // The storage classes are the ones meant: affinity changed none of them.
      const classes = await datastore.query(select(`SELECT typeof(id) AS class FROM ${table} ORDER BY rowid`));
      assert.deepEqual(
        classes.map((row) => row.class),
        keys.map((key) =>
          typeof key.read === 'string' && key.sql.startsWith("'") ? 'text' : Buffer.isBuffer(key.read) ? 'blob' : key.sql.startsWith('(') ? 'real' : 'integer',
        ),
        `storage classes of ${table} (${declared || 'undeclared'})`,
      );
      // SQLite's own order, by rowid, which the driver reads exactly.
      const order = await datastore.query(select(`SELECT rowid AS position FROM ${table} ORDER BY id`));
      expected.set(
        table,
        order.map((row) => ({ key: keys[Number(row.position) - 1]!, x: Number(row.position) })),
      );
    }
  });
  after(() => datastore?.close());

  const readOf = (table: string): OrderedRead => ({ table, columns: ['id', 'x'], keyColumns: ['id'], numbers: ['x'] });

  async function readAll(table: string, pageSize: number, range?: KeyRange): Promise<{ key: unknown; x: number }[]> {
    const rows: { key: unknown; x: number }[] = [];
    await datastore.streamOrdered(
      readOf(table),
      pageSize,
      (batch) => {
        const x = new Float64Array(batch.length);
        batch.copyNumbers(1, x, 0, 1);
        for (let row = 0; row < batch.length; row++) rows.push({ key: batch.value(row, 0), x: x[row]! });
      },
      range,
    );
    return rows;
  }

  for (const [index, { declared }] of TABLES.entries()) {
    const table = `keys_${index}`;
    it(`a column declared ${declared || 'with no type'}: every key as stored, in SQLite's order, with its own row, at page sizes 1, 2, 3, 5 and 1,000`, async () => {
      const want = expected.get(table)!.map(({ key, x }) => ({ key: key.read, x }));
      for (const pageSize of [1, 2, 3, 5, 1_000]) {
        assert.deepStrictEqual(await readAll(table, pageSize), want, `page size ${pageSize}`);
      }
    });

    it(`a column declared ${declared || 'with no type'}: split into key ranges (as a run reads on two connections), the ranges hold every row once`, async () => {
      const ranges = await datastore.splitOrdered(readOf(table), 3, 1);
      assert.equal(ranges.length, 3);
      const rows = [];
      for (const range of ranges) rows.push(...(await readAll(table, 2, range)));
      assert.deepStrictEqual(
        rows,
        expected.get(table)!.map(({ key, x }) => ({ key: key.read, x })),
      );
    });
  }

  it('feature columns of every declared type read each number exactly through the driver (a text key): fractions in INTEGER columns, 17 digits, past 1e99; text and blobs as NULL, counted', async () => {
    // Doubles the driver rounded (15 digits, or to an integer in a column declared INTEGER or untyped
    // whose first value is one), each made exactly in SQL; and integers, one past 2^53.
    const numbers = [1, 2.5, 1 / 3, 0.1 + 0.2, -123456789.12345679, 1e300, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** -1022, 1.5e-300, 0.5];
    const declared = ['', 'INTEGER', 'NUMERIC', 'REAL', 'DOUBLE', 'BOOLEAN', 'DECIMAL(10, 2)'];
    const columns = declared.map((_, index) => `f${index}`);
    await datastore.execute(ddl(`CREATE TABLE features (id TEXT PRIMARY KEY, ${columns.map((name, index) => `${name} ${declared[index]}`).join(', ')})`));
    const rows: { id: string; sql: string; value: number | null }[] = [
      ...numbers.map((value, index) => ({ id: `r${String(index).padStart(2, '0')}`, sql: real(value).sql, value })),
      { id: 'r50', sql: '9007199254740993', value: 9007199254740992 },
      { id: 'r51', sql: '-7', value: -7 },
      { id: 'r52', sql: "'text'", value: null },
      { id: 'r53', sql: "X'01'", value: null },
      { id: 'r54', sql: 'NULL', value: null },
    ];
    await datastore.execute(ddl(`INSERT INTO features VALUES ${rows.map((row) => `('${row.id}', ${columns.map(() => row.sql).join(', ')})`).join(', ')}`));
    for (const pageSize of [2, 1_000]) {
      const read: number[][] = [];
      const nonNumbers = columns.map(() => 0);
      await datastore.streamOrdered({ table: 'features', columns: ['id', ...columns], keyColumns: ['id'], numbers: columns }, pageSize, (batch) => {
        const values = new Float64Array(batch.length * columns.length);
        columns.forEach((_, column) => batch.copyNumbers(column + 1, values, column, columns.length));
        for (let row = 0; row < batch.length; row++) read.push(Array.from(values.subarray(row * columns.length, (row + 1) * columns.length)));
        columns.forEach((_, column) => (nonNumbers[column]! += batch.nonNumbers?.[column + 1] ?? 0));
      });
      assert.deepStrictEqual(
        read,
        rows.map((row) => columns.map(() => row.value ?? Number.NaN)),
        `page size ${pageSize}`,
      );
      assert.deepEqual(
        nonNumbers,
        columns.map(() => 2),
        `page size ${pageSize}: the text and the blob in each column counted`,
      );
    }
  });

  it("each key makes its own entity key: integers as digits, reals as their shortest text, text as itself, bytes as X'…' in hex", async () => {
    const keys = (await readAll('keys_0', 4)).map((row) => entityKey([row.key]));
    assert.equal(new Set(keys).size, keys.length, 'no two rows share an entity key');
    const want = expected
      .get('keys_0')!
      .map(({ key }) =>
        Buffer.isBuffer(key.read) ? `X'${key.read.toString('hex').toUpperCase()}'` : typeof key.read === 'number' ? String(key.read) : key.read,
      );
    assert.deepEqual(keys, want);
    assert.ok(keys.includes('9007199254740993') && keys.includes('0.30000000000000004') && keys.includes("X'0102'") && keys.includes("X''"));
  });
});
