import type { Migration } from '../migration';

export const V9_ASSIGNMENT_CHUNKS_UNCOMPRESSED: Migration = {
  version: 9,
  name: 'assignment chunks uncompressed',
  tables: [],
  // Base64 of packed numbers does not compress; PostgreSQL tried on every chunk (0.5 s of a 1M-row run's save).
  // Chunks stored before keep their form; both read back the same.
  uncompressed: [{ table: 'ai_run_assignment_chunk', column: 'packed' }],
};
