import { AppError } from '../../errors/app-error';
import type { Datastore } from '../datastore';
import type { SqlDialect } from '../dialects';
import type { IndexDefinition, Statement, UpsertSpec } from '../types';
import { MIGRATIONS_TABLE, type AddedColumn, type Migration } from './migration';

export interface MigrationReport {
  readonly applied: number[];
  readonly current: number;
}

/**
 * Applies pending migrations. Idempotent twice over: applied versions are recorded, and a table,
 * column or index that already exists is skipped, so a migration cut short (DDL commits on its own in MySQL,
 * Oracle and Tibero) completes on the next start instead of failing on "already exists".
 */
export async function migrate(datastore: Datastore, migrations: readonly Migration[], now: () => Date = () => new Date()): Promise<MigrationReport> {
  const dialect = datastore.dialect;
  const existing = await existingTables(datastore);
  if (!existing.has(MIGRATIONS_TABLE.name)) {
    await datastore.execute(dialect.compileCreateTable(MIGRATIONS_TABLE));
    existing.add(MIGRATIONS_TABLE.name);
  }
  const done = await appliedVersions(datastore);
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    for (const table of migration.tables) {
      if (existing.has(table.name)) continue;
      await datastore.execute(dialect.compileCreateTable(table));
      existing.add(table.name);
    }
    for (const added of await missingColumns(datastore, migration.columns ?? [])) {
      await datastore.execute(dialect.compileAddColumn(added.table, added.column));
    }
    for (const stored of migration.uncompressed ?? []) {
      for (const statement of dialect.compileStoreUncompressed(stored.table, stored.column)) await datastore.execute(statement);
    }
    for (const index of await missingIndexes(datastore, migration.indexes ?? [])) await datastore.execute(dialect.compileCreateIndex(index));
    await datastore.executeAll(dialect.compileUpsert(migrationRecord(migration, now())));
    applied.push(migration.version);
  }
  return { applied, current: Math.max(0, ...done, ...applied) };
}

/**
 * With DB_MIGRATE=false, the check at start that the schema has every version this build needs: a
 * missing one is CONFIG_INVALID naming them, so the server is not ready (and says why) rather than
 * failing every statement on a column that is not there.
 */
export async function assertSchemaCurrent(datastore: Datastore, migrations: readonly Migration[]): Promise<void> {
  const existing = await existingTables(datastore);
  const done = existing.has(MIGRATIONS_TABLE.name) ? await appliedVersions(datastore) : new Set<number>();
  const missing = migrations.map((migration) => migration.version).filter((version) => !done.has(version));
  if (missing.length === 0) return;
  throw new AppError(
    'CONFIG_INVALID',
    `DB_MIGRATE=false, and the database lacks the schema versions ${missing.join(', ')} this build needs: apply them ` +
      '(npm run db:ddl prints the DDL) or start once with DB_MIGRATE=true',
    { missingVersions: missing },
  );
}

async function appliedVersions(datastore: Datastore): Promise<Set<number>> {
  const dialect = datastore.dialect;
  const rows = await datastore.query({
    sql: `SELECT ${dialect.quoteIdentifier('version')} AS version FROM ${dialect.quoteIdentifier(MIGRATIONS_TABLE.name)}`,
    parameters: [],
    kind: 'select',
  });
  return new Set(rows.map((row) => Number(row.version)));
}

async function existingTables(datastore: Datastore): Promise<Set<string>> {
  const rows = await datastore.query(datastore.dialect.listTablesStatement());
  return new Set(rows.map((row) => datastore.dialect.identifierFromDatabase(String(row.table_name))));
}

async function missingColumns(datastore: Datastore, columns: readonly AddedColumn[]): Promise<AddedColumn[]> {
  if (columns.length === 0) return [];
  const rows = await datastore.query(datastore.dialect.listColumnsStatement([...new Set(columns.map((added) => added.table))]));
  const present = new Set(
    rows.map((row) => {
      const column = datastore.dialect.readCatalogColumn(row);
      return `${column.table}.${column.name}`;
    }),
  );
  return columns.filter((added) => !present.has(`${added.table}.${added.column.name}`));
}

async function missingIndexes(datastore: Datastore, indexes: readonly IndexDefinition[]): Promise<IndexDefinition[]> {
  if (indexes.length === 0) return [];
  const rows = await datastore.query(datastore.dialect.listIndexesStatement([...new Set(indexes.map((index) => index.table))]));
  const present = new Set(rows.map((row) => datastore.dialect.identifierFromDatabase(String(row.index_name))));
  return indexes.filter((index) => !present.has(index.name));
}

function migrationRecord(migration: Migration, appliedAt: Date): UpsertSpec {
  return {
    table: MIGRATIONS_TABLE.name,
    keyColumns: ['version'],
    columns: MIGRATIONS_TABLE.columns,
    rows: [{ version: migration.version, name: migration.name, applied_at: appliedAt }],
  };
}

/**
 * The DDL a DBA applies by hand, ending with the rows that tell the server these versions are done.
 * Values are rendered as literals here (it is a script, not a bound statement); all of them are the
 * app's own constants.
 */
export function migrationScript(dialect: SqlDialect, migrations: readonly Migration[]): string {
  const statements: Statement[] = [dialect.compileCreateTable(MIGRATIONS_TABLE)];
  const records: string[] = [];
  for (const migration of migrations) {
    for (const table of migration.tables) statements.push(dialect.compileCreateTable(table));
    for (const added of migration.columns ?? []) statements.push(dialect.compileAddColumn(added.table, added.column));
    for (const stored of migration.uncompressed ?? []) statements.push(...dialect.compileStoreUncompressed(stored.table, stored.column));
    for (const index of migration.indexes ?? []) statements.push(dialect.compileCreateIndex(index));
    const columns = MIGRATIONS_TABLE.columns.map((column) => dialect.quoteIdentifier(column.name)).join(', ');
    records.push(
      `INSERT INTO ${dialect.quoteIdentifier(MIGRATIONS_TABLE.name)} (${columns}) VALUES (${migration.version}, '${migration.name.replace(/'/g, "''")}', ${dialect.currentUtcTimestampSql()})`,
    );
  }
  const body = [...statements.map((statement) => statement.sql), ...records].map((sql) => `${sql};`).join('\n\n');
  // A COMMIT with no transaction open fails in SQLite's shell: where DDL is transactional, the script opens one.
  return `${dialect.transactionalDdl ? 'BEGIN;\n\n' : ''}${body}\n\nCOMMIT;\n`;
}
