import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiKeyRecord } from '../../../src/modules/api-key/api-key.repository';
import { ApiKeyRepository } from '../../../src/modules/api-key/api-key.repository';
import { ApiKeyService, hashKey } from '../../../src/modules/api-key/api-key.service';
import { ROLES } from '../../../src/auth/roles';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import { characterCount } from '../../../src/shared/character-count';
import { RoundTripGenerator, ROUND_TRIP_SEED } from '../../support/round-trip-data';
import { assertRoundTrip } from '../../support/round-trip-compare';
import { openRoundTripStore, ROUND_TRIP_TARGETS, type RoundTripStore } from '../../support/round-trip-targets';

/**
 * Path (f) of the round trip: API keys as ApiKeyService creates and revokes them. Names are Unicode up
 * to the 128 characters a name may have (astral characters included, each one character), created and
 * revoked at edge timestamps; the stored keys are compared with the records creation returned, and
 * each key authenticates as its name and role until it is revoked.
 */
const KEYS = 30;
const NAME_LIMIT = 128;

for (const target of ROUND_TRIP_TARGETS) {
  describe(`round trip, API keys on ${target.name}`, () => {
    let store: RoundTripStore;

    before(async () => {
      store = await openRoundTripStore(target, 'rtkey_');
      await migrate(store.datastore, APP_MIGRATIONS);
    });
    after(async () => {
      await store?.close();
    });

    it(`${KEYS} keys with Unicode names up to ${NAME_LIMIT} characters: list() gives back every field, and each key authenticates as its name and role until revoked`, async () => {
      const generator = new RoundTripGenerator(ROUND_TRIP_SEED);
      let clock = generator.timestamp();
      const service = new ApiKeyService(new ApiKeyRepository(store.datastore), () => clock);
      const created: { key: string; record: ApiKeyRecord }[] = [];
      for (let index = 0; index < KEYS; index++) {
        clock = generator.timestamp();
        // Every third name has exactly the limit's 128 characters, astral ones among them.
        const name =
          index % 3 === 0 ? `${generator.pick(['😀', '𝔘', '한'])}${generator.text(NAME_LIMIT - 1)}` : generator.text(1 + generator.integer(NAME_LIMIT));
        assert.ok(characterCount(name) <= NAME_LIMIT);
        const result = await service.create(name, ROLES[index % ROLES.length]!);
        assert.equal(result.record.name, name, 'the name is kept as given');
        assert.equal(result.record.keyHash, hashKey(result.key));
        created.push(result);
      }
      const revoked = new Map<string, Date>();
      for (const [index, { record }] of created.entries()) {
        if (index % 4 !== 1) continue;
        clock = generator.timestamp();
        await service.revoke(record.id);
        revoked.set(record.id, clock);
      }
      const expected = created.map(({ record }) => ({ ...record, revokedAt: revoked.get(record.id) ?? null }));

      assertRoundTrip({
        what: `API keys on ${target.name}`,
        written: expected,
        read: await service.list(),
        keyOfWritten: (record) => record.id,
        keyOfRead: (record) => record.id,
        columns: (['name', 'role', 'keyHash', 'keyPrefix', 'createdAt', 'revokedAt'] as const).map((name) => ({
          name,
          expected: (record: ApiKeyRecord) => record[name],
          actual: (record: ApiKeyRecord) => record[name],
        })),
      });
      const identities = await Promise.all(created.map(({ key }) => service.authenticate(key)));
      assertRoundTrip({
        what: `identities of API keys on ${target.name}`,
        written: expected,
        read: identities.flatMap((identity, index) => [{ id: created[index]!.record.id, identity }]),
        keyOfWritten: (record) => record.id,
        keyOfRead: (row) => row.id,
        columns: [
          {
            name: 'identity',
            expected: (record) => (record.revokedAt ? null : { subject: `api-key:${record.name}`, role: record.role, method: 'api-key', keyId: record.id }),
            actual: (row) => (row.identity ? { ...row.identity } : null),
          },
        ],
      });
    });
  });
}
