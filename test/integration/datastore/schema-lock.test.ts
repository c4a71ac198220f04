import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { DatabaseBootstrap } from '../../../src/app/bootstrap';
import type { Config } from '../../../src/config/config';
import type { Datastore } from '../../../src/datastore/datastore';
import { createLogger } from '../../../src/logging/logger';
import { ddl, mariadbDatabase, openDatastore, postgresqlDatabase, select, type TestDatabase } from '../../support/databases';
import { ALL_RECORDED, dropAppTables, recordedVersions } from '../../support/app-migrations';
import { PrefixedAppTablesMariadbDialect } from '../../support/prefixed-mariadb';

/**
 * Three servers preparing one fresh database at once, each with its own pool, as replicas starting
 * together do: under the schema lock they migrate (and load the demo) one after another, and none logs
 * an error. Without it, PostgreSQL raced on its catalog (pg_type_typname_nsp_index) and MariaDB on
 * "already exists".
 */
const REPLICAS = 3;
const SCHEMA = 'schema_lock_test';
const MARIADB_PREFIX = 'schemalock_';

interface Line {
  readonly level: number;
  readonly msg: string;
}

async function prepareAtOnce(datastores: readonly Datastore[], demoDatasets: boolean): Promise<Line[]> {
  const lines: Line[] = [];
  const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk)) as Line), done()) }));
  const config = { database: { migrate: true }, demoDatasets } as unknown as Config;
  const bootstraps = datastores.map((datastore) => new DatabaseBootstrap(datastore, config, logger, 60_000));
  // start() resolves after the first attempt, successful or not: a failed one would have logged an error.
  await Promise.all(bootstraps.map((bootstrap) => bootstrap.start()));
  for (const bootstrap of bootstraps) bootstrap.stop();
  assert.deepEqual(
    bootstraps.map((bootstrap) => bootstrap.current().done),
    datastores.map(() => true),
  );
  return lines;
}

describe(`${REPLICAS} servers preparing a fresh PostgreSQL database at once (schema ${SCHEMA})`, () => {
  const base = postgresqlDatabase();
  const database: TestDatabase = { ...base, connectionString: `${base.connectionString.replace(/;?\s*$/, ';')}ConnSettings=SET search_path TO ${SCHEMA};` };
  const datastores: Datastore[] = [];
  after(async () => {
    await datastores[0]?.execute(ddl(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`));
    await Promise.all(datastores.map((datastore) => datastore.close()));
  });

  it('each migrates and loads the demo under the schema lock: every server ready, no error logged, every version recorded once, each demo dataset registered once with all its rows', async () => {
    const { datastore: admin } = await openDatastore(base, { poolMax: 1 });
    try {
      await admin.execute(ddl(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`));
      await admin.execute(ddl(`CREATE SCHEMA ${SCHEMA}`));
    } finally {
      await admin.close();
    }
    for (let index = 0; index < REPLICAS; index++) datastores.push((await openDatastore(database, { poolMax: 2 })).datastore);

    const lines = await prepareAtOnce(datastores, true);

    assert.deepEqual(
      lines.filter((line) => line.level >= 40).map((line) => line.msg),
      [],
    );
    const [first] = datastores as [Datastore];
    assert.deepEqual(await recordedVersions(first), ALL_RECORDED);
    const datasets = await first.query(
      select(`SELECT ${first.dialect.quoteIdentifier('name')} AS name FROM ${first.dialect.quoteIdentifier('ai_dataset')} ORDER BY 1`),
    );
    assert.deepEqual(
      datasets.map((row) => row.name),
      ['iris', 'station_readings'],
    );
    for (const [table, rows] of [
      ['iris', 150],
      ['station_readings', 20_000],
    ] as const) {
      const [count] = await first.query(first.dialect.countRowsStatement(table));
      assert.equal(Number(Object.values(count ?? {})[0]), rows, table);
    }
  });
});

describe(`${REPLICAS} servers migrating a fresh MariaDB database at once (app tables prefixed ${MARIADB_PREFIX})`, () => {
  const datastores: Datastore[] = [];
  after(async () => {
    if (datastores[0]) await dropAppTables(datastores[0]);
    await Promise.all(datastores.map((datastore) => datastore.close()));
  });

  it('each migrates under the schema lock: every server ready, no error logged, every version recorded once', async () => {
    for (let index = 0; index < REPLICAS; index++) {
      datastores.push((await openDatastore(mariadbDatabase(), { poolMax: 2, dialect: new PrefixedAppTablesMariadbDialect(MARIADB_PREFIX) })).datastore);
    }
    const [first] = datastores as [Datastore];
    assert.ok(first.dialect instanceof PrefixedAppTablesMariadbDialect, 'the server refined the test dialect away');
    await dropAppTables(first);

    const lines = await prepareAtOnce(datastores, false);

    assert.deepEqual(
      lines.filter((line) => line.level >= 40).map((line) => line.msg),
      [],
    );
    assert.deepEqual(await recordedVersions(first), ALL_RECORDED);
  });
});
