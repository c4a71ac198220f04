import type { Migration } from '../migration';

export const V8_RUN_READ_PROGRESS: Migration = {
  version: 8,
  name: 'run read progress',
  tables: [],
  // Rows of the dataset read so far and the read's rate (rows a second); NULL: the read has not begun.
  columns: [
    { table: 'ai_model_run', column: { name: 'progress_rows', type: 'integer' } },
    { table: 'ai_model_run', column: { name: 'progress_rows_per_s', type: 'double' } },
  ],
};
