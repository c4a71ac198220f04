import type { ColumnDefinition, DatabaseFailure, Statement, TableDefinition, UpsertSpec } from '../types';
import { SqlDialect, type DriverErrorFacts } from './dialect';

/**
 * MySQL 8.0.20+ through MySQL or MariaDB Connector/ODBC. MariaDB differs only in its UPSERT (see
 * mariadb.ts); the datastore asks the server which one it is at connect time.
 */
export class MysqlDialect extends SqlDialect {
  readonly variant: 'mysql' | 'mariadb' = 'mysql';
  override readonly maxIdentifierLength: number = 64;

  override quoteIdentifier(name: string): string {
    this.assertIdentifier(name);
    return `\`${name}\``;
  }

  serverVersionStatement(): Statement {
    return { sql: 'SELECT VERSION() AS version', parameters: [], kind: 'select' };
  }

  currentUtcTimestampSql(): string {
    return 'UTC_TIMESTAMP(3)';
  }

  columnTypeSql(column: ColumnDefinition): string {
    switch (column.type) {
      case 'string':
        return `VARCHAR(${column.length ?? 255})`;
      case 'text':
        return 'LONGTEXT';
      case 'integer':
        return 'INT';
      case 'bigint':
        return 'BIGINT';
      case 'double':
        return 'DOUBLE';
      // DATETIME, not TIMESTAMP: no 2038 limit and no conversion through the session time zone.
      case 'timestamp':
        return 'DATETIME(3)';
      case 'boolean':
        return 'TINYINT(1)';
    }
  }

  // utf8mb4 for Korean and every other text; the binary collation so keys that differ only in case or
  // accents stay distinct rows (the default *_ci collations would make 'a' and 'A' collide in ON DUPLICATE KEY).
  override compileCreateTable(table: TableDefinition): Statement {
    const statement = super.compileCreateTable(table);
    return { ...statement, sql: `${statement.sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin` };
  }

  // CAST … AS DOUBLE: MySQL 8.0.17+, MariaDB 10.4.5+.
  override castToDouble(expression: string): string {
    return `CAST(${expression} AS DOUBLE)`;
  }

  listTablesStatement(): Statement {
    return {
      sql: 'SELECT table_name AS table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name',
      parameters: [],
      kind: 'catalog',
    };
  }

  // MySQL 8 reports information_schema column names in upper case; the aliases pin them.
  listColumnsStatement(tables: readonly string[]): Statement {
    return {
      sql:
        'SELECT table_name AS table_name, column_name AS column_name, data_type AS data_type, is_nullable AS is_nullable, ' +
        'ordinal_position AS position FROM information_schema.columns ' +
        `WHERE table_schema = DATABASE() AND table_name IN (${this.inList(tables)}) ORDER BY table_name, ordinal_position`,
      parameters: [...tables],
      kind: 'catalog',
    };
  }

  primaryKeyStatement(table: string): Statement {
    return {
      sql:
        'SELECT column_name AS column_name FROM information_schema.key_column_usage ' +
        "WHERE table_schema = DATABASE() AND table_name = ? AND constraint_name = 'PRIMARY' ORDER BY ordinal_position",
      parameters: [table],
      kind: 'catalog',
    };
  }

  // ON DUPLICATE KEY fires on any unique index, not only keyColumns: outcome tables must have no other.
  // MySQL 8.0.20 deprecated VALUES(col) here in favour of a row alias.
  protected upsertSql(spec: UpsertSpec, rowCount: number): string {
    return (
      `INSERT INTO ${this.quoteIdentifier(spec.table)} (${this.columnList(spec.columns)}) VALUES ${this.valuesRows(spec, rowCount)}` +
      `${this.rowAliasClause()} ON DUPLICATE KEY UPDATE ${this.duplicateKeyAssignments(spec).join(', ')}`
    );
  }

  protected rowAliasClause(): string {
    return ' AS new_row';
  }

  protected insertedValue(quotedColumn: string): string {
    return `new_row.${quotedColumn}`;
  }

  private duplicateKeyAssignments(spec: UpsertSpec): string[] {
    const columns = this.updatableColumns(spec);
    // Nothing but keys: assign a key to itself, the documented no-op form.
    const targets = columns.length > 0 ? columns : [spec.columns[0]!];
    return targets.map((column) => {
      const name = this.quoteIdentifier(column.name);
      return columns.length > 0 ? `${name} = ${this.insertedValue(name)}` : `${name} = ${name}`;
    });
  }

  override classifyError(facts: DriverErrorFacts): DatabaseFailure {
    switch (facts.nativeCode) {
      case 1062: // duplicate entry
      case 1048: // column cannot be null
      case 1451:
      case 1452: // foreign keys
        return 'constraint';
      case 1213:
        return 'deadlock';
      case 1205: // lock wait timeout
      case 3024: // MySQL max_execution_time
      case 1969: // MariaDB max_statement_time
        return 'timeout';
      case 2002:
      case 2003:
      case 2006: // server has gone away
      case 2013: // lost connection during query
        return 'connection';
    }
    return super.classifyError(facts);
  }
}
