import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { MIGRATIONS_TABLE } from '../../../src/datastore/migrations/migration';
import { assertSchemaCurrent, migrate } from '../../../src/datastore/migrations/migrator';
import type { AppError } from '../../../src/errors/app-error';
import type { TableDefinition } from '../../../src/datastore/types';
import { CatalogRepository } from '../../../src/modules/dataset/catalog.repository';
import {
  ddl,
  mariadbDatabase,
  openDatastore,
  oracleDatabase,
  postgresqlDatabase,
  select,
  sqliteDatabase,
  tiberoDatabase,
  type TestDatabase,
} from '../../support/databases';
import { ALL_RECORDED, APP_TABLES, dropAppTables, recordedVersions } from '../../support/app-migrations';
import { PrefixedAppTablesMariadbDialect } from '../../support/prefixed-mariadb';
import { withTablePrefix } from '../../support/round-trip-targets';
import { dialectFor } from '../../../src/datastore/dialects';

/**
 * APP_MIGRATIONS on each real database, from nothing and from a migration cut short.
 *
 * The GraphQL app test drops and re-creates the app's tables (ai_schema_migrations, ai_dataset, …) in the
 * shared PostgreSQL and MariaDB test databases while other files run, so this file never touches them:
 * - SQLite: a fresh database file for every scenario.
 * - PostgreSQL: its own schema, MIGRATION_SCHEMA, made the only one on search_path through psqlODBC's
 *   ConnSettings (run once per connection), so the real table names are used.
 * - MariaDB: the test user may use the aimodel_test database only (no CREATE DATABASE), so the app's
 *   tables get a prefix through a test dialect (PrefixedAppTablesMariadbDialect); everything else — the
 *   DDL, the catalog queries, the UPSERT that records a version — is MariaDB's own dialect.
 * - Oracle and Tibero (H2 in Oracle mode): the same, with the dialect's own SQL under prefixed names
 *   (withTablePrefix).
 */

const FIRST = APP_MIGRATIONS.find((migration) => migration.version === 1)!;
const DATASET_TABLE: TableDefinition = FIRST.tables.find((table) => table.name === 'ai_dataset')!;
const ALL_VERSIONS = APP_MIGRATIONS.map((migration) => migration.version).sort((a, b) => a - b);
const LATEST = Math.max(...ALL_VERSIONS);
const MIGRATION_SCHEMA = 'migrations_test';
const MARIADB_PREFIX = 'migtest_mariadb_';

/** How one database gets an empty state (no app tables) for a scenario. */
interface Target {
  /** A datastore on a database where neither app table exists. */
  empty(): Promise<Datastore>;
  close(): Promise<void>;
  /** Where the database can be told not to compress a column (PostgreSQL): how ai_run_assignment_chunk.packed is stored. */
  packedStorage?(datastore: Datastore): Promise<unknown>;
}

function sqliteTarget(): Target {
  const opened: Datastore[] = [];
  return {
    async empty() {
      const { datastore } = await openDatastore(sqliteDatabase()); // a new file every time
      opened.push(datastore);
      return datastore;
    },
    async close() {
      await Promise.all(opened.map((datastore) => datastore.close()));
    },
  };
}

function postgresqlTarget(): Target {
  const database = postgresqlDatabase();
  const inSchema: TestDatabase = {
    ...database,
    connectionString: `${database.connectionString.replace(/;?\s*$/, ';')}ConnSettings=SET search_path TO ${MIGRATION_SCHEMA};`,
  };
  let datastore: Datastore | undefined;
  return {
    async empty() {
      if (!datastore) {
        const { datastore: admin } = await openDatastore(database, { poolMax: 1 });
        try {
          await admin.execute(ddl(`CREATE SCHEMA IF NOT EXISTS ${MIGRATION_SCHEMA}`));
        } finally {
          await admin.close();
        }
        ({ datastore } = await openDatastore(inSchema));
        // Proof that ConnSettings took effect before anything is dropped or created.
        const [row] = await datastore.query(select('SELECT current_schema() AS name'));
        assert.equal(row?.name, MIGRATION_SCHEMA, 'ConnSettings did not put the test schema first on search_path');
      }
      // Schema-qualified: whatever search_path says, only the test schema's tables can go.
      await dropAppTables(datastore, (quoted) => `${MIGRATION_SCHEMA}.${quoted}`);
      return datastore;
    },
    async close() {
      if (!datastore) return;
      await datastore.execute(ddl(`DROP SCHEMA IF EXISTS ${MIGRATION_SCHEMA} CASCADE`));
      await datastore.close();
    },
    // pg_attribute.attstorage: 'x' (EXTENDED, compressed first: a new text column's) until migration 9, then 'e' (EXTERNAL).
    async packedStorage(datastore) {
      const [row] = await datastore.query(
        select(
          `SELECT attstorage AS storage FROM pg_attribute WHERE attrelid = to_regclass('${MIGRATION_SCHEMA}.ai_run_assignment_chunk') AND attname = 'packed'`,
        ),
      );
      return row?.storage;
    },
  };
}

