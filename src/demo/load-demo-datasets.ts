import type { Datastore } from '../datastore/datastore';
import type { Logger } from '../logging/logger';
import type { DemoDataset } from './demo-dataset';
import { IRIS } from './iris';
import { STATION_READINGS } from './station-readings';

export const DEMO_DATASETS: readonly DemoDataset[] = [IRIS, STATION_READINGS];

/** A demo dataset as the dataset registry records it. */
export interface DemoRegistration {
  readonly id: string;
  readonly name: string;
  readonly table: string;
  readonly keyColumns: readonly string[];
  readonly featureColumns: readonly string[];
  readonly description: string | null;
  readonly outcomeTable: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Where the demo datasets are registered: the dataset registry (modules/dataset) is one. */
export interface DemoRegistry {
  findByIds(ids: readonly string[]): Promise<readonly { readonly id: string }[]>;
  save(registration: DemoRegistration): Promise<void>;
}

/**
 * Creates and fills the demo tables and registers them as datasets. Safe to run at every start: a
 * table already holding its rows is left alone, and the rows go in through the dialect's UPSERT in one
 * transaction, so an interrupted load is completed, never duplicated.
 */
export async function loadDemoDatasets(datastore: Datastore, registry: DemoRegistry, logger: Logger, now: Date = new Date()): Promise<void> {
  const dialect = datastore.dialect;
  const tables = new Set((await datastore.query(dialect.listTablesStatement())).map((row) => dialect.identifierFromDatabase(String(row.table_name))));
  const registered = new Set((await registry.findByIds(DEMO_DATASETS.map((demo) => demo.id))).map((record) => record.id));
  for (const demo of DEMO_DATASETS) {
    if (!tables.has(demo.table.name)) await datastore.execute(dialect.compileCreateTable(demo.table));
    const [count] = await datastore.query(dialect.countRowsStatement(demo.table.name));
    if (Number(count?.row_count ?? 0) < demo.expectedRows) {
      const started = Date.now();
      await datastore.executeAll(
        dialect.compileUpsert({
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
