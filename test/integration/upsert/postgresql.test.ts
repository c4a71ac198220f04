import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { PostgresqlDialect } from '../../../src/datastore/dialects/postgresql';
import type { ColumnDefinition } from '../../../src/datastore/types';
import { ddl, openDatastore, postgresqlDatabase, select } from '../../support/databases';
import { describeUpsertConformance } from './conformance';

const database = postgresqlDatabase();
describeUpsertConformance(
  database.label,
  async () => {
    const { datastore, serverVersion } = await openDatastore(database);
    // 125,000 rows: 2.5 times the array form's 50,000 rows a statement.
    return { datastore, compiler: datastore.dialect, serverVersion, largeBatchRows: 125_000 };
  },
  'upsert_pg',
);

// The same scenarios as PostgreSQL before 15 compiles them (the UPSERT from a SELECT as ON CONFLICT).
describeUpsertConformance(
  `${database.label}, compiled as for PostgreSQL 14`,
  async () => {
    const { datastore, serverVersion } = await openDatastore(database);
    return { datastore, compiler: new PostgresqlDialect('PostgreSQL 14.13'), serverVersion, largeBatchRows: 125_000 };
  },
  'upsert_pg14',
);

describe(`${database.label}: UPSERTs from a SELECT into one table, at the same time`, () => {
  let datastore: Datastore;
  const columns: ColumnDefinition[] = [
    { name: 'dataset_id', type: 'string', length: 64, nullable: false },
    { name: 'entity_key', type: 'string', length: 64, nullable: false },
    { name: 'run_id', type: 'string', length: 64, nullable: false },
  ];

  before(async () => {
    ({ datastore } = await openDatastore(database));
    for (const name of ['merge_race_source', 'merge_race_target']) await datastore.execute(ddl(`DROP TABLE IF EXISTS ${name}`));
    await datastore.execute(
      ddl('CREATE TABLE merge_race_source (run_id VARCHAR(64) NOT NULL, entity_key VARCHAR(64) NOT NULL, PRIMARY KEY (run_id, entity_key))'),
    );
    await datastore.execute(datastore.dialect.compileCreateTable({ name: 'merge_race_target', columns, primaryKey: ['dataset_id', 'entity_key'] }));
    await datastore.execute(select("INSERT INTO merge_race_source SELECT r, 'e' || g FROM generate_series(1, 20000) g, (VALUES ('a'), ('b'), ('c')) runs(r)"));
  });
  after(async () => {
    await datastore?.close();
  });

  it('three runs publishing the same new keys at once all succeed (MERGE alone would fail one with a unique violation): writers wait for each other', async () => {
    assert.ok(datastore.dialect instanceof PostgresqlDialect && datastore.dialect.mergeFromSelect, 'this server takes the MERGE form');
    const publish = (runId: string) =>
      datastore.transaction(async (transaction) => {
        for (const statement of transaction.dialect.compileUpsertFromSelect(
          { table: 'merge_race_target', keyColumns: ['dataset_id', 'entity_key'], columns },
          { sql: "SELECT 'ds' AS dataset_id, entity_key, run_id FROM merge_race_source WHERE run_id = ?", parameters: [runId], kind: 'select' },
        )) {
          await transaction.execute(statement);
        }
      });
    const results = await Promise.allSettled(['a', 'b', 'c'].map(publish));
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'fulfilled', 'fulfilled'],
      JSON.stringify(results),
    );
    const [row] = await datastore.query(select('SELECT COUNT(*) AS n, COUNT(DISTINCT run_id) AS runs FROM merge_race_target'));
    assert.equal(Number(row!.n), 20_000, 'each key once');
    assert.equal(Number(row!.runs), 1, 'every row from the run that wrote last');
  });
});
