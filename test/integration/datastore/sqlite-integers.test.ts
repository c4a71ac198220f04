import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { SqliteDialect } from '../../../src/datastore/dialects/sqlite';
import { ddl, openDatastore, select, sqliteDatabase } from '../../support/databases';

/**
 * SQLite's ODBC driver types a column declared INTEGER as a 32-bit SQL_INTEGER unless the connection
 * says BigInt=1, and then reads 5000000000 as 705032704. The dialect adds BigInt=1: every INTEGER value
 * reads back as written, through a query, a read by key (the driver's), and a run's read of features.
 */
const VALUES: readonly bigint[] = [
  0n,
  7n,
  -(2n ** 31n) - 1n,
  2n ** 31n,
  5_000_000_000n,
  -(2n ** 53n) + 1n,
  2n ** 53n - 1n,
  2n ** 53n + 1n,
  -(2n ** 63n),
  2n ** 63n - 1n,
];

/** What the app reads for an integer: a number where it is safe, else its digits (values.ts). */
const asRead = (value: bigint) => (value >= -(2n ** 53n) + 1n && value <= 2n ** 53n - 1n ? Number(value) : value.toString());

describe('SQLite INTEGER columns past 32 bits', () => {
  let datastore: Datastore;

  before(async () => {
    ({ datastore } = await openDatastore(sqliteDatabase()));
    await datastore.execute(ddl('CREATE TABLE wide_integers (id INTEGER NOT NULL, part INTEGER NOT NULL, n INTEGER, PRIMARY KEY (id, part))'));
    const rows = VALUES.map((value, index) => `(${value}, ${index}, ${value})`);
    await datastore.execute(ddl(`INSERT INTO wide_integers VALUES ${rows.join(', ')}, (1, 100, NULL)`));
  });
  after(() => datastore?.close());

  it('the connection string the driver is given asks for BigInt=1, unless it sets BigInt itself', () => {
    const dialect = new SqliteDialect();
    assert.equal(dialect.driverConnectionString('Driver={SQLite3};Database=a.sqlite;'), 'Driver={SQLite3};Database=a.sqlite;BigInt=1');
    assert.equal(dialect.driverConnectionString('Driver={SQLite3};Database=a.sqlite;bigint = 0'), 'Driver={SQLite3};Database=a.sqlite;bigint = 0');
  });

  it('a query reads every value as written, NULL as null', async () => {
    const rows = await datastore.query(select('SELECT part, n FROM wide_integers ORDER BY part'));
    assert.deepEqual(
      rows.map((row) => row.n),
      [...VALUES.map(asRead), null],
    );
  });

  it('a read by key (composite, through the driver) gives the keys as written and the numbers as their nearest doubles', async () => {
    const keys: unknown[] = [];
    const numbers: number[] = [];
    const target = new Float64Array(VALUES.length + 1);
    await datastore.streamOrdered({ table: 'wide_integers', columns: ['id', 'part', 'n'], keyColumns: ['id', 'part'], numbers: ['n'] }, 4, (batch) => {
      for (let row = 0; row < batch.length; row++) keys.push(batch.value(row, 0));
      batch.copyNumbers(2, target, numbers.length, 1);
      numbers.push(...target.subarray(numbers.length, numbers.length + batch.length));
    });
    const ordered = [...VALUES.map((value) => ({ id: value, n: Number(value) })), { id: 1n, n: Number.NaN }].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : Number.isNaN(a.n) ? 1 : -1,
    );
    assert.deepEqual(
      keys,
      ordered.map((row) => asRead(row.id)),
    );
    assert.deepEqual(
      numbers,
      ordered.map((row) => row.n),
    );
  });
});
