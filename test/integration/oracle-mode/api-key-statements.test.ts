import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import { ApiKeyRepository, type ApiKeyRecord } from '../../../src/modules/api-key/api-key.repository';
import { openRoundTripStore, ROUND_TRIP_TARGETS, type RoundTripStore } from '../../support/round-trip-targets';

/**
 * The API-key statements on the Oracle and Tibero dialects on H2 in Oracle mode: keys inserted, found by
 * hash, listed in creation order and revoked once; every field read back as written.
 */
const key = (index: number, createdAt: string): ApiKeyRecord => ({
  id: `key-${index}`,
  name: `열쇠 ${index} "ops"`,
  role: index === 0 ? 'admin' : 'viewer',
  keyHash: `${index}`.repeat(64).slice(0, 64),
  keyPrefix: `ak_${index}`,
  createdAt: new Date(createdAt),
  revokedAt: null,
});

for (const target of ROUND_TRIP_TARGETS.filter(({ name }) => name === 'oracle' || name === 'tibero')) {
  describe(`API-key statements on ${target.name} (H2 in Oracle mode)`, () => {
    let store: RoundTripStore;

    before(async () => {
      store = await openRoundTripStore(target, 'omkey_');
      await migrate(store.datastore, APP_MIGRATIONS);
    });
    after(async () => {
      await store?.close();
    });

    it('keys inserted, found by hash, listed in creation order, revoked once: every field as written', async () => {
      const keys = new ApiKeyRepository(store.datastore);
      const written = [key(2, '2026-05-01T00:00:02.002Z'), key(0, '2026-05-01T00:00:00.000Z'), key(1, '2026-05-01T00:00:01.001Z')];
      for (const record of written) await keys.insert(record);

      assert.deepEqual(await keys.findByHash(written[0]!.keyHash), written[0]);
      assert.equal(await keys.findByHash('f'.repeat(64)), null);
      assert.deepEqual(await keys.list(), [written[1], written[2], written[0]]);

      const revokedAt = new Date('2026-05-02T12:34:56.789Z');
      assert.equal(await keys.revoke('key-1', revokedAt), true);
      assert.equal(await keys.revoke('key-1', new Date('2026-05-03T00:00:00.000Z')), false, 'revoked once');
      assert.deepEqual(await keys.findByHash(written[2]!.keyHash), { ...written[2], revokedAt });
    });
  });
}
