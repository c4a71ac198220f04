import { MysqlDialect } from './mysql';

/**
 * MariaDB: MySQL's dialect but for one thing. MariaDB has no row alias after VALUES (MySQL 8.0.19+),
 * and still documents `VALUES(col)` in ON DUPLICATE KEY UPDATE, which MySQL 8.0.20 deprecated.
 * MySQL servers older than 8.0.20 use this form too.
 */
export class MariadbDialect extends MysqlDialect {
  override readonly variant = 'mariadb' as const;
  // MariaDB Connector/ODBC 3.1.15 through `odbc` 2.6 stops a block cursor early: with fetchSize 100 a
  // 10,000-row result gave 200 rows, with 1,000 one batch, then an empty fetch (measured).
  override readonly reliableCursorFetch: boolean = false;
  override readonly hasJsonTable: boolean;

  /** From `SELECT VERSION()`: JSON_TABLE needs MariaDB 10.6 or MySQL 8.0.4; unknown (the default) counts as absent. */
  constructor(serverVersion?: string) {
    super();
    this.hasJsonTable = serverVersion !== undefined && hasJsonTable(serverVersion);
  }

  protected override rowAliasClause(): string {
    return '';
  }

  protected override insertedValue(quotedColumn: string): string {
    return `VALUES(${quotedColumn})`;
  }
}

function hasJsonTable(serverVersion: string): boolean {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(serverVersion);
  if (!match) return false;
  const [major, minor, patch] = match.slice(1).map(Number) as [number, number, number];
  if (/mariadb/i.test(serverVersion)) return major > 10 || (major === 10 && minor >= 6);
  return major > 8 || (major === 8 && (minor > 0 || patch >= 4));
}
