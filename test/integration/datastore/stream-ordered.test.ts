import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import type { KeyRange, OrderedRead, SqlCondition } from '../../../src/datastore/types';
import type { RowBatch } from '../../../src/datastore/row-batch';
import type { Page, SqlDialect } from '../../../src/datastore/dialects/dialect';
import { MariadbDialect } from '../../../src/datastore/dialects/mariadb';
import { PostgresqlDialect } from '../../../src/datastore/dialects/postgresql';
import { SqliteDialect } from '../../../src/datastore/dialects/sqlite';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import type { ColumnDefinition, Row, SqlValue, Statement } from '../../../src/datastore/types';
import { AssignmentRepository } from '../../../src/modules/run/assignment.repository';
import { streamAssignments } from '../../support/assignments';
import { ddl, mariadbDatabase, openDatastore, postgresqlDatabase, select, sqliteDatabase, type TestDatabase } from '../../support/databases';

/**
 * Datastore.streamOrdered on each real database, both ways it reads: the driver cursor (SQLite,
 * PostgreSQL) and paging by key (MariaDB, and the others here through a dialect that says its cursor is
 * unreliable). The reference is always one plain `ORDER BY` query of the same rows.
 */

/**
 * Records the pages asked of the dialect: keyset paging asks only for probes (compileKeyProbe, one row
 * at pageSize − 1), each recorded as that page; a page by OFFSET (paginate) is recorded as itself.
 */
interface PagingRecorder {
  readonly pages: Page[];
}

/** The pages one recorder has seen: a probe counts as its one-row page, not as the paginate inside it. */
class PageLog {
  readonly pages: Page[] = [];
  private probing = false;

  page<T>(page: Page, next: () => T): T {
    if (!this.probing) this.pages.push(page);
    return next();
  }

  probe<T>(offset: number, next: () => T): T {
    this.pages.push({ limit: 1, offset });
    this.probing = true;
    try {
      return next();
    } finally {
      this.probing = false;
    }
  }
}

// Classes, not wrappers: the datastore refines its dialect for the server by its class.
function pagingSqlite(): SqliteDialect & PagingRecorder {
  const log = new PageLog();
  return new (class extends SqliteDialect {
    override readonly reliableCursorFetch: boolean = false;
    readonly pages = log.pages;
    override paginate = (statement: Statement, page: Page) => log.page(page, () => super.paginate(statement, page));
    override compileKeyProbe = (read: OrderedRead, conditions: readonly SqlCondition[], offset: number) =>
      log.probe(offset, () => super.compileKeyProbe(read, conditions, offset));
  })();
}

function pagingPostgresql(): PostgresqlDialect & PagingRecorder {
  const log = new PageLog();
  return new (class extends PostgresqlDialect {
    override readonly reliableCursorFetch: boolean = false;
    readonly pages = log.pages;
    override paginate = (statement: Statement, page: Page) => log.page(page, () => super.paginate(statement, page));
    override compileKeyProbe = (read: OrderedRead, conditions: readonly SqlCondition[], offset: number) =>
      log.probe(offset, () => super.compileKeyProbe(read, conditions, offset));
  })();
}

function recordingMariadb(): MariadbDialect & PagingRecorder {
  const log = new PageLog();
  return new (class extends MariadbDialect {
    readonly pages = log.pages;
    override paginate = (statement: Statement, page: Page) => log.page(page, () => super.paginate(statement, page));
    override compileKeyProbe = (read: OrderedRead, conditions: readonly SqlCondition[], offset: number) =>
      log.probe(offset, () => super.compileKeyProbe(read, conditions, offset));
  })();
}

interface Target {
  readonly database: TestDatabase;
  readonly suffix: string;
  /** A dialect that pages by key, recording the pages. */
  readonly paging: () => SqlDialect & PagingRecorder;
  /** Whether the database sorts NULL first in ascending order (keyset paging handles NULL keys only there). */
  readonly nullsFirst: boolean;
}

const TARGETS: Target[] = [
  { database: sqliteDatabase(), suffix: 'sqlite', paging: pagingSqlite, nullsFirst: true },
  { database: postgresqlDatabase(), suffix: 'pg', paging: pagingPostgresql, nullsFirst: false },
  { database: mariadbDatabase(), suffix: 'mariadb', paging: recordingMariadb, nullsFirst: true },
];

