import { MariadbDialect } from '../../src/datastore/dialects/mariadb';
import { APP_MIGRATIONS } from '../../src/datastore/migrations/app-migrations';
import { MIGRATIONS_TABLE } from '../../src/datastore/migrations/migration';
import type { Statement } from '../../src/datastore/types';

/**
 * TESTS ONLY. The MariaDB test user may use the shared aimodel_test database only (no CREATE DATABASE),
 * where other files create the app's tables too: a test of its own gets them under a prefix of its own.
 */
const APP_TABLE_NAMES = [
  MIGRATIONS_TABLE.name,
  ...APP_MIGRATIONS.flatMap((migration) => migration.tables.map((table) => table.name)),
  ...APP_MIGRATIONS.flatMap((migration) => (migration.indexes ?? []).map((index) => index.name)),
];

/**
 * MariaDB with the app's own tables renamed `<prefix><name>` in the database and back when read; also
 * `ownTables`, a test's data tables, which the servers it starts must find (only prefixed tables are listed).
 */
export class PrefixedAppTablesMariadbDialect extends MariadbDialect {
  constructor(
    private readonly prefix: string,
    private readonly ownTables: readonly string[] = [],
    serverVersion?: string,
  ) {
    super(serverVersion);
  }

  private inDatabase(name: string): string {
    return APP_TABLE_NAMES.includes(name) || this.ownTables.includes(name) ? `${this.prefix}${name}` : name;
  }

  override quoteIdentifier(name: string): string {
    return super.quoteIdentifier(this.inDatabase(name));
  }

  override identifierFromDatabase(name: string): string {
    return name.startsWith(this.prefix) ? name.slice(this.prefix.length) : name;
  }

  // Only this file's tables: the shared database's real ai_dataset must not count as existing here.
  override listTablesStatement(): Statement {
    return {
      sql:
        'SELECT table_name AS table_name FROM information_schema.tables ' + 'WHERE table_schema = DATABASE() AND LEFT(table_name, ?) = ? ORDER BY table_name',
      parameters: [this.prefix.length, this.prefix],
      kind: 'catalog',
    };
  }

  override listColumnsStatement(tables: readonly string[]): Statement {
    return super.listColumnsStatement(tables.map((name) => this.inDatabase(name)));
  }

  override primaryKeyStatement(table: string): Statement {
    return super.primaryKeyStatement(this.inDatabase(table));
  }

  override listIndexesStatement(tables: readonly string[]): Statement {
    return super.listIndexesStatement(tables.map((name) => this.inDatabase(name)));
  }
}
