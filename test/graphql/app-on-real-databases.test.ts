import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Datastore } from '../../src/datastore/datastore';
import { dialectFor } from '../../src/datastore/dialects';
import { DatasetsDocument } from '../generated/graphql';
import { startTestServer, type TestServer } from '../support/app-harness';
import { ddl, mariadbDatabase, postgresqlDatabase, type TestDatabase } from '../support/databases';

const APP_TABLES = ['ai_schema_migrations', 'ai_dataset', 'iris', 'station_readings'];

async function dropAppTables(database: TestDatabase): Promise<void> {
  const datastore = Datastore.create({
    connectionString: database.connectionString,
    dialect: dialectFor(database.dialect),
    poolMax: 1,
    acquireTimeoutMs: 10_000,
    queryTimeoutMs: 60_000,
    idleTimeoutMs: 60_000,
  });
  try {
    for (const table of APP_TABLES) await datastore.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(table)}`));
  } finally {
    await datastore.close();
  }
}

// The whole server on each real database: migrations, the demo load through that database's UPSERT,
// and the catalog queries behind `columns`.
for (const database of [postgresqlDatabase(), mariadbDatabase()]) {
  describe(`the server on ${database.label} with the demo datasets`, () => {
    let server: TestServer;

    before(async () => {
      await dropAppTables(database);
      server = await startTestServer({ DB_DIALECT: database.dialect, DB_CONNECTION_STRING: database.connectionString, DEMO_DATASETS: 'true' });
    });
    after(async () => {
      await server?.stop();
    });

    it('is ready once migrations ran and the demo data loaded', async () => {
      const response = await server.get('/readyz');
      assert.equal(response.status, 200);
    });

    it('answers datasets with their row counts and catalog columns', async () => {
      const result = await server.graphql(DatasetsDocument);
      assert.equal(result.errors, undefined);
      const byName = new Map(result.data?.datasets.map((dataset) => [dataset.name, dataset]));
      assert.equal(byName.get('iris')?.rowCount, 150);
      assert.equal(byName.get('station_readings')?.rowCount, 20_000);
      assert.deepEqual(
        byName.get('station_readings')?.columns.map((column) => [column.name, column.nullable]),
        [
          ['station_id', false],
          ['measured_at', false],
          ['pm10', true],
          ['pm25', true],
          ['o3', true],
          ['no2', true],
          ['co', true],
          ['so2', true],
        ],
      );
    });
  });
}
