import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import type { SqlDialect } from '../../../src/datastore/dialects';
import type { ColumnDefinition, Row, SqlValue, TableDefinition, UpsertSpec } from '../../../src/datastore/types';
import { ddl, select } from '../../support/databases';

/**
 * The UPSERT conformance scenarios, run unchanged against every target: a real database through its
 * ODBC driver, with the UPSERT compiled by that database's dialect (or, for Oracle and Tibero, their
 * MERGE run on PostgreSQL).
 */
export interface UpsertTarget {
  readonly datastore: Datastore;
  /** The dialect that compiles the UPSERT; the datastore's own dialect creates and reads the tables. */
  readonly compiler: SqlDialect;
  readonly serverVersion: string;
}

const OUTCOME_COLUMNS: readonly ColumnDefinition[] = [
  { name: 'dataset_id', type: 'string', length: 64, nullable: false },
  { name: 'entity_key', type: 'string', length: 128, nullable: false },
  { name: 'cluster', type: 'integer', nullable: false },
  { name: 'distance', type: 'double' },
  { name: 'label', type: 'text' },
  { name: 'published_at', type: 'timestamp' },
];

const SINGLE_COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'name', type: 'string', length: 100, nullable: false },
  { name: 'score', type: 'double' },
];

const PUBLISHED = new Date(Date.UTC(2026, 10, 26, 9, 30, 15, 250));

function outcomeRow(index: number, overrides: Partial<Record<string, SqlValue>> = {}): Record<string, SqlValue> {
  return {
    dataset_id: `ds-${index % 3}`,
    entity_key: `entity-${String(index).padStart(5, '0')}`,
    cluster: index % 7,
    distance: index / 8,
    label: `cluster ${index % 7}`,
    published_at: PUBLISHED,
    ...overrides,
  };
}

