import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Datastore } from '../../../src/datastore/datastore';
import { dialectFor, refineForServer } from '../../../src/datastore/dialects';
import { TiberoDialect } from '../../../src/datastore/dialects/tibero';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import type { RowBatch } from '../../../src/datastore/row-batch';
import type { ColumnDefinition, KeyRange, OrderedRead, Row, SqlValue } from '../../../src/datastore/types';
import { DatasetTableRepository } from '../../../src/modules/dataset/dataset-table.repository';
import { CatalogRepository } from '../../../src/modules/dataset/catalog.repository';
import { OutcomeRepository } from '../../../src/modules/outcome/outcome.repository';
import { AssignmentRepository, type Assignment } from '../../../src/modules/run/assignment.repository';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { ddl, select, tiberoDatabase } from '../../support/databases';
import { APP_TABLE_NAMES, TIBERO_6_FS06_VERSION, withTablePrefix } from '../../support/round-trip-targets';
import { runRecord } from '../../support/runs';
import { everyEntityPage, everyRunPage } from '../../support/keyset-pages';

/**
 * The Tibero dialect as refined for a Tibero 6 before FS07, which has no OFFSET/FETCH: every page is the
 * ROWNUM wrapper and every capped count a ROWNUM filter, here executed on H2 in Oracle mode (which has
 * ROWNUM). Pages, previews, key-ordered reads (by cursor and by key), key ranges and the repositories'
 * pages are compared value for value with one plain ORDER BY query of the same rows.
 */
const TABLE = 'rownum_ordered';
const PREFIX = 'rownum_';
const ROWS = 1_003;
const COLUMNS: ColumnDefinition[] = [
  { name: 'site', type: 'string', length: 20, nullable: false },
  { name: 'day', type: 'timestamp', nullable: false },
  { name: 'n', type: 'bigint', nullable: false },
  { name: 'x', type: 'double' },
  { name: 'y', type: 'double' },
];
const READ: OrderedRead = { table: TABLE, columns: COLUMNS.map((column) => column.name), keyColumns: ['site', 'day', 'n'] };

/** Three sites (ties on the leading key), seven days, NULL features on every eleventh row. */
function rows(): Record<string, SqlValue>[] {
  const sites = ['north', 'south', 'east'];
  return Array.from({ length: ROWS }, (_, i) => ({
    site: sites[i % 3]!,
    day: new Date(Date.UTC(2024, 1, 27 + (i % 7), i % 24, 0, 0, i % 1000)),
    n: 1_000_000 + i,
    x: i % 11 === 0 ? null : i / 8,
    y: -i,
  }));
}

/** The Tibero dialect of an old server, through the app's own refinement. */
function oldTibero(): TiberoDialect {
  const dialect = refineForServer(dialectFor('tibero'), TIBERO_6_FS06_VERSION);
  assert.ok(dialect instanceof TiberoDialect && !dialect.offsetFetch, 'refined for a Tibero 6 before FS07');
  return dialect;
}

/** The same dialect reading in key order page by page (its probes are ROWNUM pages too). */
class OldTiberoPagingByKey extends TiberoDialect {
  override readonly reliableCursorFetch: boolean = false;
}

const describeRow = (values: readonly unknown[]) => JSON.stringify(values.map((value) => (value instanceof Date ? value.toISOString() : value)));
const describeRecord = (row: Row) => describeRow(READ.columns.map((name) => row[name]));
const describeBatch = (batch: RowBatch) =>
  Array.from({ length: batch.length }, (_, row) => describeRow(READ.columns.map((_, column) => batch.value(row, column))));