const ORDERED_COLUMNS: ColumnDefinition[] = [
  { name: 'site', type: 'string', length: 20, nullable: false },
  { name: 'day', type: 'timestamp', nullable: false },
  { name: 'n', type: 'bigint', nullable: false },
  { name: 'x', type: 'double' },
  { name: 'y', type: 'double' },
];

const ORDERED_ROWS = 2_503;
const BIG = 9_007_199_254_740_993n; // 2^53 + 1: not a double

/** 2,503 rows with three sites (ties on the leading key), seven days, BIGINT parts past 2^53, NULL features. */
function orderedRows(): Record<string, SqlValue>[] {
  const sites = ['north', 'south', 'east'];
  return Array.from({ length: ORDERED_ROWS }, (_, i) => ({
    site: sites[i % 3]!,
    day: new Date(Date.UTC(2024, 1, 27 + (i % 7), i % 24, 0, 0, i % 1000)),
    n: i % 5 === 0 ? BIG + BigInt(i) : BigInt(i),
    x: i % 11 === 0 ? null : i / 8,
    y: -i,
  }));
}

/** One row as comparable text: every app value, dates as ISO, NaN for a NULL feature read by copyNumbers. */
function describeRow(values: readonly unknown[]): string {
  return JSON.stringify(values.map((value) => (value instanceof Date ? value.toISOString() : Number.isNaN(value) ? 'NaN' : value)));
}

/** Appends a batch's rows as describeRow text: keys by value(), features by copyNumbers, as readFeatureTable does. */
function describeBatch(batch: RowBatch, keyCount: number, featureCount: number, rows: string[]): void {
  const features = new Float64Array(batch.length * featureCount);
  for (let column = 0; column < featureCount; column++) batch.copyNumbers(keyCount + column, features, column, featureCount);
  for (let row = 0; row < batch.length; row++) {
    const keys = Array.from({ length: keyCount }, (_, key) => batch.value(row, key));
    rows.push(describeRow([...keys, ...features.subarray(row * featureCount, (row + 1) * featureCount)]));
  }
}

/** Reads through streamOrdered: keys by value(), features by copyNumbers, as readFeatureTable does. */
async function readAll(datastore: Datastore, read: OrderedRead, fetchSize: number): Promise<{ rows: string[]; batches: number[] }> {
  const rows: string[] = [];
  const batches: number[] = [];
  const keyCount = read.keyColumns.length;
  const featureCount = read.columns.length - keyCount;
  const total = await datastore.streamOrdered(read, fetchSize, (batch: RowBatch) => {
    batches.push(batch.length);
    describeBatch(batch, keyCount, featureCount, rows);
  });
  assert.equal(total, rows.length, 'the returned count is the number of rows handed over');
  return { rows, batches };
}

/** Reads the ranges side by side, each on its own connection, and joins them in range order. */
async function readRanges(datastore: Datastore, read: OrderedRead, ranges: readonly KeyRange[], fetchSize: number): Promise<string[][]> {
  const keyCount = read.keyColumns.length;
  const featureCount = read.columns.length - keyCount;
  return Promise.all(
    ranges.map(async (range) => {
      const rows: string[] = [];
      const total = await datastore.streamOrdered(read, fetchSize, (batch: RowBatch) => describeBatch(batch, keyCount, featureCount, rows), range);
      assert.equal(total, rows.length);
      return rows;
    }),
  );
}

/** The same rows from one plain ORDER BY query: the reference. */
async function readReference(datastore: Datastore, read: OrderedRead): Promise<string[]> {
  const q = (name: string) => datastore.dialect.quoteIdentifier(name);
  const where = read.where ? ` WHERE ${read.where.sql}` : '';
  const rows = await datastore.query(
    select(`SELECT ${read.columns.map(q).join(', ')} FROM ${q(read.table)}${where} ORDER BY ${read.keyColumns.map(q).join(', ')}`, [
      ...(read.where?.parameters ?? []),
    ]),
  );
  const keyCount = read.keyColumns.length;
  return rows.map((row: Row) =>
    describeRow(read.columns.map((name, index) => (index < keyCount ? row[name] : row[name] === null ? Number.NaN : Number(row[name])))),
  );
}