/** A database whose app tables carry a prefix: opened once, its app tables dropped before each scenario and at the end. */
function prefixedTarget(open: () => Promise<Datastore>): Target {
  let datastore: Datastore | undefined;
  return {
    async empty() {
      datastore ??= await open();
      await dropAppTables(datastore);
      return datastore;
    },
    async close() {
      if (!datastore) return;
      await dropAppTables(datastore);
      await datastore.close();
    },
  };
}

function mariadbTarget(): Target {
  return prefixedTarget(async () => {
    const { datastore } = await openDatastore(mariadbDatabase(), { dialect: new PrefixedAppTablesMariadbDialect(MARIADB_PREFIX) });
    assert.ok(datastore.dialect instanceof PrefixedAppTablesMariadbDialect, 'the server refined the test dialect away');
    assert.equal(datastore.dialect.quoteIdentifier('ai_dataset'), `\`${MARIADB_PREFIX}ai_dataset\``);
    return datastore;
  });
}

function oracleFamilyTarget(database: TestDatabase, prefix: string): Target {
  return prefixedTarget(async () => (await openDatastore(database, { dialect: withTablePrefix(dialectFor(database.dialect), prefix) })).datastore);
}

/** The migrations' indexes the catalog does not list on their tables. */
async function missingIndexNames(datastore: Datastore): Promise<string[]> {
  const indexes = APP_MIGRATIONS.flatMap((migration) => migration.indexes ?? []);
  const rows = await datastore.query(datastore.dialect.listIndexesStatement([...new Set(indexes.map((index) => index.table))]));
  const listed = new Set(rows.map((row) => datastore.dialect.identifierFromDatabase(String(row.index_name))));
  return indexes.map((index) => index.name).filter((name) => !listed.has(name));
}

