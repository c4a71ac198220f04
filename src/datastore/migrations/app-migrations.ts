import { DEFAULT_OUTCOME_TABLE, outcomeTableDefinition } from '../../modules/outcome/outcome-table';
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
  {
    version: 2,
    name: 'model runs, assignments and outcomes',
    tables: [
      {
        name: 'ai_model_run',
        columns: [
          { name: 'id', type: 'string', length: 64, nullable: false },
          { name: 'dataset_id', type: 'string', length: 64, nullable: false },
          { name: 'status', type: 'string', length: 16, nullable: false },
          { name: 'params', type: 'text', nullable: false },
          { name: 'idempotency_key', type: 'string', length: 128 },
          { name: 'progress_iteration', type: 'integer', nullable: false },
          { name: 'progress_max', type: 'integer', nullable: false },
          { name: 'progress_shift', type: 'double' },
          { name: 'metrics', type: 'text' },
          { name: 'iterations', type: 'text' },
          { name: 'k_selection', type: 'text' },
          { name: 'centroids', type: 'text' },
          { name: 'cluster_sizes', type: 'text' },
          { name: 'preparation', type: 'text' },
          { name: 'error_code', type: 'string', length: 64 },
          { name: 'error_message', type: 'text' },
          { name: 'owner', type: 'string', length: 64 },
          { name: 'created_at', type: 'timestamp', nullable: false },
          { name: 'started_at', type: 'timestamp' },
          { name: 'finished_at', type: 'timestamp' },
          { name: 'heartbeat_at', type: 'timestamp' },
          { name: 'outcomes_published_at', type: 'timestamp' },
        ],
        primaryKey: ['id'],
        unique: [['idempotency_key']],
      },
      {
        // One row per entity of a finished run: what publishing (now or later) writes to the outcome table.
        name: 'ai_run_assignment',
        columns: [
          { name: 'run_id', type: 'string', length: 64, nullable: false },
          { name: 'entity_key', type: 'string', length: 512, nullable: false },
          { name: 'cluster', type: 'integer', nullable: false },
          { name: 'distance', type: 'double', nullable: false },
        ],
        primaryKey: ['run_id', 'entity_key'],
      },
      outcomeTableDefinition(DEFAULT_OUTCOME_TABLE),
    ],
  },
  {
    version: 3,
    name: 'api keys',
    tables: [
      {
        name: 'ai_api_key',
        columns: [
          { name: 'id', type: 'string', length: 64, nullable: false },
          { name: 'name', type: 'string', length: 128, nullable: false },
          { name: 'role', type: 'string', length: 16, nullable: false },
          { name: 'key_hash', type: 'string', length: 64, nullable: false },
          { name: 'key_prefix', type: 'string', length: 16, nullable: false },
          { name: 'created_at', type: 'timestamp', nullable: false },
          { name: 'revoked_at', type: 'timestamp' },
        ],
        primaryKey: ['id'],
        unique: [['key_hash']],
      },
    ],
  },
  {
    version: 4,
    name: 'run publish errors',
    tables: [],
    // Why a succeeded run's outcomes are not in its outcome table: its results stay, publishing can be retried.
    columns: [
      { table: 'ai_model_run', column: { name: 'publish_error_code', type: 'string', length: 64 } },
      { table: 'ai_model_run', column: { name: 'publish_error_message', type: 'text' } },
      { table: 'ai_model_run', column: { name: 'publish_error_at', type: 'timestamp' } },
    ],
  },
];