for (const target of TARGETS) {
  const { database, suffix } = target;
  const table = `ordered_${suffix}`;
  const ties = `ordered_ties_${suffix}`;
  const read: OrderedRead = { table, columns: ['site', 'day', 'n', 'x', 'y'], keyColumns: ['site', 'day', 'n'] };

  describe(`streamOrdered on ${database.label}`, () => {
    let datastore: Datastore;
    let paged: Datastore;
    let paging: SqlDialect & PagingRecorder;

    before(async () => {
      ({ datastore } = await openDatastore(database));
      paging = target.paging();
      ({ datastore: paged } = await openDatastore(database, { dialect: paging }));
      const dialect = datastore.dialect;
      for (const name of [table, ties]) await datastore.execute(ddl(`DROP TABLE IF EXISTS ${dialect.quoteIdentifier(name)}`));
      await datastore.execute(dialect.compileCreateTable({ name: table, columns: ORDERED_COLUMNS, primaryKey: ['site', 'day', 'n'] }));
      await datastore.executeAll(dialect.compileUpsert({ table, keyColumns: ['site', 'day', 'n'], columns: ORDERED_COLUMNS, rows: orderedRows() }));
      // No unique key on k: 3 rows for each k of 0…29, 10 rows for k = 100, k NULL on 5 rows.
      const tieColumns: ColumnDefinition[] = [
        { name: 'id', type: 'integer', nullable: false },
        { name: 'k', type: 'integer' },
        { name: 'x', type: 'double' },
      ];
      const tieRows = Array.from({ length: 105 }, (_, id) => ({ id, k: id < 90 ? Math.floor(id / 3) : id < 100 ? 100 : null, x: id / 2 }));
      await datastore.execute(dialect.compileCreateTable({ name: ties, columns: tieColumns, primaryKey: ['id'] }));
      await datastore.executeAll(dialect.compileUpsert({ table: ties, keyColumns: ['id'], columns: tieColumns, rows: tieRows }));
    });
    after(async () => {
      await datastore?.close();
      await paged?.close();
    });

    it(`${ORDERED_ROWS} rows with composite keys (ties on the first part, timestamps, BIGINTs past 2^53, NULL features) arrive in 3 batches exactly as one ORDER BY query returns them`, async () => {
      const reference = await readReference(datastore, read);
      assert.equal(reference.length, ORDERED_ROWS);
      const { rows, batches } = await readAll(datastore, read, 1_000);
      assert.deepEqual(batches, [1_000, 1_000, 503]);
      assert.deepEqual(rows, reference);
      assert.ok(
        reference.some((row) => row.includes('"NaN"')),
        'some features are NULL',
      );
      assert.ok(
        reference.some((row) => row.includes(String(BIG))),
        'some keys are past 2^53, exact',
      );
      assert.equal(datastore.state().pool.inUse, 0);
    });

    it('paging by key gives the same rows, asking the database only for fixed-size probes, never a growing OFFSET', async () => {
      const reference = await readReference(datastore, read);
      paging.pages.length = 0;
      const { rows, batches } = await readAll(paged, read, 1_000);
      assert.deepEqual(rows, reference);
      assert.deepEqual(batches, [1_000, 1_000, 503]);
      assert.deepEqual(
        paging.pages,
        [1, 2, 3].map(() => ({ limit: 1, offset: 999 })),
        'three probes (the last finds no 1,000th row)',
      );
      assert.equal(paged.state().pool.inUse, 0);
    });

    it('paging by key when the rows fill whole pages, with a condition, one row a page', async () => {
      const east: OrderedRead = {
        ...read,
        where: { sql: `${datastore.dialect.quoteIdentifier('site')} = ? AND ${datastore.dialect.quoteIdentifier('y')} > ?`, parameters: ['east', -60] },
      };
      const reference = await readReference(datastore, east);
      assert.equal(reference.length, 20);
      for (const pageSize of [1, 4, 20, 21]) {
        const { rows, batches } = await readAll(paged, east, pageSize);
        assert.deepEqual(rows, reference, `page size ${pageSize}`);
        assert.equal(batches.length, Math.ceil(20 / pageSize), `page size ${pageSize}: batches`);
      }
    });

    it('ties on the whole key (3 rows a key, a run of 10 longer than a page) are each read once, in key order, however the pages fall', async () => {
      const tieRead: OrderedRead = {
        table: ties,
        columns: ['k', 'id'],
        keyColumns: ['k'],
        where: { sql: `${datastore.dialect.quoteIdentifier('k')} IS NOT NULL`, parameters: [] },
      };
      for (const [label, store] of [
        ['paged', paged],
        ['default', datastore],
      ] as const) {
        for (const pageSize of [2, 4, 7]) {
          const seen: [number, number][] = [];
          await store.streamOrdered(tieRead, pageSize, (batch) => {
            for (let row = 0; row < batch.length; row++) seen.push([Number(batch.value(row, 0)), Number(batch.value(row, 1))]);
          });
          const ids = seen.map(([, id]) => id).sort((a, b) => a - b);
          assert.deepEqual(
            ids,
            Array.from({ length: 100 }, (_, id) => id),
            `${label}, page size ${pageSize}: every row once`,
          );
          const keys = seen.map(([k]) => k);
          assert.deepEqual(
            keys,
            [...keys].sort((a, b) => a - b),
            `${label}, page size ${pageSize}: in key order`,
          );
        }
      }
    });

    if (target.nullsFirst) {
      it('NULL keys (sorted first here) are read too: first, in one statement, then the rest page by page; every row once, in ORDER BY order', async () => {
        const nullRead: OrderedRead = { table: ties, columns: ['k', 'id'], keyColumns: ['k', 'id'] };
        const reference = await readReference(datastore, nullRead);
        assert.equal(reference.length, 105);
        for (const pageSize of [2, 5, 50]) {
          const { rows } = await readAll(paged, nullRead, pageSize);
          assert.deepEqual(rows, reference, `page size ${pageSize}`);
        }
      });

      it('a NULL key is read even where ties past a page’s probe make up for it in the page’s length (paging by key cannot tell it is missing)', async () => {
        const table = `null_masked_${suffix}`;
        const dialect = datastore.dialect;
        const columns: ColumnDefinition[] = [
          { name: 'id', type: 'integer', nullable: false },
          { name: 'k', type: 'integer' },
        ];
        await datastore.execute(ddl(`DROP TABLE IF EXISTS ${dialect.quoteIdentifier(table)}`));
        await datastore.execute(dialect.compileCreateTable({ name: table, columns, primaryKey: ['id'] }));
        // In key order: NULL, −1, 0 0 0, 1 1 1, 2 2 2, …: the 10th row is the second of the 2s, and the page
        // up to k = 2 holds 10 rows without the NULL one, as many as a page of 10 should.
        const rows = [{ id: 1_000, k: null }, { id: 1_001, k: -1 }, ...Array.from({ length: 30 }, (_, id) => ({ id, k: Math.floor(id / 3) }))];
        await datastore.executeAll(dialect.compileUpsert({ table, keyColumns: ['id'], columns, rows }));
        const nullRead: OrderedRead = { table, columns: ['k', 'id'], keyColumns: ['k'] };
        const read: { k: unknown; id: unknown }[] = [];
        await paged.streamOrdered(nullRead, 10, (batch) => {
          for (let row = 0; row < batch.length; row++) read.push({ k: batch.value(row, 0), id: batch.value(row, 1) });
        });
        assert.deepEqual(
          read.map((row) => Number(row.id)).sort((a, b) => a - b),
          rows.map((row) => row.id).sort((a, b) => a - b),
          'every row once',
        );
        assert.equal(read[0]!.k, null, 'the NULL key first, as ORDER BY puts it');
      });
    }

    it('splitOrdered cuts a read into key ranges of about equal rows; read side by side (cursor and by key) they join into exactly the one ORDER BY read', async () => {
      const reference = await readReference(datastore, read);
      const ranges = await datastore.splitOrdered(read, 3, 100);
      assert.equal(ranges.length, 3);
      assert.equal(ranges[0]!.after, undefined, 'the first range is open below');
      assert.equal(ranges[2]!.through, undefined, 'the last range is open above');
      assert.deepEqual(ranges[1]!.after, ranges[0]!.through, 'each range starts after the one before ends');
      for (const [label, store] of [
        ['default', datastore],
        ['paged', paged],
      ] as const) {
        const parts = await readRanges(store, read, ranges, 300);
        for (const part of parts)
          assert.ok(part.length > 700 && part.length < 1_000, `${label}: about a third each, got ${parts.map((p) => p.length).join(', ')}`);
        assert.deepEqual(parts.flat(), reference, `${label}: the same rows in the same order`);
        assert.equal(store.state().pool.inUse, 0);
      }
      const east: OrderedRead = { ...read, where: { sql: `${datastore.dialect.quoteIdentifier('site')} = ?`, parameters: ['east'] } };
      const eastRanges = await datastore.splitOrdered(east, 4, 100);
      assert.equal(eastRanges.length, 4, 'the condition is counted: 834 rows, 4 ranges of at least 100');
      assert.deepEqual((await readRanges(paged, east, eastRanges, 50)).flat(), await readReference(datastore, east));
    });

    it('splitOrdered on a key with ties never splits a tie: every row once, in key order, with ranges of uneven size', async () => {
      const tieRead: OrderedRead = {
        table: ties,
        columns: ['k', 'id'],
        keyColumns: ['k'],
        where: { sql: `${datastore.dialect.quoteIdentifier('k')} IS NOT NULL`, parameters: [] },
      };
      const ranges = await datastore.splitOrdered(tieRead, 9, 10);
      assert.ok(ranges.length >= 2 && ranges.length <= 9, `got ${ranges.length} ranges`);
      for (const store of [datastore, paged]) {
        const parts = await readRanges(store, tieRead, ranges, 4);
        const seen = parts.flat().map((row) => JSON.parse(row) as [number, number]);
        assert.deepEqual(
          seen.map(([, id]) => id).sort((a, b) => a - b),
          Array.from({ length: 100 }, (_, id) => id),
          'every row once',
        );
        const keys = seen.map(([k]) => k);
        assert.deepEqual(
          keys,
          [...keys].sort((a, b) => a - b),
          'in key order across the ranges',
        );
        for (const part of parts) assert.ok(part.length > 0, 'no empty range');
      }
    });

    it('splitOrdered gives the whole read as one range where a key part is NULL, where one part is asked for, or where the rows are too few', async () => {
      assert.deepEqual(await datastore.splitOrdered({ table: ties, columns: ['k', 'id'], keyColumns: ['k', 'id'] }, 4, 10), [{}], 'NULL keys');
      assert.deepEqual(await datastore.splitOrdered(read, 1, 10), [{}], 'one part');
      assert.deepEqual(await datastore.splitOrdered(read, 4, 1_300), [{}], '2,503 rows < 2 × 1,300');
      assert.equal((await datastore.splitOrdered(read, 4, 1_000)).length, 2, '2,503 rows: 2 ranges of at least 1,000');
      await assert.rejects(
        datastore.streamOrdered(read, 10, () => undefined, { after: ['north'] }),
        /1 values for 3 key columns/,
      );
    });

    it('a read whose key columns are not selected is refused before anything runs', async () => {
      await assert.rejects(
        datastore.streamOrdered({ table, columns: ['x'], keyColumns: ['site'] }, 10, () => undefined),
        /selects its key columns/,
      );
    });

    it("streamOrdered reads one run's assignments (AssignmentRepository.saveRows wrote them, as runs before migration 7 were stored) in entity-key order, in batches, and none of another run's", async () => {
      await migrate(datastore, APP_MIGRATIONS);
      const repository = new AssignmentRepository(paged);
      const runs = [`stream-ordered-${suffix}-a`, `stream-ordered-${suffix}-b`];
      const q = (name: string) => datastore.dialect.quoteIdentifier(name);
      for (const runId of runs) await datastore.execute(select(`DELETE FROM ${q('ai_run_assignment')} WHERE ${q('run_id')} = ?`, [runId]));
      const assignments = Array.from({ length: 25 }, (_, i) => ({ entityKey: `e${String(24 - i).padStart(2, '0')}`, cluster: i % 4, distance: i / 4 }));
      await datastore.transaction((transaction) => repository.saveRows(runs[0]!, assignments, transaction));
      await datastore.transaction((transaction) => repository.saveRows(runs[1]!, assignments.slice(0, 5), transaction));
      const sizes: number[] = [];
      const read: string[] = [];
      const total = await streamAssignments(paged, runs[0]!, 10, (batch) => {
        sizes.push(batch.length);
        for (const assignment of batch) read.push(`${assignment.entityKey}:${assignment.cluster}:${assignment.distance}`);
        return Promise.resolve();
      });
      assert.equal(total, 25);
      assert.deepEqual(sizes, [10, 10, 5]);
      const expected = [...assignments].sort((a, b) => (a.entityKey < b.entityKey ? -1 : 1)).map((a) => `${a.entityKey}:${a.cluster}:${a.distance}`);
      assert.deepEqual(read, expected);
      for (const runId of runs) await datastore.execute(select(`DELETE FROM ${q('ai_run_assignment')} WHERE ${q('run_id')} = ?`, [runId]));
    });
  });
}

