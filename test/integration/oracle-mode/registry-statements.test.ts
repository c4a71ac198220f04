import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AppError } from '../../../src/errors/app-error';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import type { ColumnDefinition, ColumnType, TableDefinition } from '../../../src/datastore/types';
import { CatalogRepository } from '../../../src/modules/dataset/catalog.repository';
import type { DatasetRecord } from '../../../src/modules/dataset/dataset.record';
import { DatasetRepository } from '../../../src/modules/dataset/dataset.repository';
import { DatasetTableRepository } from '../../../src/modules/dataset/dataset-table.repository';
import { DEFAULT_OUTCOME_TABLE, outcomeTableDefinition } from '../../../src/modules/outcome/outcome-table';
import { AssignmentRepository } from '../../../src/modules/run/assignment.repository';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { openRoundTripStore, ROUND_TRIP_TARGETS, type RoundTripStore } from '../../support/round-trip-targets';
import { runRecord } from '../../support/runs';

/**
 * The registry's statements the round trip does not reach, on the Oracle and Tibero dialects on H2 in
 * Oracle mode: the catalog as registerDataset reads it; datasets inserted,
 * updated, listed and found, a duplicate name refused; the dataset lock, the count of its active runs
 * and its delete with every run, assignment and outcome; a dataset's rows previewed page by page.
 */
const ORACLE_TYPES: Record<ColumnType, string> = {
  string: 'VARCHAR2',
  text: 'CLOB',
  integer: 'NUMBER',
  bigint: 'NUMBER',
  double: 'BINARY_DOUBLE',
  timestamp: 'TIMESTAMP(3)',
  boolean: 'NUMBER',
};
const POINTS = 'omreg_points';
const OUTCOME = 'omreg_outcome';
const POINT_COLUMNS: readonly ColumnDefinition[] = [
  { name: 'region', type: 'string', length: 16, nullable: false },
  { name: 'seq', type: 'integer', nullable: false },
  { name: 'x', type: 'double' },
  { name: 'label', type: 'string', length: 32 },
];
const POINT_ROWS = Array.from({ length: 17 }, (_, index) => ({
  region: ['서울', 'busan', 'Daegu'][index % 3]!,
  seq: 100 - index,
  x: index % 4 === 0 ? null : index / 3,
  label: `행 ${index}`,
}));

function dataset(id: string, name: string, changes: Partial<DatasetRecord> = {}): DatasetRecord {
  return {
    id,
    name,
    table: POINTS,
    keyColumns: ['region', 'seq'],
    featureColumns: ['x', 'y'],
    description: '지역별 측정값, "quoted" and \'single\'',
    outcomeTable: null,
    createdAt: new Date('2026-04-01T09:08:07.006Z'),
    updatedAt: new Date('2026-04-01T09:08:07.006Z'),
    ...changes,
  };
}

