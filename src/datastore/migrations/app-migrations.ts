import { MIGRATIONS_TABLE, type Migration } from './migration';
import { V1_DATASETS } from './versions/001-datasets';
import { V2_MODEL_RUNS } from './versions/002-model-runs';
import { V3_API_KEYS } from './versions/003-api-keys';
import { V4_RUN_PUBLISH_ERRORS } from './versions/004-run-publish-errors';
import { V5_RUN_ATTEMPTS } from './versions/005-run-attempts';
import { V6_RUN_PROGRESS_FRACTION } from './versions/006-run-progress-fraction';
import { V7_RUN_ASSIGNMENT_CHUNKS } from './versions/007-run-assignment-chunks';
import { V8_RUN_READ_PROGRESS } from './versions/008-run-read-progress';
import { V9_ASSIGNMENT_CHUNKS_UNCOMPRESSED } from './versions/009-assignment-chunks-uncompressed';
import { V10_RUN_PUBLISHING } from './versions/010-run-publishing';
import { V11_RUN_INDEXES } from './versions/011-run-indexes';

/**
 * The app's own tables, version by version; each version is written out literally and never changed
 * once released. Names stay within 30 characters (Tibero 6 and Oracle before 12.2).
 */
export const APP_MIGRATIONS: readonly Migration[] = [
  V1_DATASETS,
  V2_MODEL_RUNS,
  V3_API_KEYS,
  V4_RUN_PUBLISH_ERRORS,
  V5_RUN_ATTEMPTS,
  V6_RUN_PROGRESS_FRACTION,
  V7_RUN_ASSIGNMENT_CHUNKS,
  V8_RUN_READ_PROGRESS,
  V9_ASSIGNMENT_CHUNKS_UNCOMPRESSED,
  V10_RUN_PUBLISHING,
  V11_RUN_INDEXES,
];

const APP_TABLES = new Set([MIGRATIONS_TABLE.name, ...APP_MIGRATIONS.flatMap((migration) => migration.tables.map((table) => table.name))]);

/** Whether `name` is one of the app's own tables (runs, keys, datasets, migrations, the default outcome table), in any case. An outcome table a dataset names is not. */
export function isAppTable(name: string): boolean {
  return APP_TABLES.has(name.toLowerCase());
}
