import type { Migration } from '../migration';

export const V11_RUN_INDEXES: Migration = {
  version: 11,
  name: 'run indexes',
  tables: [],
  // What every replica asks of ai_model_run each heartbeat or poll, and what listings sort on: without
  // them each is a scan of every run. Names at most 30 characters (Tibero 6, Oracle before 12.2).
  indexes: [
    // The queue claim (status = 'QUEUED' ORDER BY created_at), its count, the stale-run sweep, status filters.
    { name: 'ai_run_status_created', table: 'ai_model_run', columns: ['status', 'created_at'] },
    // A dataset's runs and its latest run, newest first.
    { name: 'ai_run_dataset_created', table: 'ai_model_run', columns: ['dataset_id', 'created_at'] },
    // The default listing, newest first.
    { name: 'ai_run_created', table: 'ai_model_run', columns: ['created_at'] },
    // Each replica's heartbeat and shutdown (owner = ?).
    { name: 'ai_run_owner', table: 'ai_model_run', columns: ['owner'] },
    // The stale-publish sweep (publishing_since IS NOT NULL), NULL in nearly every row.
    { name: 'ai_run_publishing', table: 'ai_model_run', columns: ['publishing_since'] },
  ],
};
