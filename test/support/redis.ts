/**
 * TESTS ONLY: the shared test Redis (TEST_REDIS_URL, exported by scripts/services/start-all.sh).
 * Other checkouts' suites use it at the same time: each test gets a prefix of its own for every key
 * and channel, and deletes only its own keys afterwards (never FLUSHALL).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** TEST_REDIS_URL; a test that needs Redis fails without it, it never skips. */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url)
    throw new Error(
      'TEST_REDIS_URL is not set: start Redis with scripts/services/redis.sh start and export TEST_REDIS_URL=$(bash scripts/services/redis.sh url)',
    );
  return url;
}

/** A REDIS_PREFIX no other test uses: `test-<tag>-<random>:`. */
export function uniqueRedisPrefix(tag: string): string {
  return `test-${tag}-${randomBytes(6).toString('hex')}:`;
}

/** Deletes the keys under `prefix` (SCAN, then DEL): the test's own, nobody else's. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const client = new Redis(testRedisUrl());
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