describe('streamOrdered on MariaDB with a case-insensitive key', () => {
  let datastore: Datastore;
  const table = 'ordered_ci_mariadb';

  before(async () => {
    ({ datastore } = await openDatastore(mariadbDatabase()));
    await datastore.execute(ddl(`DROP TABLE IF EXISTS ${table}`));
    // The app's own tables are utf8mb4_bin; a dataset table may well use a *_ci collation, where 'a' = 'A'.
    await datastore.execute(ddl(`CREATE TABLE ${table} (k VARCHAR(10) COLLATE utf8mb4_general_ci NOT NULL, id INT NOT NULL PRIMARY KEY)`));
    const values = ['a', 'A', 'b', 'B', 'c', 'C', 'd', 'D', 'e', 'E', 'f'];
    await datastore.execute(
      select(
        `INSERT INTO ${table} (k, id) VALUES ${values.map(() => '(?, ?)').join(', ')}`,
        values.flatMap((k, id) => [k, id]),
      ),
    );
  });
  after(async () => {
    await datastore?.close();
  });

  it("keys equal under the collation ('a' = 'A') but not in JavaScript are each read once, whatever the page size", async () => {
    for (const pageSize of [1, 2, 3, 4]) {
      const ids: number[] = [];
      await datastore.streamOrdered({ table, columns: ['k', 'id'], keyColumns: ['k'] }, pageSize, (batch) => {
        for (let row = 0; row < batch.length; row++) ids.push(Number(batch.value(row, 1)));
      });
      assert.deepEqual(
        [...ids].sort((a, b) => a - b),
        Array.from({ length: 11 }, (_, id) => id),
        `page size ${pageSize}`,
      );
    }
  });
});

