import type { Migration } from '../migration';

export const V7_RUN_ASSIGNMENT_CHUNKS: Migration = {
  version: 7,
  name: 'run assignment chunks',
  tables: [
    {
      // A run's assignments packed a chunk of rows a row (src/modules/run/assignment-chunk-codec.ts), keys
      // sorted within it; runs stored before this keep their rows in ai_run_assignment.
      name: 'ai_run_assignment_chunk',
      columns: [
        { name: 'run_id', type: 'string', length: 64, nullable: false },
        { name: 'chunk_index', type: 'integer', nullable: false },
        { name: 'row_count', type: 'integer', nullable: false },
        // The chunk's smallest and largest key (code point order), so a page or a lookup reads only the chunks it needs; NULL when empty.
        { name: 'first_key', type: 'string', length: 512 },
        { name: 'last_key', type: 'string', length: 512 },
        // Base64 text: binary did not read back bit-exact through the SQLite ODBC driver (past 255 bytes) nor from H2's BLOB via psqlODBC.
        { name: 'packed', type: 'text', nullable: false },
      ],
      primaryKey: ['run_id', 'chunk_index'],
    },
  ],
};
