import type { Migration } from '../migration';

export const V6_RUN_PROGRESS_FRACTION: Migration = {
  version: 6,
  name: 'run progress fraction',
  tables: [],
  // The share of the run's estimated work done (src/modules/run/run-progress.ts); NULL: none recorded yet.
  columns: [{ table: 'ai_model_run', column: { name: 'progress_fraction', type: 'double' } }],
};
