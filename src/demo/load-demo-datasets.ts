import type { Datastore } from '../datastore/datastore';
import type { Logger } from '../logging/logger';
import { CatalogRepository } from '../modules/dataset/catalog.repository';
import { DatasetRepository } from '../modules/dataset/dataset.repository';
import type { DemoDataset } from './demo-dataset';
import { IRIS } from './iris';
import { STATION_READINGS } from './station-readings';

export const DEMO_DATASETS: readonly DemoDataset[] = [IRIS, STATION_READINGS];

/**
 * Creates and fills the demo tables and registers them as datasets. Safe to run at every start: a
 * table already holding its rows is left alone, and the rows go in through the dialect's UPSERT in one
 * transaction, so an interrupted load is completed, never duplicated.
 */
export async function loadDemoDatasets(datastore: Datastore, logger: Logger, now: Date = new Date()): Promise<void> {
  const catalog = new CatalogRepository(datastore);
  const registry = new DatasetRepository(datastore);
  const tables = new Set(await catalog.tables());
  const registered = new Map((await registry.findByIds(DEMO_DATASETS.map((demo) => demo.id))).map((record) => [record.id, record]));
  for (const demo of DEMO_DATASETS) {
    if (!tables.has(demo.table.name)) await datastore.execute(datastore.dialect.compileCreateTable(demo.table));
    const rowCount = await catalog.rowCount(demo.table.name);
    if (rowCount < demo.expectedRows) {
      const started = Date.now();
      await datastore.executeAll(
        datastore.dialect.compileUpsert({
          table: demo.table.name,
          keyColumns: demo.table.primaryKey,
          columns: demo.table.columns,
          rows: demo.rows(),
        }),
      );
      logger.info({ dataset: demo.name, rows: demo.expectedRows, ms: Date.now() - started }, 'demo dataset loaded');
    }
    if (!registered.has(demo.id)) {
      await registry.save({
        id: demo.id,
        name: demo.name,
        table: demo.table.name,
        keyColumns: demo.table.primaryKey,
        featureColumns: demo.featureColumns,
        description: demo.description,
        outcomeTable: null,
        createdAt: now,
        updatedAt: now,
      });
    }
  }
}
