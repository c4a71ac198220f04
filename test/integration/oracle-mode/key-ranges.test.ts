import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { dialectFor } from '../../../src/datastore/dialects';
import type { ColumnDefinition, KeyRange, OrderedRead, SqlValue } from '../../../src/datastore/types';
import { ddl, openDatastore, oracleDatabase, select, tiberoDatabase } from '../../support/databases';

/**
 * The key-range reads a run splits a large table into (Streamer.splitOrdered, then streamOrdered per
 * range), on the Oracle and Tibero dialects on H2 in Oracle mode: the key counts, the boundary probes
 * and the range conditions over a composite key of text, a timestamp and an integer, over one integer
 * key, and under a WHERE condition. Read through the driver's cursor, as the Oracle family reads, and
 * page by page by key, as a dialect whose cursor is unreliable reads; both must give exactly the rows
 * of one ORDER BY query, in its order.
 */
const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'site', type: 'string', length: 20, nullable: false },
  { name: 'day', type: 'timestamp', nullable: false },
  { name: 'n', type: 'bigint', nullable: false },
  { name: 'x', type: 'double' },
];
// Sites tie on the first key part; days repeat; n stays below 2^53 (the round trip checks larger ones).
const ROWS: Record<string, SqlValue>[] = Array.from({ length: 600 }, (_, index) => ({
  site: ['북부', 'south', 'East'][index % 3]!,
  day: new Date(Date.UTC(2025, 11, 30 + (index % 5), index % 24, 7, 30, (index * 37) % 1000)),
  n: 4_000_000_000_000 - index * 1_000_003,
  x: index % 7 === 0 ? null : index / 16,
}));

for (const database of [oracleDatabase(), tiberoDatabase()]) {
  describe(`key ranges on ${database.dialect} SQL on H2 in Oracle mode`, () => {
    const table = `omkr_${database.dialect}`;
    const composite: OrderedRead = { table, columns: ['site', 'day', 'n', 'x'], keyColumns: ['site', 'day', 'n'], numbers: ['x'] };
    let datastore: Datastore;
    let byKey: Datastore;

    before(async () => {
      ({ datastore } = await openDatastore(database));
      // The same database through the same dialect told that its cursor is unreliable: it pages by key.
      const paging = Object.assign(dialectFor(database.dialect), { reliableCursorFetch: false });
      ({ datastore: byKey } = await openDatastore(database, { dialect: paging }));
      const dialect = datastore.dialect;
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${dialect.quoteIdentifier(table)}`));
      await datastore.execute(dialect.compileCreateTable({ name: table, columns: COLUMNS, primaryKey: composite.keyColumns }));
      await datastore.executeAll(dialect.compileUpsert({ table, keyColumns: composite.keyColumns, columns: COLUMNS, rows: ROWS }));
    });
    after(async () => {
      await datastore?.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(table)}`));
      await datastore?.close();
      await byKey?.close();
    });

    /** One plain ORDER BY query of the read: the reference. */
    const reference = async (read: OrderedRead) => {
      const q = (name: string) => datastore.dialect.quoteIdentifier(name);
      const where = read.where ? ` WHERE ${read.where.sql}` : '';
      const rows = await datastore.query(
        select(`SELECT ${read.columns.map(q).join(', ')} FROM ${q(read.table)}${where} ORDER BY ${read.keyColumns.map(q).join(', ')}`, read.where?.parameters),
      );
      return rows.map((row) => rowText(read.columns.map((name) => row[name])));
    };
    /** Each range read on its own, joined in range order. */
    const readRanges = async (store: Datastore, read: OrderedRead, ranges: readonly KeyRange[], fetchSize: number) => {
      const parts: string[][] = [];
      for (const range of ranges) {
        const rows: string[] = [];
        await store.streamOrdered(
          read,
          fetchSize,
          (batch) => {
            for (let row = 0; row < batch.length; row++) rows.push(rowText(read.columns.map((_, column) => batch.value(row, column))));
          },
          range,
        );
        parts.push(rows);
      }
      return parts;
    };

    it('a composite key of text, a timestamp and an integer: 4 ranges of about 150 rows, read by cursor and by key, join into the one ORDER BY read', async () => {
      const expected = await reference(composite);
      const written = [...ROWS].sort((a, b) => compareKeys([a.site!, a.day!, a.n!], [b.site!, b.day!, b.n!]));
      assert.deepEqual(
        expected,
        written.map((row) => rowText(composite.columns.map((name) => row[name]))),
        'the rows as written, in key order',
      );
      const ranges = await datastore.splitOrdered(composite, 4, 50);
      assert.equal(ranges.length, 4);
      assert.deepEqual(ranges[1]!.after, ranges[0]!.through, 'each range starts after the one before ends');
      for (const [how, store] of [
        ['cursor', datastore],
        ['by key', byKey],
      ] as const) {
        const parts = await readRanges(store, composite, ranges, 40);
        assert.deepEqual(parts.flat(), expected, how);
        assert.ok(
          parts.every((part) => part.length > 100 && part.length < 200),
          `${how}: about 150 each, got ${parts.map((part) => part.length).join(', ')}`,
        );
      }
    });

    it('one integer key under a WHERE condition: the condition is counted and every range keeps to it', async () => {
      const q = (name: string) => datastore.dialect.quoteIdentifier(name);
      const south: OrderedRead = { table, columns: ['n', 'x'], keyColumns: ['n'], where: { sql: `${q('site')} = ?`, parameters: ['south'] }, numbers: ['x'] };
      const expected = await reference(south);
      assert.equal(expected.length, 200);
      const ranges = await datastore.splitOrdered(south, 3, 20);
      assert.equal(ranges.length, 3);
      for (const store of [datastore, byKey]) assert.deepEqual((await readRanges(store, south, ranges, 15)).flat(), expected);
      assert.deepEqual(await datastore.splitOrdered(south, 3, 101), [{}], '200 rows < 2 × 101: one range');
    });
  });
}

/** A row as comparable text: timestamps as ISO text. */
function rowText(values: readonly unknown[]): string {
  return JSON.stringify(values.map((value) => (value instanceof Date ? value.toISOString() : value)));
}

/** Key order as Oracle's binary sort gives it for these values: text by code unit (UTF-8 byte order here), then dates, then numbers. */
function compareKeys(a: readonly SqlValue[], b: readonly SqlValue[]): number {
  for (let index = 0; index < a.length; index++) {
    const [left, right] = [a[index]!, b[index]!].map((value) => (value instanceof Date ? value.getTime() : value)) as [string | number, string | number];
    if (left !== right) return left < right ? -1 : 1;
  }
  return 0;
}
