import type { Migration } from '../migration';

export const V4_RUN_PUBLISH_ERRORS: Migration = {
  version: 4,
  name: 'run publish errors',
  tables: [],
  // Why a succeeded run's outcomes are not in its outcome table: its results stay, publishing can be retried.
  columns: [
    { table: 'ai_model_run', column: { name: 'publish_error_code', type: 'string', length: 64 } },
    { table: 'ai_model_run', column: { name: 'publish_error_message', type: 'text' } },
    { table: 'ai_model_run', column: { name: 'publish_error_at', type: 'timestamp' } },
  ],
};
