import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { PostgresqlDialect } from '../../../src/datastore/dialects/postgresql';
import type { OrderedRead, PackedPageStatement, SqlCondition } from '../../../src/datastore/types';
import { SeededRandom } from '../../../src/shared/seeded-random';
import { randomBitDouble } from '../../support/awkward-values';
import { ddl, openDatastore, postgresqlDatabase, select } from '../../support/databases';

/**
 * PostgreSQL reads a run's dataset (one integer key, numbers) as one JSON text a page
 * (PostgresqlDialect.compilePackedPage). psqlODBC reads doubles exactly, so the reference is the
 * driver's own read of the same rows: every value must be the same double, NaN and ±Infinity included,
 * REAL, NUMERIC and INTEGER columns as the driver gives them.
 */
const TABLE = 'pg_packed_points';
const ROWS = 2_500;
const PAGE = 300;
const READ: OrderedRead = { table: TABLE, columns: ['id', 'd', 'r', 'n', 'i'], keyColumns: ['id'], numbers: ['d', 'r', 'n', 'i'] };

function withoutPackedPages(): PostgresqlDialect & { packedPages: number } {
  return new (class extends PostgresqlDialect {
    packedPages = 0;
    override compilePackedPage(): PackedPageStatement | undefined {
      return undefined;
    }
  })();
}

function counting(): PostgresqlDialect & { packedPages: number } {
  return new (class extends PostgresqlDialect {
    packedPages = 0;
    override compilePackedPage(read: OrderedRead, conditions: readonly SqlCondition[], limit: number): PackedPageStatement | undefined {
      this.packedPages++;
      return super.compilePackedPage(read, conditions, limit);
    }
  })();
}

async function readAll(datastore: Datastore, read: OrderedRead): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  await datastore.streamOrdered(read, PAGE, (batch) => {
    const values = new Float64Array(batch.length);
    const columns: unknown[][] = read.columns.map((_, column) => {
      if (column === 0) return Array.from({ length: batch.length }, (_unused, row) => batch.value(row, 0));
      batch.copyNumbers(column, values, 0, 1);
      return Array.from(values);
    });
    for (let row = 0; row < batch.length; row++) rows.push(columns.map((column) => column[row]));
  });
  return rows;
}

