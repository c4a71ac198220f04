import type { TableDefinition } from '../../datastore/types';

/** Where a dataset's outcomes go unless it names its own table. Created by migration 2. */
export const DEFAULT_OUTCOME_TABLE = 'ai_cluster_outcome';

/** Characters an entity key may have: entity_key in outcome tables and in ai_run_assignment (migration 2). */
export const ENTITY_KEY_LENGTH = 512;

/**
 * The layout every outcome table has: the latest published cluster of each entity of each dataset,
 * with the run that assigned it and when that run finished (`scored_at`), so publishing a run twice writes the same rows.
 * A dataset may name its own outcome table; it is created with this layout, or must already have it.
 */
export function outcomeTableDefinition(name: string): TableDefinition {
  return {
    name,
    columns: [
      { name: 'dataset_id', type: 'string', length: 64, nullable: false },
      { name: 'entity_key', type: 'string', length: ENTITY_KEY_LENGTH, nullable: false },
      { name: 'run_id', type: 'string', length: 64, nullable: false },
      { name: 'cluster', type: 'integer', nullable: false },
      { name: 'distance', type: 'double', nullable: false },
      { name: 'scored_at', type: 'timestamp', nullable: false },
    ],
    primaryKey: ['dataset_id', 'entity_key'],
  };
}
