import type { Migration } from '../migration';

export const V10_RUN_PUBLISHING: Migration = {
  version: 10,
  name: 'run publishing',
  tables: [],
  // When a run's own publish began; NULL once it ended (published or failed) or when it publishes nothing.
  // The owner's heartbeat keeps such a row fresh, so a publish whose server died is found and reported.
  columns: [{ table: 'ai_model_run', column: { name: 'publishing_since', type: 'timestamp' } }],
};
