import type { Migration } from '../migration';

export const V1_DATASETS: Migration = {
  version: 1,
  name: 'datasets',
  tables: [
    {
      name: 'ai_dataset',
      columns: [
        { name: 'id', type: 'string', length: 64, nullable: false },
        { name: 'name', type: 'string', length: 128, nullable: false },
        { name: 'table_name', type: 'string', length: 128, nullable: false },
        // Lists of column names, as JSON text.
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
};
