import { MysqlDialect } from './mysql';

/**
 * MariaDB: MySQL's dialect but for one thing. MariaDB has no row alias after VALUES (MySQL 8.0.19+),
 * and still documents `VALUES(col)` in ON DUPLICATE KEY UPDATE, which MySQL 8.0.20 deprecated.
 * MySQL servers older than 8.0.20 use this form too.
 */
export class MariadbDialect extends MysqlDialect {
  override readonly variant = 'mariadb' as const;

  protected override rowAliasClause(): string {
    return '';
  }

  protected override insertedValue(quotedColumn: string): string {
    return `VALUES(${quotedColumn})`;
  }
}
