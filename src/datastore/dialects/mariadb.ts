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

  protected override rowAliasClause(): string {
    return '';
  }

  protected override insertedValue(quotedColumn: string): string {
    return `VALUES(${quotedColumn})`;
  }
}
