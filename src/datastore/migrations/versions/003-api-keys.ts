import type { Migration } from '../migration';

export const V3_API_KEYS: Migration = {
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
};
