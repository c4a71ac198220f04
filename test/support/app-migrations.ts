import type { Datastore } from '../../src/datastore/datastore';
import { APP_MIGRATIONS } from '../../src/datastore/migrations/app-migrations';
import { MIGRATIONS_TABLE } from '../../src/datastore/migrations/migration';
import { ddl, select } from './databases';

/** Every table the app's migrations own, the migrations table included. */
export const APP_TABLES = [MIGRATIONS_TABLE.name, ...APP_MIGRATIONS.flatMap((migration) => migration.tables.map((table) => table.name))];

/** [version, name] of every migration, as ai_schema_migrations records them. */
export const ALL_RECORDED = [...APP_MIGRATIONS].sort((a, b) => a.version - b.version).map((migration) => [migration.version, migration.name]);

/** Drops the app's tables where they exist (`qualify` may put a schema before each quoted name). */
export async function dropAppTables(datastore: Datastore, qualify: (quoted: string) => string = (quoted) => quoted): Promise<void> {
  for (const table of APP_TABLES) {
    await datastore.execute(ddl(`DROP TABLE IF EXISTS ${qualify(datastore.dialect.quoteIdentifier(table))}`));
  }
}

/** The [version, name] rows ai_schema_migrations holds, in version order. */
export async function recordedVersions(datastore: Datastore): Promise<unknown[]> {
  const { dialect } = datastore;
  const rows = await datastore.query(
    select(
      `SELECT ${dialect.quoteIdentifier('version')} AS version, ${dialect.quoteIdentifier('name')} AS name ` +
        `FROM ${dialect.quoteIdentifier(MIGRATIONS_TABLE.name)} ORDER BY ${dialect.quoteIdentifier('version')}`,
    ),
  );
  return rows.map((row) => [row.version, row.name]);
}
