import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Executor } from '../../../src/datastore/contracts';
import type { Datastore } from '../../../src/datastore/datastore';
import { PostgresqlDialect } from '../../../src/datastore/dialects/postgresql';
import type { ColumnDefinition } from '../../../src/datastore/types';
import { outcomeTableDefinition } from '../../../src/modules/outcome/outcome-table';
import { OutcomeRepository } from '../../../src/modules/outcome/outcome.repository';
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

describe(`${database.label}: a run's outcomes published in several array sources (OutcomeRepository.publishColumns)`, () => {
  let datastore: Datastore;
  const table = 'publish_in_sources';

  before(async () => {
    ({ datastore } = await openDatastore(database));
    await datastore.execute(ddl(`DROP TABLE IF EXISTS ${table}`));
    await datastore.execute(datastore.dialect.compileCreateTable(outcomeTableDefinition(table)));
  });
  after(async () => {
    await datastore?.close();
  });

  it('the table lock once, before the first MERGE, then one MERGE a source; every value stored as given', async () => {
    assert.ok(datastore.dialect instanceof PostgresqlDialect && datastore.dialect.mergeFromSelect, 'this server takes the MERGE form');
    // 1,000 rows a source: 3,500 rows are four sources.
    const dialect = Object.create(datastore.dialect, { maxRowsPerArraySource: { value: 1_000 } }) as PostgresqlDialect;
    const rows = 3_500;
    const distances = [0, Number.MIN_VALUE, 2.2250738585072014e-308, 1 / 3, 0.1 + 0.2, 123_456.789, 2 ** 53 + 2, Number.MAX_VALUE];
    const columns = {
      keys: Array.from({ length: rows }, (_, row) => `entity "${String(row).padStart(5, '0')}" ,{}\\ ü`),
      clusters: Int32Array.from({ length: rows }, (_, row) => (row % 3 === 0 ? -2_147_483_648 : row % 3 === 1 ? 2_147_483_647 : row)),
      distances: Float64Array.from({ length: rows }, (_, row) => distances[row % distances.length]! * (row % 7 === 0 ? 1 : 1 - row / 1e6)),
    };
    const scoredAt = new Date('2026-12-04T10:11:12.345Z');
    const sent: string[] = [];
    await datastore.transaction(async (transaction) => {
      const recording: Executor = {
        dialect,
        query: (statement) => transaction.query(statement),
        execute: (statement) => {
          sent.push(statement.sql.split(' ')[0]!);
          return transaction.execute(statement);
        },
      };
      await new OutcomeRepository(datastore).publishColumns('run-sources', table, 'dataset-sources', scoredAt, columns, recording);
    });
    assert.deepEqual(sent, ['LOCK', 'MERGE', 'MERGE', 'MERGE', 'MERGE']);

    const stored = await datastore.query(
      select(`SELECT dataset_id, entity_key, run_id, cluster, distance, scored_at FROM ${table} ORDER BY entity_key COLLATE "C"`),
    );
    assert.equal(stored.length, rows);
    stored.forEach((row, index) => {
      const where = `row ${index}`;
      assert.equal(row.dataset_id, 'dataset-sources', where);
      assert.equal(row.entity_key, columns.keys[index], where);
      assert.equal(row.run_id, 'run-sources', where);
      assert.equal(Number(row.cluster), columns.clusters[index], where);
      assert.ok(Object.is(Number(row.distance), columns.distances[index]), `${where}: ${String(row.distance)} for ${columns.distances[index]}`);
      assert.equal((row.scored_at as Date).getTime(), scoredAt.getTime(), where);
    });
  });
});