function describeMigrations(label: string, target: Target): void {
  describe(`APP_MIGRATIONS on ${label}`, () => {
    after(async () => {
      await target.close();
    });

    it(`on a database without the app tables, migrate applies [${ALL_VERSIONS.join(', ')}] and reports current ${LATEST}; a second run applies [] and current stays ${LATEST}`, async () => {
      const datastore = await target.empty();
      assert.deepEqual(await migrate(datastore, APP_MIGRATIONS), { applied: ALL_VERSIONS, current: LATEST });
      assert.deepEqual(await migrate(datastore, APP_MIGRATIONS), { applied: [], current: LATEST });
      assert.deepEqual(await recordedVersions(datastore), ALL_RECORDED);
      if (target.packedStorage) assert.equal(await target.packedStorage(datastore), 'e', 'assignment chunks stored uncompressed');
      const tables = await new CatalogRepository(datastore).tables();
      for (const table of APP_TABLES) assert.ok(tables.includes(table), `${table} is not among ${tables.join(', ')}`);
      assert.deepEqual(await missingIndexNames(datastore), []);
    });

    it(`a database at version 1 gets only the later versions (${ALL_VERSIONS.filter((version) => version > 1).join(', ') || 'none'}); before that, DB_MIGRATE=false's check refuses it naming them`, async () => {
      const datastore = await target.empty();
      await assert.rejects(assertSchemaCurrent(datastore, APP_MIGRATIONS), (error: AppError) => {
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.deepEqual(error.details?.missingVersions, ALL_VERSIONS);
        return true;
      });
      assert.deepEqual(await migrate(datastore, [FIRST]), { applied: [1], current: 1 });
      await assert.rejects(assertSchemaCurrent(datastore, APP_MIGRATIONS), (error: AppError) => {
        assert.deepEqual(
          error.details?.missingVersions,
          ALL_VERSIONS.filter((version) => version > 1),
        );
        assert.match(error.message, /DB_MIGRATE=false, and the database lacks the schema versions 2, /);
        return true;
      });
      assert.deepEqual(await migrate(datastore, APP_MIGRATIONS), {
        applied: ALL_VERSIONS.filter((version) => version > 1),
        current: LATEST,
      });
      assert.deepEqual(await recordedVersions(datastore), ALL_RECORDED);
      if (target.packedStorage) assert.equal(await target.packedStorage(datastore), 'e', 'assignment chunks stored uncompressed');
      await assertSchemaCurrent(datastore, APP_MIGRATIONS);
      assert.deepEqual(await missingIndexNames(datastore), []);
    });

    it("after migrating, ai_dataset's columns, nullability and primary key are visible through the catalog", async () => {
      const datastore = await target.empty();
      await migrate(datastore, APP_MIGRATIONS);
      const catalog = new CatalogRepository(datastore);

      const columns = (await catalog.columnsOf([DATASET_TABLE.name])).get(DATASET_TABLE.name);
      assert.ok(columns, 'the catalog does not know ai_dataset');
      assert.deepEqual(
        columns.map((column) => [column.name, column.nullable, column.position]),
        DATASET_TABLE.columns.map((column, index) => [column.name, column.nullable !== false, index + 1]),
      );
      for (const column of columns) assert.equal(column.table, DATASET_TABLE.name);
      assert.deepEqual(await catalog.primaryKey(DATASET_TABLE.name), ['id']);
    });

    it(`a migration cut short (version 1's tables created, nothing recorded) completes on the next run: applies [${ALL_VERSIONS.join(', ')}] without "already exists" and keeps existing rows`, async () => {
      const datastore = await target.empty();
      const { dialect } = datastore;
      // What a crash between the DDL (committed on its own in MySQL, Oracle and Tibero) and the version row leaves.
      await datastore.execute(dialect.compileCreateTable(MIGRATIONS_TABLE));
      for (const table of FIRST.tables) await datastore.execute(dialect.compileCreateTable(table));
      const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
      await datastore.executeAll(
        dialect.compileUpsert({
          table: DATASET_TABLE.name,
          keyColumns: ['id'],
          columns: DATASET_TABLE.columns,
          rows: [
            {
              id: 'kept',
              name: 'written before the rerun',
              table_name: 'iris',
              key_columns: '["id"]',
              feature_columns: '["sepal_length"]',
              description: null,
              outcome_table: null,
              created_at: now,
              updated_at: now,
            },
          ],
        }),
      );
      assert.deepEqual(await recordedVersions(datastore), []);

      assert.deepEqual(await migrate(datastore, APP_MIGRATIONS), { applied: ALL_VERSIONS, current: LATEST });
      assert.deepEqual(await recordedVersions(datastore), ALL_RECORDED);
      const kept = await datastore.query(
        select(
          `SELECT ${dialect.quoteIdentifier('id')} AS id, ${dialect.quoteIdentifier('created_at')} AS created_at FROM ${dialect.quoteIdentifier(DATASET_TABLE.name)}`,
        ),
      );
      assert.deepEqual(kept, [{ id: 'kept', created_at: now }]);
    });

    it(`a partial migration with ai_dataset but no ai_schema_migrations table completes: applies [${ALL_VERSIONS.join(', ')}]`, async () => {
      const datastore = await target.empty();
      await datastore.execute(datastore.dialect.compileCreateTable(DATASET_TABLE));
      assert.deepEqual(await migrate(datastore, APP_MIGRATIONS), { applied: ALL_VERSIONS, current: LATEST });
      assert.deepEqual(await recordedVersions(datastore), ALL_RECORDED);
    });
  });
}

describeMigrations('SQLite (a fresh database file per scenario)', sqliteTarget());
describeMigrations(`PostgreSQL (psqlODBC), in schema ${MIGRATION_SCHEMA}`, postgresqlTarget());
describeMigrations(`MariaDB (MariaDB Connector/ODBC), app tables prefixed ${MARIADB_PREFIX}`, mariadbTarget());
for (const [database, prefix] of [
  [oracleDatabase(), 'migtest_ora_'],
  [tiberoDatabase(), 'migtest_tib_'],
] as const) {
  describeMigrations(`${database.label}, app tables prefixed ${prefix}`, oracleFamilyTarget(database, prefix));
}