/**
 * PostgreSQL reading through a cursor declared in SQL (SqlDialect.serverCursorStatements), as
 * postgresql.ts would declare it: psqlODBC's own cursor (UseDeclareFetch=0) buffers the whole result.
 */
class ServerCursorPostgresql extends PostgresqlDialect {
  readonly statements: string[] = [];
  override serverCursorStatements(statement: Statement, fetchSize: number): { declare: Statement; fetch: Statement; close: Statement } {
    this.statements.push(statement.sql);
    return {
      declare: { ...statement, sql: `DECLARE aimodel_read NO SCROLL CURSOR FOR ${statement.sql}` },
      fetch: { sql: `FETCH FORWARD ${fetchSize} FROM aimodel_read`, parameters: [], kind: 'select' },
      close: { sql: 'CLOSE aimodel_read', parameters: [], kind: 'other' },
    };
  }
}

describe('streamOrdered on PostgreSQL through a cursor declared in SQL', () => {
  let datastore: Datastore;
  let cursored: Datastore;
  const dialect = new ServerCursorPostgresql();
  const kinds: string[] = [];
  const read: OrderedRead = { table: 'ordered_pg', columns: ['site', 'day', 'n', 'x', 'y'], keyColumns: ['site', 'day', 'n'] };

  before(async () => {
    ({ datastore } = await openDatastore(postgresqlDatabase()));
    ({ datastore: cursored } = await openDatastore(postgresqlDatabase(), { dialect, observer: (event) => kinds.push(event.kind) }));
  });
  after(async () => {
    await datastore?.close();
    await cursored?.close();
  });

  it('gives exactly the rows of one ORDER BY query, 1,000 a FETCH, and with a bound parameter in the declared query', async () => {
    const reference = await readReference(datastore, read);
    assert.equal(reference.length, ORDERED_ROWS, 'the ordered_pg table is there (made by the suite above)');
    kinds.length = 0;
    const { rows, batches } = await readAll(cursored, read, 1_000);
    assert.deepEqual(rows, reference);
    assert.deepEqual(batches, [1_000, 1_000, 503]);
    assert.deepEqual(kinds, ['select', 'select', 'select', 'select', 'select', 'other'], 'DECLARE, 4 FETCHes (the last empty), CLOSE');
    const east: OrderedRead = { ...read, where: { sql: '"site" = ?', parameters: ['east'] } };
    assert.deepEqual((await readAll(cursored, east, 300)).rows, await readReference(datastore, east));
    assert.equal(dialect.statements.length, 2);
    assert.equal(cursored.state().pool.inUse, 0);
  });

  it('an error thrown by the batch handler rolls the cursor transaction back and leaves the connection usable', async () => {
    const boom = new Error('handler failed');
    await assert.rejects(
      cursored.streamOrdered(read, 100, () => {
        throw boom;
      }),
      (error) => error === boom,
    );
    assert.equal(cursored.state().pool.inUse, 0);
    assert.equal((await readAll(cursored, read, 1_000)).rows.length, ORDERED_ROWS);
  });
});
