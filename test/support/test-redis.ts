import Redis from 'ioredis';

/**
 * TESTS ONLY: the shared Redis of the test services (scripts/services/redis.sh), which other test
 * files use at the same time. Never flushed: a test works under a key prefix of its own and removes
 * only its own keys.
 */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  // Fail, never skip: a suite that silently runs nothing would pass.
  if (!url) throw new Error('TEST_REDIS_URL is not set: run the suite with `npm test`, which starts Redis and sets it');
  return url;
}

/** A key and channel prefix no other test (or earlier run) uses. */
export function redisTestPrefix(tag: string): string {
  return `test:${tag}:${process.pid.toString(36)}${Date.now().toString(36)}:`;
}

/** Deletes the keys under `prefix` (SCAN, then DEL), and nothing else. */
export async function removeRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
