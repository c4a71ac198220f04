import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { Datastore } from '../../../src/datastore/datastore';
import type { SqlDialect } from '../../../src/datastore/dialects';
import { executeUpsert } from '../../../src/datastore/upsert/execute-upsert';
import type { ColumnDefinition, Row, SqlValue, TableDefinition, UpsertSpec } from '../../../src/datastore/types';
import { ddl, select } from '../../support/databases';
import { compileValuesUpsert } from '../../support/values-upsert';
import { AWKWARD_TEXTS, awkwardDoubles } from '../../support/awkward-values';

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
  /**
   * Rows of the batch that must cross the compiler's per-statement row limit. Default: 5,000 (the
   * multi-row VALUES forms take at most 1,000 rows a statement); 125,000 for the set-based forms (50,000).
   */
  readonly largeBatchRows?: number;
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

    it('a batch crossing the per-statement row limit is upserted whole, in several statements', async (context) => {
      await recreate(outcomeTable);
      const count = target.largeBatchRows ?? 5_000;
      context.diagnostic(`${count} rows`);
      const rows = Array.from({ length: count }, (_, index) => outcomeRow(index));
      const statements = target.compiler.compileUpsert({ table: outcomeTable.name, keyColumns: outcomeTable.primaryKey, columns: OUTCOME_COLUMNS, rows });
      assert.ok(statements.length > 1, `expected the batch to be split, got ${statements.length} statement(s)`);
      await upsert(outcomeTable, rows);
      const stored = await snapshot(outcomeTable);
      assert.equal(stored.length, count);
      const expected = [...rows].sort((a, b) =>
        `${String(a.dataset_id)}/${String(a.entity_key)}`.localeCompare(`${String(b.dataset_id)}/${String(b.entity_key)}`),
      );
      assert.deepEqual(stored, expected);
    });

    it('texts that need escaping (quotes, backslashes, commas, braces, "NULL" beside NULL, "", whitespace, Korean, emoji) round-trip as keys and values', async () => {
      await recreate(outcomeTable);
      const long = 'a"b\\c,{d} NULL 한글 '.repeat(1_300);
      const labels = [...AWKWARD_TEXTS, long, null];
      // The key carries the text after a unique prefix: MariaDB's PAD SPACE collation makes '' and ' ' one key.
      const rows = labels.map((label, index) =>
        outcomeRow(index, { dataset_id: 'texts', entity_key: `${String(index).padStart(2, '0')} ${(label ?? 'null value').slice(0, 40)}`, label }),
      );
      // Where the engine stores '' as NULL (Oracle, Tibero: SqlDialect.emptyStringIsNull), NULL is what it reads back.
      const asStored = (row: Record<string, SqlValue>) => (row.label === '' && target.datastore.dialect.emptyStringIsNull ? { ...row, label: null } : row);
      await upsert(outcomeTable, rows);
      assert.deepEqual(await snapshot(outcomeTable), rows.map(asStored));
      // Updated: every row takes the label of the next one, through the UPDATE branch of the same form.
      const shifted = rows.map((row, index) => ({ ...row, label: labels[(index + 1) % labels.length]! }));
      await upsert(outcomeTable, shifted);
      assert.deepEqual(await snapshot(outcomeTable), shifted.map(asStored));
    });

    it('doubles over the whole range (5e-324 to 1.8e308, 2,000 values) are stored bit for bit', async () => {
      await recreate(singleTable);
      const scores = awkwardDoubles(2_000);
      const rows = scores.map((score, id) => ({ id, name: 'through compileUpsert', score }));
      await upsert(singleTable, rows);
      // The reference: the same doubles bound as binary parameters, one row a statement, by the
      // database's own dialect (the compiler under test may be another database's, e.g. MySQL's on MariaDB).
      const reference: TableDefinition = { ...singleTable, name: `${singleTable.name}_bound` };
      await recreate(reference);
      await target.datastore.executeAll(
        compileValuesUpsert(target.datastore.dialect, { table: reference.name, keyColumns: reference.primaryKey, columns: reference.columns, rows }, 1),
      );
      const q = (name: string) => target.datastore.dialect.quoteIdentifier(name);
      const [equal] = await target.datastore.query(
        select(
          `SELECT COUNT(*) AS n FROM ${q(singleTable.name)} a JOIN ${q(reference.name)} b ON a.${q('id')} = b.${q('id')} WHERE a.${q('score')} = b.${q('score')}`,
        ),
      );
      assert.equal(Number(Object.values(equal!)[0]), scores.length, 'every stored double equals the same double bound as a parameter');
      // The SQLite ODBC driver reads doubles back with 15 significant digits; the others read them exactly.
      if (target.datastore.dialect.variant !== 'sqlite') {
        const stored = await snapshot(singleTable);
        stored.forEach((row, id) => assert.ok(Object.is(row.score, scores[id]), `row ${id}: stored ${String(row.score)}, sent ${scores[id]}`));
      }
    });

    it('a batch of 20 million characters (1,000 rows of 20,000) is split under the per-statement size budget and upserted whole', async () => {
      await recreate(outcomeTable);
      const rows = Array.from({ length: 1_000 }, (_, index) =>
        outcomeRow(index, { label: `${index}:`.padEnd(20_000, String.fromCharCode(97 + (index % 26))) }),
      );
      const statements = target.compiler.compileUpsert({ table: outcomeTable.name, keyColumns: outcomeTable.primaryKey, columns: OUTCOME_COLUMNS, rows });
      assert.ok(statements.length > 1, `expected the batch to be split by size, got ${statements.length} statement(s)`);
      await upsert(outcomeTable, rows);
      const q = (name: string) => target.datastore.dialect.quoteIdentifier(name);
      const stored = await target.datastore.query(select(`SELECT ${q('entity_key')}, ${q('label')} FROM ${q(outcomeTable.name)} ORDER BY ${q('entity_key')}`));
      assert.equal(stored.length, 1_000);
      const expected = new Map(rows.map((row) => [row.entity_key, row.label]));
      for (const row of stored) assert.ok(row.label === expected.get(String(row.entity_key)), `label of ${String(row.entity_key)}`);
    });

    it('a wide batch (40 columns × 2,000 rows, 80,000 values) is split under the bind-parameter limit and upserted whole', async () => {
      const wide: TableDefinition = {
        name: `${tablePrefix}_wide`,
        columns: [
          { name: 'id', type: 'integer', nullable: false },
          ...Array.from({ length: 39 }, (_, index) => ({ name: `f${index}`, type: 'double' as const })),
        ],
        primaryKey: ['id'],
      };
      await recreate(wide);
      const rows = Array.from({ length: 2_000 }, (_, id) =>
        Object.fromEntries<SqlValue>([['id', id], ...Array.from({ length: 39 }, (_, index): [string, SqlValue] => [`f${index}`, id + index / 100])]),
      );
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

    it('one NULL in a 3,000-row batch written in one transaction (executeUpsert, as a run writes) stays in its row: every value read back is the value written', async () => {
      await recreate(outcomeTable);
      // Row 1005 sits in the second statement of the 1,000-row forms (the third of the 500-row MERGE):
      // a NULL bound there must not carry over to the same position of the statements after it.
      const rows = Array.from({ length: 3_000 }, (_, index) => outcomeRow(index, { distance: index === 1_005 ? null : index + 0.25 }));
      await target.datastore.transaction((transaction) =>
        executeUpsert(
          { ...transaction, dialect: target.compiler },
          { table: outcomeTable.name, keyColumns: outcomeTable.primaryKey, columns: OUTCOME_COLUMNS, rows },
        ),
      );
      const stored = new Map((await snapshot(outcomeTable)).map((row) => [`${String(row.dataset_id)}/${String(row.entity_key)}`, row]));
      assert.equal(stored.size, rows.length);
      const differing = rows.filter((row) => !isDeepStrictEqual(stored.get(`${String(row.dataset_id)}/${String(row.entity_key)}`), row));
      assert.deepEqual(
        differing.map((row) => ({ written: row, read: stored.get(`${String(row.dataset_id)}/${String(row.entity_key)}`) })),
        [],
        `${differing.length} rows read back differently`,
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
      await upsert(
        outcomeTable,
        Array.from({ length: 100 }, (_, index) => outcomeRow(index)),
      );
      const before = await snapshot(outcomeTable);
      // The first statements (at most 40% of the rows) update or insert fine; the row at 70% breaks NOT NULL.
      const count = target.largeBatchRows ?? 5_000;
      const failing = Math.floor(count * 0.7);
      const rows = Array.from({ length: count }, (_, index) => outcomeRow(index, { cluster: index === failing ? null : 99 }));
      const statements = target.compiler.compileUpsert({ table: outcomeTable.name, keyColumns: outcomeTable.primaryKey, columns: OUTCOME_COLUMNS, rows });
      assert.ok(statements.length > 2, `expected at least 3 statements, got ${statements.length}`);
      await assert.rejects(upsert(outcomeTable, rows), (error: { code?: string }) => {
        assert.ok(error.code === 'DB_CONSTRAINT_VIOLATION' || error.code === 'DB_ERROR', `unexpected code ${error.code}`);
        return true;
      });
      assert.deepEqual(await snapshot(outcomeTable), before);
    });

    it("newKeysOnly (a new run's assignments): new rows are inserted; where the dialect writes a plain INSERT, an existing key fails and the batch leaves nothing", async () => {
      await recreate(outcomeTable);
      const spec = (rows: Record<string, SqlValue>[]): UpsertSpec => ({
        table: outcomeTable.name,
        keyColumns: outcomeTable.primaryKey,
        columns: OUTCOME_COLUMNS,
        rows,
        newKeysOnly: true,
      });
      const rows = Array.from({ length: 2_000 }, (_, index) => outcomeRow(index));
      await target.datastore.executeAll(target.compiler.compileUpsert(spec(rows)));
      const inserted = await snapshot(outcomeTable);
      const byKey = (row: Row | Record<string, SqlValue>) => `${String(row.dataset_id)}/${String(row.entity_key)}`;
      assert.deepEqual(
        inserted,
        [...rows].sort((a, b) => (byKey(a) < byKey(b) ? -1 : 1)),
      );
      if (target.compiler.variant === 'oracle' || target.compiler.variant === 'tibero') return; // MERGE either way
      const clash = [outcomeRow(5_000), outcomeRow(3, { cluster: 99 }), outcomeRow(5_001)];
      await assert.rejects(target.datastore.executeAll(target.compiler.compileUpsert(spec(clash))), (error: { code?: string }) => {
        assert.equal(error.code, 'DB_CONSTRAINT_VIOLATION');
        return true;
      });
      assert.deepEqual(await snapshot(outcomeTable), inserted);
    });

    it('newKeysOnly with a key repeated inside the batch is refused (by the database where it is a plain INSERT, up front for a MERGE) and the batch leaves nothing', async () => {
      await recreate(outcomeTable);
      const before = [outcomeRow(1)];
      await upsert(outcomeTable, before);
      const rows = [...Array.from({ length: 1_500 }, (_, index) => outcomeRow(index + 10)), outcomeRow(700, { cluster: 5 })];
      const statements = () =>
        target.compiler.compileUpsert({ table: outcomeTable.name, keyColumns: outcomeTable.primaryKey, columns: OUTCOME_COLUMNS, rows, newKeysOnly: true });
      const variant = target.compiler.variant;
      if (variant === 'oracle' || variant === 'tibero') {
        assert.throws(
          () =>
            target.compiler.compileUpsert({ table: outcomeTable.name, keyColumns: outcomeTable.primaryKey, columns: OUTCOME_COLUMNS, rows, newKeysOnly: true }),
          {
            code: 'UPSERT_INVALID',
            message: /row 1500 repeats key/,
          },
        );
      } else {
        await assert.rejects(target.datastore.executeAll(statements()), { code: 'DB_CONSTRAINT_VIOLATION' });
      }
      assert.deepEqual(await snapshot(outcomeTable), before);
    });

    it('sharedValues: a value given once for every row (a run id) is written in every row, as if each row held it, with and without newKeysOnly', async () => {
      await recreate(outcomeTable);
      const shared = { dataset_id: 'ds-shared', published_at: PUBLISHED };
      const rows = Array.from({ length: 2_500 }, (_, index) => {
        const { dataset_id: _dataset, published_at: _published, ...rest } = outcomeRow(index);
        return rest;
      });
      const spec: UpsertSpec = {
        table: outcomeTable.name,
        keyColumns: outcomeTable.primaryKey,
        columns: OUTCOME_COLUMNS,
        rows,
        newKeysOnly: true,
        sharedValues: shared,
      };
      await target.datastore.executeAll(target.compiler.compileUpsert(spec));
      const expected = rows.map((row) => ({ ...outcomeRow(0), ...row, ...shared }));
      const byKey = (row: Row | Record<string, SqlValue>) => `${String(row.dataset_id)}/${String(row.entity_key)}`;
      assert.deepEqual(
        await snapshot(outcomeTable),
        [...expected].sort((a, b) => (byKey(a) < byKey(b) ? -1 : 1)),
      );
      // Updating through an UPSERT with the same shared values changes the rows named, nothing else.
      const changed = rows.slice(0, 1_200).map((row) => ({ ...row, cluster: 42 }));
      await target.datastore.executeAll(target.compiler.compileUpsert({ ...spec, rows: changed, newKeysOnly: false }));
      const after = expected.map((row, index) => (index < 1_200 ? { ...row, cluster: 42 } : row));
      assert.deepEqual(
        await snapshot(outcomeTable),
        [...after].sort((a, b) => (byKey(a) < byKey(b) ? -1 : 1)),
      );
    });

    it('an UPSERT from a SELECT (compileUpsertFromSelect): the selected rows inserted or updated, typed parameters bound, other rows untouched', async () => {
      // The source holds two runs' rows; the SELECT takes run "b" only and binds the dataset and the time.
      const source: TableDefinition = {
        name: `${tablePrefix}_source`,
        columns: [
          { name: 'run_id', type: 'string', length: 64, nullable: false },
          { name: 'entity_key', type: 'string', length: 128, nullable: false },
          { name: 'cluster', type: 'integer', nullable: false },
          { name: 'distance', type: 'double' },
          { name: 'label', type: 'text' },
        ],
        primaryKey: ['run_id', 'entity_key'],
      };
      await recreate(source);
      await recreate(outcomeTable);
      const sourceRows = ['a', 'b'].flatMap((run) =>
        Array.from({ length: 1_500 }, (_, index) => ({
          run_id: run,
          entity_key: `entity-${String(index).padStart(5, '0')}`,
          cluster: run === 'a' ? 1 : index % 5,
          distance: index / 8,
          label: `${run} ${index} 한국어`,
        })),
      );
      await target.datastore.executeAll(
        target.datastore.dialect.compileUpsert({ table: source.name, keyColumns: source.primaryKey, columns: source.columns, rows: sourceRows }),
      );
      // Before: entity-00000…00999 of ds-b hold other values (updated), ds-other keeps its row (untouched).
      const existing = Array.from({ length: 1_000 }, (_, index) => outcomeRow(index, { dataset_id: 'ds-b', cluster: 99, distance: null, label: null }));
      await upsert(outcomeTable, [...existing, outcomeRow(7, { dataset_id: 'ds-other' })]);

      const compiler = target.compiler;
      const q = (name: string) => compiler.quoteIdentifier(name);
      const column = (name: string) => OUTCOME_COLUMNS.find((candidate) => candidate.name === name)!;
      const statements = compiler.compileUpsertFromSelect(
        { table: outcomeTable.name, keyColumns: outcomeTable.primaryKey, columns: OUTCOME_COLUMNS },
        {
          sql:
            `SELECT ${compiler.parameterSql(column('dataset_id'))} AS ${q('dataset_id')}, ${q('entity_key')}, ${q('cluster')}, ${q('distance')}, ${q('label')}, ` +
            `${compiler.parameterSql(column('published_at'))} AS ${q('published_at')} FROM ${q(source.name)} WHERE ${q('run_id')} = ?`,
          parameters: ['ds-b', PUBLISHED, 'b'],
          kind: 'select',
        },
      );
      await target.datastore.executeAll(statements);
      const expected = [
        ...sourceRows
          .filter((row) => row.run_id === 'b')
          .map((row) => ({
            dataset_id: 'ds-b',
            entity_key: row.entity_key,
            cluster: row.cluster,
            distance: row.distance,
            label: row.label,
            published_at: PUBLISHED,
          })),
        outcomeRow(7, { dataset_id: 'ds-other' }),
      ];
      assert.deepEqual(await snapshot(outcomeTable), expected);
      // Again: the same rows, nothing duplicated.
      await target.datastore.executeAll(statements);
      assert.deepEqual(await snapshot(outcomeTable), expected);
    });
  });
}
