import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ApiKeyRecord, ApiKeyRepository } from '../../../../src/modules/api-key/api-key.repository';
import { ApiKeyService, hashKey } from '../../../../src/modules/api-key/api-key.service';
import { AppError } from '../../../../src/errors/app-error';

const CREATED_AT = new Date('2025-01-02T03:04:05.000Z');

/** ai_api_key in memory, counting lookups; `revokeBehindTheService` stands for another process (the CLI). */
class MemoryKeys {
  readonly rows = new Map<string, ApiKeyRecord>();
  lookups = 0;

  insert(record: ApiKeyRecord): Promise<void> {
    this.rows.set(record.id, record);
    return Promise.resolve();
  }
  findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    this.lookups += 1;
    return Promise.resolve([...this.rows.values()].find((row) => row.keyHash === keyHash) ?? null);
  }
  list(): Promise<ApiKeyRecord[]> {
    return Promise.resolve([...this.rows.values()]);
  }
  revoke(id: string, at: Date): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.revokedAt) return Promise.resolve(false);
    this.rows.set(id, { ...row, revokedAt: at });
    return Promise.resolve(true);
  }
  revokeBehindTheService(id: string): void {
    this.rows.set(id, { ...this.rows.get(id)!, revokedAt: new Date('2025-01-02T04:00:00.000Z') });
  }
}

function service(): { keys: MemoryKeys; service: ApiKeyService } {
  const keys = new MemoryKeys();
  return { keys, service: new ApiKeyService(keys as unknown as ApiKeyRepository, () => CREATED_AT) };
}

function appError(error: unknown, code: string, field: string): boolean {
  return error instanceof AppError && error.code === code && error.details?.field === field;
}

describe('ApiKeyService', () => {
  it('create returns aim_ + 43 base64url characters and stores only its SHA-256 and its first 10 characters', async () => {
    const { keys, service: apiKeys } = service();
    const { key, record } = await apiKeys.create('  ci pipeline  ', 'operator');
    assert.match(key, /^aim_[A-Za-z0-9_-]{43}$/);
    assert.equal(record.name, 'ci pipeline');
    assert.equal(record.role, 'operator');
    assert.equal(record.keyHash, createHash('sha256').update(key).digest('hex'));
    assert.equal(record.keyHash, hashKey(key));
    assert.equal(record.keyPrefix, key.slice(0, 10));
    assert.equal(record.createdAt, CREATED_AT);
    assert.equal(record.revokedAt, null);
    const stored = JSON.stringify([...keys.rows.values()]);
    assert.ok(!stored.includes(key.slice(10)), 'the secret part is not stored');
  });

  it('create refuses an unknown role and an empty or 129-character name with BAD_USER_INPUT, storing nothing', async () => {
    const { keys, service: apiKeys } = service();
    await assert.rejects(apiKeys.create('x', 'root'), (error) => appError(error, 'BAD_USER_INPUT', 'role'));
    await assert.rejects(apiKeys.create('   ', 'viewer'), (error) => appError(error, 'BAD_USER_INPUT', 'name'));
    await assert.rejects(apiKeys.create('n'.repeat(129), 'viewer'), (error) => appError(error, 'BAD_USER_INPUT', 'name'));
    assert.equal(keys.rows.size, 0);
    await apiKeys.create('n'.repeat(128), 'viewer');
    assert.equal(keys.rows.size, 1);
  });

  it('two keys are different, with different hashes', async () => {
    const { service: apiKeys } = service();
    const first = await apiKeys.create('a', 'viewer');
    const second = await apiKeys.create('b', 'viewer');
    assert.notEqual(first.key, second.key);
    assert.notEqual(first.record.keyHash, second.record.keyHash);
  });

  it('authenticate returns the key’s identity (subject, role, keyId) and null for an unknown key', async () => {
    const { service: apiKeys } = service();
    const { key, record } = await apiKeys.create('reporting', 'viewer');
    assert.deepEqual(await apiKeys.authenticate(key), { subject: 'api-key:reporting', role: 'viewer', method: 'api-key', keyId: record.id });
    assert.equal(await apiKeys.authenticate(`${key}x`), null);
    assert.equal(await apiKeys.authenticate(`aim_${'A'.repeat(43)}`), null);
  });

  it('a known key is looked up once and then served from the cache', async () => {
    const { keys, service: apiKeys } = service();
    const { key } = await apiKeys.create('cached', 'viewer');
    await apiKeys.authenticate(key);
    await apiKeys.authenticate(key);
    await apiKeys.authenticate(key);
    assert.equal(keys.lookups, 1);
  });

  it('wrong keys are not remembered: each one is looked up, so a flood of them cannot grow the cache', async () => {
    const { keys, service: apiKeys } = service();
    const wrong = `aim_${'Z'.repeat(43)}`;
    assert.equal(await apiKeys.authenticate(wrong), null);
    assert.equal(await apiKeys.authenticate(wrong), null);
    assert.equal(keys.lookups, 2);
  });

  it('revoke through the service takes effect at once, even for a cached key; the record shows revokedAt', async () => {
    const { service: apiKeys } = service();
    const { key, record } = await apiKeys.create('revoked', 'admin');
    assert.ok(await apiKeys.authenticate(key));
    const revoked = await apiKeys.revoke(record.id);
    assert.deepEqual(revoked.revokedAt, CREATED_AT);
    assert.equal(await apiKeys.authenticate(key), null);
    // Revoking again is harmless and keeps the first time.
    assert.deepEqual((await apiKeys.revoke(record.id)).revokedAt, CREATED_AT);
  });

  it('revoke of an unknown id is BAD_USER_INPUT naming id', async () => {
    const { service: apiKeys } = service();
    await assert.rejects(apiKeys.revoke('missing'), (error) => appError(error, 'BAD_USER_INPUT', 'id'));
  });

  it('a key revoked by another process stays accepted from the cache until 30 s have passed, then is refused', async (t) => {
    let now = 1_000_000;
    t.mock.method(Date, 'now', () => now);
    const { keys, service: apiKeys } = service();
    const { key, record } = await apiKeys.create('revoked elsewhere', 'viewer');
    assert.ok(await apiKeys.authenticate(key));
    keys.revokeBehindTheService(record.id);
    now += 29_999;
    assert.ok(await apiKeys.authenticate(key), 'still cached');
    now += 1;
    assert.equal(await apiKeys.authenticate(key), null, 'refused once the cache entry expired');
  });
});
