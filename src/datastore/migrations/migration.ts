import type { ColumnDefinition, IndexDefinition, TableDefinition } from '../types';

/**
 * A migration is data, not SQL: the tables it adds, rendered by each dialect. That is what lets
 * `npm run db:ddl -- --dialect tibero` print the same DDL the server would run.
 */
export interface Migration {
  /** Strictly increasing; never reused or renumbered once released. */
  readonly version: number;
  readonly name: string;
  readonly tables: readonly TableDefinition[];
  /** Nullable columns it adds to existing tables, after its tables. Default: none. */
  readonly columns?: readonly AddedColumn[];
  /**
   * Columns whose values the database is to store as they are, without trying to compress them
   * (SqlDialect.compileStoreUncompressed), after its columns. Default: none.
   */
  readonly uncompressed?: readonly StoredColumn[];
  /** Indexes it creates on existing tables, last. Default: none. */
  readonly indexes?: readonly IndexDefinition[];
}

export interface StoredColumn {
  readonly table: string;
  readonly column: string;
}

export interface AddedColumn {
  readonly table: string;
  /** Must be nullable: existing rows get NULL. */
  readonly column: ColumnDefinition;
}

/** Where applied versions are recorded. */
export const MIGRATIONS_TABLE: TableDefinition = {
  name: 'ai_schema_migrations',
  columns: [
    { name: 'version', type: 'integer', nullable: false },
    { name: 'name', type: 'string', length: 128, nullable: false },
    { name: 'applied_at', type: 'timestamp', nullable: false },
  ],
  primaryKey: ['version'],
};
