import type { Migration } from './migration';

/**
 * The app's own tables, in order. Names stay within 30 characters (Tibero 6 and Oracle before 12.2).
 * Lists of column names are stored as JSON text.
 */
export const APP_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'datasets',
    tables: [
      {
        name: 'ai_dataset',
        columns: [
          { name: 'id', type: 'string', length: 64, nullable: false },
          { name: 'name', type: 'string', length: 128, nullable: false },
          { name: 'table_name', type: 'string', length: 128, nullable: false },
          { name: 'key_columns', type: 'text', nullable: false },
          { name: 'feature_columns', type: 'text', nullable: false },
          { name: 'description', type: 'text' },
          { name: 'outcome_table', type: 'string', length: 128 },
          { name: 'created_at', type: 'timestamp', nullable: false },
          { name: 'updated_at', type: 'timestamp', nullable: false },
        ],
        primaryKey: ['id'],
        unique: [['name']],
      },
    ],
  },
];