export function describeUpsertConformance(label: string, connect: () => Promise<UpsertTarget>, tablePrefix: string): void {
  describe(`UPSERT conformance on ${label}`, () => {
    let target: UpsertTarget;
    const outcomeTable: TableDefinition = { name: `${tablePrefix}_outcome`, columns: OUTCOME_COLUMNS, primaryKey: ['dataset_id', 'entity_key'] };
    const singleTable: TableDefinition = { name: `${tablePrefix}_single`, columns: SINGLE_COLUMNS, primaryKey: ['id'] };

    before(async () => {
      target = await connect();
    });
    after(async () => {
      await target?.datastore.close();
    });

    async function recreate(table: TableDefinition): Promise<void> {
      const dialect = target.datastore.dialect;
      await target.datastore.execute(ddl(`DROP TABLE IF EXISTS ${dialect.quoteIdentifier(table.name)}`));
      await target.datastore.execute(dialect.compileCreateTable(table));
    }

    function upsert(table: TableDefinition, rows: Record<string, SqlValue>[]): Promise<number> {
      const spec: UpsertSpec = { table: table.name, keyColumns: table.primaryKey, columns: table.columns, rows };
      return target.datastore.executeAll(target.compiler.compileUpsert(spec));
    }

    function snapshot(table: TableDefinition): Promise<Row[]> {
      const dialect = target.datastore.dialect;
      const order = table.primaryKey.map((name) => dialect.quoteIdentifier(name)).join(', ');
      const columns = table.columns.map((column) => dialect.quoteIdentifier(column.name)).join(', ');
      return target.datastore.query(select(`SELECT ${columns} FROM ${dialect.quoteIdentifier(table.name)} ORDER BY ${order}`));
    }

    it('connects and names the server it runs against', (context) => {
      context.diagnostic(`server: ${target.serverVersion}; UPSERT compiled by the ${target.compiler.variant} dialect`);
      assert.ok(target.serverVersion.length > 0);
    });

    it('new keys are inserted with every value as given', async () => {
      await recreate(outcomeTable);
      const rows = [0, 1, 2].map((index) => outcomeRow(index));
      await upsert(outcomeTable, rows);
      assert.deepEqual(await snapshot(outcomeTable), rows);
    });

    it('existing keys are updated, not duplicated', async () => {
      await recreate(singleTable);
      await upsert(singleTable, [
        { id: 1, name: 'first', score: 1.5 },
        { id: 2, name: 'second', score: 2.5 },
      ]);
      await upsert(singleTable, [
        { id: 1, name: 'first, updated', score: 10.25 },
        { id: 2, name: 'second, updated', score: -3 },
      ]);
      assert.deepEqual(await snapshot(singleTable), [
        { id: 1, name: 'first, updated', score: 10.25 },
        { id: 2, name: 'second, updated', score: -3 },
      ]);
    });

    it('a mixed batch inserts the new keys and updates the existing ones', async () => {
      await recreate(singleTable);
      await upsert(singleTable, [
        { id: 1, name: 'kept key', score: 1 },
        { id: 3, name: 'untouched', score: 3 },
      ]);
      await upsert(singleTable, [
        { id: 1, name: 'kept key, new value', score: 11 },
        { id: 2, name: 'brand new', score: 2 },
      ]);
      assert.deepEqual(await snapshot(singleTable), [
        { id: 1, name: 'kept key, new value', score: 11 },
        { id: 2, name: 'brand new', score: 2 },
        { id: 3, name: 'untouched', score: 3 },
      ]);
    });

    it('a 5,000-row batch crossing the per-statement limit is upserted whole, in several statements', async () => {
      await recreate(outcomeTable);
      const rows = Array.from({ length: 5_000 }, (_, index) => outcomeRow(index));
      const statements = target.compiler.compileUpsert({ table: outcomeTable.name, keyColumns: outcomeTable.primaryKey, columns: OUTCOME_COLUMNS, rows });
      assert.ok(statements.length > 1, `expected the batch to be split, got ${statements.length} statement(s)`);
      await upsert(outcomeTable, rows);
      const stored = await snapshot(outcomeTable);
      assert.equal(stored.length, 5_000);
      const expected = [...rows].sort((a, b) => `${a.dataset_id}/${a.entity_key}`.localeCompare(`${b.dataset_id}/${b.entity_key}`));
      assert.deepEqual(stored, expected);
    });

    it('a wide batch (40 columns × 2,000 rows, 80,000 values) is split under the bind-parameter limit and upserted whole', async () => {
      const wide: TableDefinition = {
        name: `${tablePrefix}_wide`,
        columns: [{ name: 'id', type: 'integer', nullable: false }, ...Array.from({ length: 39 }, (_, index) => ({ name: `f${index}`, type: 'double' as const }))],
        primaryKey: ['id'],
      };
      await recreate(wide);
      const rows = Array.from({ length: 2_000 }, (_, id) => Object.fromEntries([['id', id], ...Array.from({ length: 39 }, (_, index) => [`f${index}`, id + index / 100])]));
      const statements = target.compiler.compileUpsert({ table: wide.name, keyColumns: ['id'], columns: wide.columns, rows });
      for (const statement of statements) assert.ok(statement.parameters.length <= target.compiler.maxBindParameters);
      await upsert(wide, rows);
      const stored = await snapshot(wide);
      assert.equal(stored.length, 2_000);
      assert.deepEqual(stored[1_999], rows[1_999]);
    });

    it('composite keys: rows differing in one key part are distinct, equal in both are updated', async () => {
      await recreate(outcomeTable);
      await upsert(outcomeTable, [
        outcomeRow(1, { dataset_id: 'a', entity_key: 'x', cluster: 1 }),
        outcomeRow(2, { dataset_id: 'b', entity_key: 'x', cluster: 2 }),
        outcomeRow(3, { dataset_id: 'a', entity_key: 'y', cluster: 3 }),
      ]);
      await upsert(outcomeTable, [outcomeRow(4, { dataset_id: 'b', entity_key: 'x', cluster: 6 })]);
      const stored = await snapshot(outcomeTable);
      assert.deepEqual(
        stored.map((row) => [row.dataset_id, row.entity_key, row.cluster]),
        [
          ['a', 'x', 1],
          ['a', 'y', 3],
          ['b', 'x', 6],
        ],
      );
    });

    it('NULLs are inserted, and an update can set a value back to NULL', async () => {
      await recreate(outcomeTable);
      await upsert(outcomeTable, [outcomeRow(1, { distance: null, label: null, published_at: null })]);
      assert.deepEqual(await snapshot(outcomeTable), [outcomeRow(1, { distance: null, label: null, published_at: null })]);
      await upsert(outcomeTable, [outcomeRow(1, { distance: 4.5 })]);
      await upsert(outcomeTable, [outcomeRow(1, { distance: null })]);
      assert.equal((await snapshot(outcomeTable))[0]?.distance, null);
    });

    it('Korean text round-trips in keys and values, including a 20,000-character text value', async () => {
      await recreate(outcomeTable);
      const long = '미세먼지 나쁨 — 군집 ① '.repeat(1_250);
      const rows = [
        outcomeRow(1, { dataset_id: '대기질', entity_key: '서울특별시 강남구 측정소', label: long }),
        outcomeRow(2, { dataset_id: '대기질', entity_key: '부산광역시 해운대구 측정소', label: '좋음' }),
      ];
      await upsert(outcomeTable, rows);
      assert.equal((await snapshot(outcomeTable))[1]?.label, long);
      await upsert(outcomeTable, [{ ...rows[0]!, label: '보통' }]);
      const stored = await snapshot(outcomeTable);
      assert.deepEqual(
        stored.map((row) => [row.entity_key, row.label]),
        [
          ['부산광역시 해운대구 측정소', '좋음'],
          ['서울특별시 강남구 측정소', '보통'],
        ],
      );
    });

    it('the same batch applied twice changes nothing the second time', async () => {
      await recreate(outcomeTable);
      const rows = Array.from({ length: 1_200 }, (_, index) => outcomeRow(index));
      await upsert(outcomeTable, rows);
      const once = await snapshot(outcomeTable);
      await upsert(outcomeTable, rows);
      assert.deepEqual(await snapshot(outcomeTable), once);
    });

    it('a failure in the middle of a batch leaves the table exactly as it was', async () => {
      await recreate(outcomeTable);
      await upsert(outcomeTable, Array.from({ length: 100 }, (_, index) => outcomeRow(index)));
      const before = await snapshot(outcomeTable);
      // Rows 0–2,999 update or insert fine and land in the first statements; row 3,500 breaks NOT NULL.
      const rows = Array.from({ length: 5_000 }, (_, index) => outcomeRow(index, { cluster: index === 3_500 ? null : 99 }));
      await assert.rejects(upsert(outcomeTable, rows), (error: { code?: string }) => {
        assert.ok(error.code === 'DB_CONSTRAINT_VIOLATION' || error.code === 'DB_ERROR', `unexpected code ${error.code}`);
        return true;
      });
      assert.deepEqual(await snapshot(outcomeTable), before);
    });
  });
}
