import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { API_KEY_PREFIX, type ApiKeyLookup } from '../../auth/api-key-lookup';
import { isRole, type Identity } from '../../auth/roles';
import { AppError } from '../../errors/app-error';
import { characterCount } from '../../shared/character-count';
import type { ApiKeyRecord, ApiKeyRepository } from './api-key.repository';

// A verified key is remembered this long by default, so each request does not cost a lookup; without
// a revocation broadcast, a revocation by another process takes effect within it.
const CACHE_MS = 30_000;

/** Revocations told to every replica (Redis), so each one's cache forgets a key revoked on another. */
export interface KeyRevocationBroadcast {
  /** Tells the other replicas; resolves once sent (a failure is logged by the broadcast, never thrown). */
  publish(keyId: string): Promise<void>;
  /** `listener(keyId)` for each key another replica revoked; `listener(null)` when some may have been missed. */
  subscribe(listener: (keyId: string | null) => void): void;
}

/**
 * API keys: 32 random bytes, shown once at creation. Only their SHA-256 is stored — a fast hash is
 * enough for a secret with 256 bits of entropy (there is nothing to guess), and it allows lookup by hash.
 */
export class ApiKeyService implements ApiKeyLookup {
  private readonly cache = new Map<string, { identity: Identity; until: number }>();
  private readonly revokedListeners: ((keyId: string) => void)[] = [];

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly now: () => Date = () => new Date(),
    private readonly cacheMs = CACHE_MS,
    private readonly revocations: KeyRevocationBroadcast | null = null,
  ) {
    revocations?.subscribe((keyId) => this.forget(keyId));
  }

  /** Calls `listener` with the key's id each time a key is revoked here or, told by the broadcast, on another replica (its sockets close). */
  onRevoked(listener: (keyId: string) => void): void {
    this.revokedListeners.push(listener);
  }

  async create(name: string, role: string): Promise<{ key: string; record: ApiKeyRecord }> {
    const trimmed = name.trim();
    const length = characterCount(trimmed);
    if (length < 1 || length > 128) throw new AppError('BAD_USER_INPUT', 'An API key name must have 1 to 128 characters', { field: 'name' });
    if (!isRole(role)) throw new AppError('BAD_USER_INPUT', `role must be viewer, operator or admin, got "${role}"`, { field: 'role' });
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = {
      id: randomUUID(),
      name: trimmed,
      role: role,
      keyHash: hashKey(key),
      keyPrefix: key.slice(0, API_KEY_PREFIX.length + 6),
      createdAt: this.now(),
      revokedAt: null,
    };
    await this.keys.insert(record);
    return { key, record };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.keys.list();
  }

  async revoke(id: string): Promise<ApiKeyRecord> {
    const revoked = await this.keys.revoke(id, this.now());
    const record = (await this.keys.list()).find((key) => key.id === id);
    if (!record) throw new AppError('BAD_USER_INPUT', `No API key has id "${id}"`, { field: 'id' });
    if (revoked) {
      this.forget(id);
      await this.revocations?.publish(id);
    }
    return record;
  }

  /** Drops the cached keys (a revoked key's hash is not known here), and closes the key's sockets. */
  private forget(keyId: string | null): void {
    this.cache.clear();
    if (keyId !== null) for (const listener of this.revokedListeners) listener(keyId);
  }

  /** The identity a key stands for, or null for an unknown or revoked key. */
  async authenticate(key: string): Promise<Identity | null> {
    const hash = hashKey(key);
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.identity;
    const record = await this.keys.findByHash(hash);
    const identity: Identity | null =
      record && !record.revokedAt ? { subject: `api-key:${record.name}`, role: record.role, method: 'api-key', keyId: record.id } : null;
    // Only keys that exist are remembered: caching every wrong key a caller sends would let anyone
    // grow this map without bound.
    if (identity && this.cacheMs > 0) this.cache.set(hash, { identity, until: Date.now() + this.cacheMs });
    return identity;
  }
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
