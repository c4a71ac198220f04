import type { Migration } from '../migration';

export const V5_RUN_ATTEMPTS: Migration = {
  version: 5,
  name: 'run attempts',
  tables: [],
  // How many times a replica claimed the run (the database is the run queue); NULL reads as 0.
  columns: [{ table: 'ai_model_run', column: { name: 'attempts', type: 'integer' } }],
};
