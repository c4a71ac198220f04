import type { Migration } from '../migration';

export const V2_MODEL_RUNS: Migration = {
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
    {
      // The default outcome table; a dataset's own outcome table is created later with the same layout.
      name: 'ai_cluster_outcome',
      columns: [
        { name: 'dataset_id', type: 'string', length: 64, nullable: false },
        { name: 'entity_key', type: 'string', length: 512, nullable: false },
        { name: 'run_id', type: 'string', length: 64, nullable: false },
        { name: 'cluster', type: 'integer', nullable: false },
        { name: 'distance', type: 'double', nullable: false },
        { name: 'scored_at', type: 'timestamp', nullable: false },
      ],
      primaryKey: ['dataset_id', 'entity_key'],
    },
  ],
};