describe('the Tibero dialect of a Tibero 6 before FS07 (ROWNUM paging), on H2 in Oracle mode', () => {
  const database = tiberoDatabase();
  let datastore: Datastore;
  let pagedByKey: Datastore;
  let reference: string[];

  const open = (dialect: TiberoDialect) =>
    Datastore.create({
      connectionString: database.connectionString,
      dialect,
      poolMax: 4,
      acquireTimeoutMs: 10_000,
      queryTimeoutMs: 60_000,
      idleTimeoutMs: 60_000,
    });

  before(async () => {
    // Not detectServer: the engine reports Tibero 7, which would refine the dialect to OFFSET/FETCH.
    datastore = open(oldTibero());
    pagedByKey = open(new OldTiberoPagingByKey(TIBERO_6_FS06_VERSION));
    const dialect = datastore.dialect;
    await datastore.execute(ddl(`DROP TABLE IF EXISTS ${dialect.quoteIdentifier(TABLE)}`));
    await datastore.execute(dialect.compileCreateTable({ name: TABLE, columns: COLUMNS, primaryKey: READ.keyColumns }));
    await datastore.executeAll(dialect.compileUpsert({ table: TABLE, keyColumns: READ.keyColumns, columns: COLUMNS, rows: rows() }));
    const q = (name: string) => dialect.quoteIdentifier(name);
    reference = (await datastore.query(select(`SELECT ${READ.columns.map(q).join(', ')} FROM ${q(TABLE)} ORDER BY ${READ.keyColumns.map(q).join(', ')}`))).map(
      describeRecord,
    );
    assert.equal(reference.length, ROWS);
  });
  after(async () => {
    await datastore?.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(TABLE)}`));
    await datastore?.close();
    await pagedByKey?.close();
  });

  it('pages and capped counts are the ROWNUM forms', () => {
    const statement = datastore.dialect.compileOrderedSelect(READ);
    assert.match(
      datastore.dialect.paginate(statement, { limit: 10, offset: 20 }).sql,
      /ROWNUM rn_ FROM \(.*\) r_ WHERE ROWNUM <= CAST\(\? AS NUMBER\)\) WHERE rn_ > CAST\(\? AS NUMBER\) ORDER BY rn_$/,
    );
    assert.match(datastore.dialect.firstRows(statement, 10).sql, /WHERE ROWNUM <= CAST\(\? AS NUMBER\)$/);
  });

  it('pages of 37 rows give exactly the rows of one ORDER BY query, value for value, with only the query’s own columns', async () => {
    const statement = datastore.dialect.compileOrderedSelect(READ);
    const columns = Object.keys((await datastore.query(statement))[0]!);
    const paged: string[] = [];
    for (let offset = 0; ; offset += 37) {
      const page = await datastore.query(datastore.dialect.paginate(statement, { limit: 37, offset }));
      for (const row of page) assert.deepEqual(Object.keys(row), columns, 'no row number among the columns');
      paged.push(...page.map(describeRecord));
      if (page.length < 37) break;
    }
    assert.deepEqual(paged, reference);
  });

  it('a preview (SELECT * of the table) by page: the rows at that offset with the table’s own columns only', async () => {
    const columns = (await new CatalogRepository(datastore).columnsOf([TABLE])).get(TABLE)!;
    const preview = await new DatasetTableRepository(datastore).preview(TABLE, READ.keyColumns, columns, { limit: 10, offset: 500 });
    assert.equal(preview.length, 11, 'limit + 1 rows');
    for (const row of preview) assert.deepEqual(Object.keys(row).sort(), [...READ.columns].sort());
    assert.deepEqual(preview.map(describeRecord), reference.slice(500, 511));
  });

  it('rowsUpTo counts below its cap and stops at it (ROWNUM in a derived table, no ORDER BY)', async () => {
    const tables = new DatasetTableRepository(datastore);
    assert.equal(await tables.rowsUpTo(TABLE, ['x', 'y'], { completeOnly: true, cap: 5_000 }), ROWS - Math.ceil(ROWS / 11));
    assert.equal(await tables.rowsUpTo(TABLE, ['x', 'y'], { completeOnly: false, cap: 5_000 }), ROWS);
    assert.equal(await tables.rowsUpTo(TABLE, ['x', 'y'], { completeOnly: false, cap: 17 }), 17);
  });

  it('read in key order page by page (probes are ROWNUM pages): every row once, as the ORDER BY query gives them', async () => {
    for (const pageSize of [1_000, 250, 7]) {
      const read: string[] = [];
      const batches: number[] = [];
      await pagedByKey.streamOrdered(READ, pageSize, (batch) => {
        batches.push(batch.length);
        read.push(...describeBatch(batch));
      });
      assert.deepEqual(read, reference, `page size ${pageSize}`);
      assert.equal(batches.length, Math.ceil(ROWS / pageSize), `page size ${pageSize}`);
    }
  });

  it('splitOrdered cuts the read into 3 key ranges (ROWNUM probes); read side by side, by cursor and by key, they join into the ORDER BY read', async () => {
    const ranges = await datastore.splitOrdered(READ, 3, 100);
    assert.equal(ranges.length, 3);
    for (const [label, store] of [
      ['cursor', datastore],
      ['by key', pagedByKey],
    ] as const) {
      const parts = await Promise.all(
        ranges.map(async (range: KeyRange) => {
          const part: string[] = [];
          await store.streamOrdered(READ, 100, (batch) => void part.push(...describeBatch(batch)), range);
          return part;
        }),
      );
      for (const part of parts) assert.ok(part.length > 250 && part.length < 420, `${label}: about a third each, got ${parts.map((p) => p.length).join(', ')}`);
      assert.deepEqual(parts.flat(), reference, `${label}: the same rows in the same order`);
    }
  });

  describe("the repositories' pages (app tables prefixed rownum_)", () => {
    let store: Datastore;
    const RUN_ID = 'rownum-run';
    const DATASET_ID = 'rownum-dataset';
    const assignments: Assignment[] = Array.from({ length: 230 }, (_, i) => ({
      entityKey: `entity-${String(i).padStart(4, '0')}`,
      cluster: i % 5,
      distance: i / 3,
    }));

    const dropAppTables = async () => {
      for (const name of APP_TABLE_NAMES) await store.execute(ddl(`DROP TABLE IF EXISTS ${store.dialect.quoteIdentifier(name)}`));
    };

    before(async () => {
      store = open(withTablePrefix(oldTibero(), PREFIX));
      await dropAppTables();
      await migrate(store, APP_MIGRATIONS);
    });
    after(async () => {
      if (!store) return;
      await dropAppTables();
      await store.close();
    });

    it('assignments and outcomes by page of 40 (a run stored one row per entity, before migration 7): every one once, in entity-key order, value for value', async () => {
      await store.transaction((transaction) => new AssignmentRepository(store).saveRows(RUN_ID, assignments, transaction));
      const scoredAt = new Date('2026-12-03T04:05:06.007Z');
      await store.transaction((transaction) =>
        new OutcomeRepository(store).publishFromAssignments(RUN_ID, 'ai_cluster_outcome', DATASET_ID, scoredAt, transaction),
      );
      const pagedAssignments = await everyEntityPage(40, (page) => new AssignmentRepository(store).page(RUN_ID, null, page));
      const pagedOutcomes = (await everyEntityPage(40, (page) => new OutcomeRepository(store).page('ai_cluster_outcome', DATASET_ID, page))).map((row) =>
        describeRow([row.entityKey, row.datasetId, row.runId, row.cluster, row.distance, row.scoredAt]),
      );
      assert.deepEqual(pagedAssignments, assignments);
      assert.deepEqual(
        pagedOutcomes,
        assignments.map((a) => describeRow([a.entityKey, DATASET_ID, RUN_ID, a.cluster, a.distance, scoredAt])),
      );
    });

    it('runs listed by page of 3, newest first: every run once, in order', async () => {
      const runs = new RunRepository(store);
      const inserted = Array.from({ length: 8 }, (_, i) => runRecord(DATASET_ID, { createdAt: new Date(Date.UTC(2026, 11, 3, 0, i)) }));
      for (const run of inserted) await runs.insert(run);
      const listed = (
        await everyRunPage(3, 'CREATED_AT', (page) => runs.list({ datasetIds: [DATASET_ID] }, { field: 'CREATED_AT', direction: 'DESC' }, page))
      ).map((run) => run.id);
      assert.deepEqual(
        listed,
        [...inserted].reverse().map((run) => run.id),
      );
    });
  });
});