describe('PostgreSQL reads a dataset page by page as packed text, the driver’s very doubles', () => {
  let datastore: Datastore;
  let packed: Datastore;
  let plain: Datastore;
  let dialect: ReturnType<typeof counting>;

  before(async () => {
    ({ datastore } = await openDatastore(postgresqlDatabase()));
    dialect = counting();
    ({ datastore: packed } = await openDatastore(postgresqlDatabase(), { dialect }));
    ({ datastore: plain } = await openDatastore(postgresqlDatabase(), { dialect: withoutPackedPages() }));
    await datastore.execute(ddl(`DROP TABLE IF EXISTS ${TABLE}`));
    await datastore.execute(ddl(`CREATE TABLE ${TABLE} (id BIGINT PRIMARY KEY, d DOUBLE PRECISION, r REAL, n NUMERIC, i INTEGER)`));
    const random = new SeededRandom(20_261_204);
    const randomDouble = () => randomBitDouble(random);
    const odd = ["'NaN'", "'Infinity'", "'-Infinity'", 'NULL', '5e-324', '-1.7976931348623157e308', '0.1', '-0'];
    const rows = Array.from({ length: ROWS }, (_, index) => {
      const d = index < odd.length ? odd[index]! : `${randomDouble()}`;
      const r = index % 7 === 0 ? 'NULL' : index % 11 === 0 ? "'NaN'" : `${(random.next() - 0.5) * 10 ** ((index % 60) - 30)}`;
      const n = index % 5 === 0 ? 'NULL' : `${index}.${'123456789'.repeat(3)}`;
      const i = index % 3 === 0 ? 'NULL' : `${index * 1_000_003 - 2 ** 30}`;
      return `(${index * 3 - 2_000}, ${d}, ${r}, ${n}, ${i})`;
    });
    for (let start = 0; start < rows.length; start += 500) {
      await datastore.execute(ddl(`INSERT INTO ${TABLE} VALUES ${rows.slice(start, start + 500).join(', ')}`));
    }
  });
  after(async () => {
    await datastore?.execute(ddl(`DROP TABLE IF EXISTS ${TABLE}`));
    await Promise.all([datastore?.close(), packed?.close(), plain?.close()]);
  });

  it(`${ROWS} rows (random bit patterns, NaN, ±Infinity, NULLs, REAL, NUMERIC, INTEGER) read as the driver reads them (a REAL as its text), value for value, in packed pages`, async () => {
    // The driver drops the exponent of a long REAL's text (-1.7046803e-31 reads as -1.7046803): the
    // reference for r is its text as the server writes it, read as JavaScript reads a number.
    const reference = await readAll(plain, READ);
    const realTexts = await datastore.query(select(`SELECT r::text AS r FROM ${TABLE} ORDER BY id`));
    reference.forEach((row, index) => {
      const text = realTexts[index]!.r;
      row[2] = typeof text === 'string' && text !== 'NaN' ? Number(text) : Number.NaN;
    });
    dialect.packedPages = 0;
    const read = await readAll(packed, READ);
    assert.equal(read.length, ROWS);
    const differing = read.flatMap((row, index) =>
      row.flatMap((value, column) =>
        Object.is(value, reference[index]![column]) ? [] : [`row ${index} ${READ.columns[column]}: ${String(value)} / ${String(reference[index]![column])}`],
      ),
    );
    assert.deepEqual(differing.slice(0, 10), [], `${differing.length} values differ`);
    assert.ok(dialect.packedPages > ROWS / PAGE, `read in packed pages (${dialect.packedPages})`);
    assert.ok(Number.isNaN(read[0]![1]) && read[1]![1] === Number.POSITIVE_INFINITY && read[2]![1] === Number.NEGATIVE_INFINITY && Number.isNaN(read[3]![1]));
  });

  it('a feature column changed to text since registration: the page is no JSON, and the driver read, which casts each feature to a double, fails with DB_ERROR instead of reading the text as a number (a run refuses such a column before it starts)', async () => {
    await datastore.execute(ddl(`DROP TABLE IF EXISTS ${TABLE}_changed`));
    await datastore.execute(ddl(`CREATE TABLE ${TABLE}_changed AS SELECT id, d::text AS d FROM ${TABLE} WHERE id < 0`));
    await datastore.execute(ddl(`UPDATE ${TABLE}_changed SET d = 'not a number, "quoted"' WHERE id = (SELECT MAX(id) FROM ${TABLE}_changed)`));
    const read: OrderedRead = { table: `${TABLE}_changed`, columns: ['id', 'd'], keyColumns: ['id'], numbers: ['d'] };
    for (const reader of [packed, plain]) {
      await assert.rejects(readAll(reader, read), (error: Error & { code?: string }) => error.code === 'DB_ERROR');
    }
    await datastore.execute(ddl(`DROP TABLE IF EXISTS ${TABLE}_changed`));
  });

  it('a key that is not an integer (text) stops the form at once: the driver reads it all, the same rows', async () => {
    await datastore.execute(ddl(`DROP TABLE IF EXISTS ${TABLE}_text`));
    await datastore.execute(ddl(`CREATE TABLE ${TABLE}_text AS SELECT 'k' || lpad(id::text, 8, '0') AS code, d FROM ${TABLE}`));
    const read: OrderedRead = { table: `${TABLE}_text`, columns: ['code', 'd'], keyColumns: ['code'], numbers: ['d'] };
    const [{ count } = { count: 0 }] = (await datastore.query(select(`SELECT COUNT(*) AS count FROM ${TABLE}_text`))) as { count: number }[];
    const rows = await readAll(packed, read);
    assert.equal(rows.length, Number(count));
    assert.deepEqual(rows, await readAll(plain, read));
    await datastore.execute(ddl(`DROP TABLE IF EXISTS ${TABLE}_text`));
  });
});
