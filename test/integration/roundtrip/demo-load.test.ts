import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Row, SqlValue } from '../../../src/datastore/types';
import { migrate } from '../../../src/datastore/migrations/migrator';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import type { DemoDataset } from '../../../src/demo/demo-dataset';
import { DEMO_DATASETS, loadDemoDatasets } from '../../../src/demo/load-demo-datasets';
import { createLogger } from '../../../src/logging/logger';
import { DatasetRepository } from '../../../src/modules/dataset/dataset.repository';
import { assertRoundTrip } from '../../support/round-trip-compare';
import { openRoundTripStore, ROUND_TRIP_TARGETS, sameDouble, type RoundTripStore } from '../../support/round-trip-targets';

/**
 * Path (a) of the round trip: the demo load (src/demo/). Every cell of iris and station_readings as
 * stored is compared with the demo generator's own rows, and each registration with the demo's
 * definition. The generators are deterministic, so no seed of the suite's own is involved.
 */
for (const target of ROUND_TRIP_TARGETS) {
  describe(`round trip, demo load on ${target.name}`, () => {
    let store: RoundTripStore;
    const loadedAt = new Date(Date.UTC(2026, 11, 3, 8, 15, 30, 125));

    before(async () => {
      store = await openRoundTripStore(target, 'rtdemo_');
      await migrate(store.datastore, APP_MIGRATIONS);
      await loadDemoDatasets(store.datastore, new DatasetRepository(store.datastore), createLogger('silent'), loadedAt);
    });
    after(async () => {
      await store?.close();
    });

    for (const demo of DEMO_DATASETS) {
      it(`${demo.name}: every stored cell is the generator's value (${demo.expectedRows} rows, doubles as ${target.name} reads them back)`, async () => {
        const written = demo.rows();
        assert.equal(written.length, demo.expectedRows);
        const read = await readTable(store, demo);
        const keyOf = (row: Record<string, unknown>) => JSON.stringify(demo.table.primaryKey.map((name) => keyText(row[name])));
        assertRoundTrip({
          what: `the demo table ${demo.name} on ${target.name}`,
          written,
          read,
          keyOfWritten: keyOf,
          keyOfRead: keyOf,
          columns: demo.table.columns.map((column) => ({
            name: column.name,
            expected: (row: Record<string, SqlValue>) => row[column.name] ?? null,
            actual: (row: Row) => row[column.name],
            ...(column.type === 'double' ? { same: sameDouble(target) } : {}),
          })),
        });
      });
    }

    it('the demo datasets are registered as the demo defines them', async () => {
      const registered = await new DatasetRepository(store.datastore).findByIds(DEMO_DATASETS.map((demo) => demo.id));
      assertRoundTrip({
        what: `the demo registrations on ${target.name}`,
        written: DEMO_DATASETS,
        read: registered,
        keyOfWritten: (demo) => demo.id,
        keyOfRead: (record) => record.id,
        columns: [
          { name: 'name', expected: (demo) => demo.name, actual: (record) => record.name },
          { name: 'table', expected: (demo) => demo.table.name, actual: (record) => record.table },
          { name: 'keyColumns', expected: (demo) => [...demo.table.primaryKey], actual: (record) => [...record.keyColumns] },
          { name: 'featureColumns', expected: (demo) => [...demo.featureColumns], actual: (record) => [...record.featureColumns] },
          { name: 'description', expected: (demo) => demo.description, actual: (record) => record.description },
          { name: 'outcomeTable', expected: () => null, actual: (record) => record.outcomeTable },
          { name: 'createdAt', expected: () => loadedAt, actual: (record) => record.createdAt },
          { name: 'updatedAt', expected: () => loadedAt, actual: (record) => record.updatedAt },
        ],
      });
    });
  });
}

async function readTable(store: RoundTripStore, demo: DemoDataset): Promise<Row[]> {
  const dialect = store.datastore.dialect;
  const q = (name: string) => dialect.quoteIdentifier(name);
  return store.datastore.query({
    sql: `SELECT ${demo.table.columns.map((column) => q(column.name)).join(', ')} FROM ${q(demo.table.name)}`,
    parameters: [],
    kind: 'select',
  });
}

function keyText(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}
