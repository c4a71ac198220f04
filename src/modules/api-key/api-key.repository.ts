import type { Role } from '../../auth/roles';
import type { Executor } from '../../datastore/contracts';
import type { ColumnDefinition, Row } from '../../datastore/types';
import { textOrNull } from '../../datastore/text-value';

const TABLE = 'ai_api_key';

const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'string' },
  { name: 'name', type: 'string' },
  { name: 'role', type: 'string' },
  { name: 'key_hash', type: 'string' },
  { name: 'key_prefix', type: 'string' },
  { name: 'created_at', type: 'timestamp' },
  { name: 'revoked_at', type: 'timestamp' },
];

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** SHA-256 of the key, hex. The key itself is never stored. */
  readonly keyHash: string;
  /** The key's first characters, to tell keys apart in listings. */
  readonly keyPrefix: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

/** API keys (table ai_api_key), by hash. */
export class ApiKeyRepository {
  constructor(private readonly executor: Executor) {}

  async insert(record: ApiKeyRecord): Promise<void> {
    await this.executor.execute(
      this.executor.dialect.compileInsert(TABLE, COLUMNS, {
        id: record.id,
        name: record.name,
        role: record.role,
        key_hash: record.keyHash,
        key_prefix: record.keyPrefix,
        created_at: record.createdAt,
        revoked_at: record.revokedAt,
      }),
    );
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const rows = await this.executor.query({ sql: `${this.selectAll()} WHERE ${this.q('key_hash')} = ?`, parameters: [keyHash], kind: 'select' });
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.executor.query({ sql: `${this.selectAll()} ORDER BY ${this.q('created_at')}`, parameters: [], kind: 'select' });
    return rows.map(toRecord);
  }

  /** Marks the key revoked; false when no such key was active. */
  async revoke(id: string, at: Date): Promise<boolean> {
    const count = await this.executor.execute({
      sql: `UPDATE ${this.q(TABLE)} SET ${this.q('revoked_at')} = ${this.executor.dialect.timestampParameterSql()} WHERE ${this.q('id')} = ? AND ${this.q('revoked_at')} IS NULL`,
      parameters: [at, id],
      kind: 'update',
    });
    return count > 0;
  }

  private selectAll(): string {
    return `SELECT ${COLUMNS.map((column) => this.q(column.name)).join(', ')} FROM ${this.q(TABLE)}`;
  }

  private q(name: string): string {
    return this.executor.dialect.quoteIdentifier(name);
  }
}

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    role: String(row.role) as Role,
    keyHash: String(row.key_hash),
    keyPrefix: String(row.key_prefix),
    createdAt: row.created_at as Date,
    revokedAt: revokedAt(row.revoked_at),
  };
}

/** Fail safe: any value at all in revoked_at means revoked, whatever type the driver returns. */
function revokedAt(value: unknown): Date | null {
  if (value instanceof Date) return value;
  const text = textOrNull(value);
  return text === null ? null : new Date(text);
}