for (const target of ROUND_TRIP_TARGETS.filter(({ name }) => name === 'oracle' || name === 'tibero')) {
  describe(`registry statements on ${target.name} (H2 in Oracle mode)`, () => {
    let store: RoundTripStore;
    let datasets: DatasetRepository;

    before(async () => {
      store = await openRoundTripStore(target, 'omreg_');
      await store.drop([POINTS, OUTCOME]);
      await migrate(store.datastore, APP_MIGRATIONS);
      const dialect = store.datastore.dialect;
      await store.datastore.execute(dialect.compileCreateTable({ name: POINTS, columns: POINT_COLUMNS, primaryKey: ['region', 'seq'] }));
      await store.datastore.executeAll(dialect.compileUpsert({ table: POINTS, keyColumns: ['region', 'seq'], columns: POINT_COLUMNS, rows: POINT_ROWS }));
      await store.datastore.execute(dialect.compileCreateTable(outcomeTableDefinition(OUTCOME)));
      datasets = new DatasetRepository(store.datastore);
    });
    beforeEach(async () => {
      const q = (name: string) => store.datastore.dialect.quoteIdentifier(name);
      for (const table of [DEFAULT_OUTCOME_TABLE, 'ai_run_assignment', 'ai_run_assignment_chunk', 'ai_model_run', 'ai_dataset']) {
        await store.datastore.execute({ sql: `DELETE FROM ${q(table)}`, parameters: [], kind: 'delete' });
      }
    });
    after(async () => {
      await store?.drop([POINTS, OUTCOME]);
      await store?.close();
    });

    it("the catalog as a registration reads it: a dataset's table and an outcome table listed, their columns in order with types and nullability, their keys in key order", async () => {
      const catalog = new CatalogRepository(store.datastore);
      const tables = await catalog.tables();
      assert.deepEqual(
        [POINTS, OUTCOME].filter((table) => !tables.includes(table)),
        [],
      );
      const columns = await catalog.columnsOf([POINTS, OUTCOME, 'omreg_no_such_table']);
      assert.deepEqual([...columns.keys()].sort(), [OUTCOME, POINTS]);
      for (const [table, definition] of [
        [POINTS, POINT_COLUMNS],
        [OUTCOME, outcomeTableDefinition(OUTCOME).columns],
      ] as const) {
        assert.deepEqual(
          columns.get(table)!.map((column) => [column.name, column.type, column.nullable, column.position]),
          definition.map((column, index) => [column.name, ORACLE_TYPES[column.type], column.nullable !== false, index + 1]),
          table,
        );
      }
      assert.deepEqual(await catalog.primaryKey(POINTS), ['region', 'seq']);
      assert.deepEqual(await catalog.primaryKey(OUTCOME), ['dataset_id', 'entity_key']);
      assert.deepEqual(await catalog.primaryKey('omreg_no_such_table'), []);
      assert.equal(await catalog.rowCount(POINTS), POINT_ROWS.length);
    });

    it('datasets inserted, updated, listed by name and found by id and by name; a second dataset of the same name is refused', async () => {
      const first = dataset('ds-1', '측정 B');
      const second = dataset('ds-2', 'measurements A', { description: null, outcomeTable: OUTCOME });
      await datasets.insert(first);
      await datasets.insert(second);
      const updated = { ...first, featureColumns: ['x'], description: '바뀐 설명', updatedAt: new Date('2026-04-02T00:00:00.999Z') };
      await datasets.save(updated);

      assert.deepEqual(await datasets.list(), [second, updated]);
      assert.deepEqual(await datasets.findByName('측정 B'), updated);
      assert.equal(await datasets.findByName('측정 C'), null);
      assert.deepEqual(
        (await datasets.findByIds(['ds-2', 'ds-none', 'ds-1'])).sort((a, b) => (a.id < b.id ? -1 : 1)),
        [updated, second],
      );
      assert.equal(await new CatalogRepository(store.datastore).rowCount('ai_dataset'), 2);

      await assert.rejects(
        datasets.insert(dataset('ds-3', 'measurements A')),
        (error: unknown) => error instanceof AppError && error.code === 'DB_CONSTRAINT_VIOLATION',
      );
      assert.deepEqual(
        (await datasets.list()).map((record) => record.id),
        ['ds-2', 'ds-1'],
      );
    });

    it("a dataset's lock, the count of its active runs, and its delete with every run, assignment and outcome; another dataset's rows stay", async () => {
      const runs = new RunRepository(store.datastore);
      const assignments = new AssignmentRepository(store.datastore);
      const q = (name: string) => store.datastore.dialect.quoteIdentifier(name);
      const outcome: TableDefinition = outcomeTableDefinition(DEFAULT_OUTCOME_TABLE);
      for (const [datasetId, name] of [
        ['ds-del', 'to delete'],
        ['ds-keep', 'to keep'],
      ] as const) {
        await datasets.insert(dataset(datasetId, name));
        for (const status of ['QUEUED', 'RUNNING', 'SUCCEEDED'] as const) {
          const runId = `${datasetId}-${status.toLowerCase()}`;
          await runs.insert(runRecord(datasetId, { id: runId, status }));
          // The succeeded run's assignments in chunks, the others' one row per entity (as before migration 7): the delete clears both.
          const save = status === 'SUCCEEDED' ? assignments.save.bind(assignments) : assignments.saveRows.bind(assignments);
          await store.datastore.transaction((transaction) => save(runId, [{ entityKey: `${runId}-e1`, cluster: 0, distance: 0.5 }], transaction));
        }
        await store.datastore.executeAll(
          store.datastore.dialect.compileUpsert({
            table: DEFAULT_OUTCOME_TABLE,
            keyColumns: outcome.primaryKey,
            columns: outcome.columns,
            rows: [
              {
                dataset_id: datasetId,
                entity_key: 'e1',
                run_id: `${datasetId}-succeeded`,
                cluster: 0,
                distance: 0.5,
                scored_at: new Date('2026-04-03T00:00:00.000Z'),
              },
            ],
          }),
        );
      }

      assert.equal(await datasets.countActiveRuns('ds-del'), 2);
      const locked = await store.datastore.transaction(async (transaction) => [
        await datasets.lock('ds-del', transaction),
        await datasets.lock('ds-none', transaction),
      ]);
      assert.deepEqual(locked, [true, false]);

      await store.datastore.transaction((transaction) => datasets.deleteWithRuns('ds-del', [DEFAULT_OUTCOME_TABLE], transaction));

      const rowsOf = async (table: string, column: string) =>
        (await store.datastore.query({ sql: `SELECT ${q(column)} AS v FROM ${q(table)} ORDER BY ${q(column)}`, parameters: [], kind: 'select' })).map(
          (row) => row.v,
        );
      assert.deepEqual(await rowsOf('ai_dataset', 'id'), ['ds-keep']);
      assert.deepEqual(await rowsOf('ai_model_run', 'id'), ['ds-keep-queued', 'ds-keep-running', 'ds-keep-succeeded']);
      assert.deepEqual(await rowsOf('ai_run_assignment', 'entity_key'), ['ds-keep-queued-e1', 'ds-keep-running-e1']);
      assert.deepEqual(await rowsOf('ai_run_assignment_chunk', 'run_id'), ['ds-keep-succeeded']);
      assert.deepEqual(await rowsOf(DEFAULT_OUTCOME_TABLE, 'dataset_id'), ['ds-keep']);
      assert.equal(await datasets.countActiveRuns('ds-del'), 0);
      assert.equal(await datasets.countActiveRuns('ds-keep'), 2);
    });

    it("a dataset's rows previewed page by page in key order, every value as written", async () => {
      const table = new DatasetTableRepository(store.datastore);
      const columns = (await new CatalogRepository(store.datastore).columnsOf([POINTS])).get(POINTS)!;
      const read: Record<string, unknown>[] = [];
      for (let offset = 0; ; offset += 5) {
        const page = await table.preview(POINTS, ['region', 'seq'], columns, { limit: 5, offset });
        read.push(...page.slice(0, 5));
        if (page.length <= 5) break;
      }
      // Oracle's binary order: by UTF-8 bytes, which for these keys is JavaScript's code-unit order.
      const expected = [...POINT_ROWS].sort((a, b) => (a.region === b.region ? a.seq - b.seq : a.region < b.region ? -1 : 1));
      assert.deepEqual(read, expected);
    });
  });
}
