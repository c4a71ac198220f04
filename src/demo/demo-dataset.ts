import type { SqlValue, TableDefinition } from '../datastore/types';

/** A dataset the server can create and fill itself: its table, its rows and its registration. */
export interface DemoDataset {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly table: TableDefinition;
  readonly featureColumns: readonly string[];
  readonly expectedRows: number;
  readonly rows: () => Record<string, SqlValue>[];
}
