import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APP_MIGRATIONS } from '../../../../src/datastore/migrations/app-migrations';
import { DEFAULT_OUTCOME_TABLE, ENTITY_KEY_LENGTH, outcomeTableDefinition } from '../../../../src/modules/outcome/outcome-table';

// The migrations are frozen literals; these checks say when the live layout has moved on without a new migration.
describe('APP_MIGRATIONS', () => {
  it('versions are 1 to 11 in order, each named once', () => {
    assert.deepEqual(
      APP_MIGRATIONS.map((migration) => [migration.version, migration.name]),
      [
        [1, 'datasets'],
        [2, 'model runs, assignments and outcomes'],
        [3, 'api keys'],
        [4, 'run publish errors'],
        [5, 'run attempts'],
        [6, 'run progress fraction'],
        [7, 'run assignment chunks'],
        [8, 'run read progress'],
        [9, 'assignment chunks uncompressed'],
        [10, 'run publishing'],
        [11, 'run indexes'],
      ],
    );
  });

  it('index names fit in 30 characters (Tibero 6, Oracle before 12.2), are unique, and name columns of their tables', () => {
    const columns = new Map<string, Set<string>>();
    for (const migration of APP_MIGRATIONS) {
      for (const table of migration.tables) columns.set(table.name, new Set(table.columns.map((column) => column.name)));
      for (const added of migration.columns ?? []) columns.get(added.table)!.add(added.column.name);
    }
    const indexes = APP_MIGRATIONS.flatMap((migration) => migration.indexes ?? []);
    assert.ok(indexes.length >= 5);
    assert.equal(new Set(indexes.map((index) => index.name)).size, indexes.length);
    for (const index of indexes) {
      assert.ok(index.name.length <= 30, index.name);
      for (const column of index.columns) assert.ok(columns.get(index.table)?.has(column), `${index.name}: ${index.table}.${column}`);
    }
  });

  it('migration 2 creates the default outcome table with exactly the layout the app gives every outcome table', () => {
    const created = APP_MIGRATIONS.find((migration) => migration.version === 2)!.tables.find((table) => table.name === DEFAULT_OUTCOME_TABLE);
    assert.deepEqual(created, outcomeTableDefinition(DEFAULT_OUTCOME_TABLE));
  });

  it("migration 2's assignment table keeps entity keys as long as outcome tables do", () => {
    const assignments = APP_MIGRATIONS.find((migration) => migration.version === 2)!.tables.find((table) => table.name === 'ai_run_assignment')!;
    assert.equal(assignments.columns.find((column) => column.name === 'entity_key')!.length, ENTITY_KEY_LENGTH);
  });

  it("migration 7's chunk table keeps a chunk's first and last keys as long as outcome tables keep keys", () => {
    const chunks = APP_MIGRATIONS.find((migration) => migration.version === 7)!.tables.find((table) => table.name === 'ai_run_assignment_chunk')!;
    assert.deepEqual(
      chunks.columns.filter((column) => column.name.endsWith('_key')).map((column) => column.length),
      [ENTITY_KEY_LENGTH, ENTITY_KEY_LENGTH],
    );
  });
});
