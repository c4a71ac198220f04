import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DatasetNamesDocument } from '../generated/graphql';
import { startTestServer, type TestServer } from '../support/app-harness';
import { Redis } from 'ioredis';
import { testRedisUrl, uniqueRedisPrefix } from '../support/redis';
import { dataOf, pollUntil } from '../support/runs';

const PASSWORD = 'Redis-Pass-never-shown-42';

async function readyz(server: TestServer, admin: boolean): Promise<{ status: number; text: string; body: Record<string, unknown> }> {
  const response = await server.get('/readyz', admin ? { authorization: `Bearer ${server.adminKey}` } : { authorization: '' });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

/**
 * /readyz with REDIS_URL: an admin learns whether Redis answers; Redis never decides readiness (the
 * server serves on without it), and a password in REDIS_URL shows in no answer and no log line.
 */
describe('/readyz and REDIS_URL', () => {
  let reachable: TestServer;
  let unreachable: TestServer;

  before(async () => {
    reachable = await startTestServer({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniqueRedisPrefix('readiness') });
    // Port 1 on loopback: nothing listens, every connection is refused.
    unreachable = await startTestServer({ REDIS_URL: `redis://user:${PASSWORD}@127.0.0.1:1/0`, REDIS_PREFIX: uniqueRedisPrefix('readiness') });
  });
  after(async () => {
    await reachable?.stop();
    await unreachable?.stop();
  });

  it('Redis answering: an admin sees redis { reachable: true, error: null }; an anonymous caller sees { ready: true } only', async () => {
    const admin = await readyz(reachable, true);
    assert.equal(admin.status, 200);
    assert.deepEqual(admin.body.redis, { reachable: true, error: null });
    assert.deepEqual((await readyz(reachable, false)).body, { ready: true });
  });

  it('Redis refusing connections: still ready (200) and serving; an admin sees reachable false with a reason; the password is in no answer and no log line', async () => {
    const admin = await readyz(unreachable, true);
    assert.equal(admin.status, 200, admin.text);
    const redis = admin.body.redis as { reachable: boolean; error: string };
    assert.equal(redis.reachable, false);
    assert.equal(typeof redis.error, 'string');
    assert.ok(redis.error.length > 0);
    assert.ok(dataOf(await unreachable.graphql(DatasetNamesDocument), 'datasets').datasets.some((dataset) => dataset.name === 'iris'));
    assert.ok(!admin.text.includes(PASSWORD));
    const logs = unreachable.logs.join('');
    assert.match(logs, /redis: the (publisher|subscriber) connection failed; reconnecting/);
    assert.ok(!logs.includes(PASSWORD), 'the password is never logged');
  });
});

describe('a server with REDIS_URL holds two Redis connections while it runs, and stop() closes them', () => {
  it('CLIENT LIST names <prefix>publisher and <prefix>subscriber while the server runs, and neither after stop()', async () => {
    const prefix = uniqueRedisPrefix('connections');
    const observer = new Redis(testRedisUrl());
    const names = async (): Promise<string[]> => {
      const list = String(await observer.call('CLIENT', 'LIST'));
      return list
        .split('\n')
        .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
        .filter((name) => name.startsWith(prefix))
        .sort();
    };
    const server = await startTestServer({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix });
    let stopped = false;
    try {
      // Made and closed in the background: a bounded wait for each state (not a timing assertion).
      await pollUntil(names, (listed) => listed.length === 2, 'both connections listed', 10_000);
      assert.deepEqual(await names(), [`${prefix}publisher`, `${prefix}subscriber`]);
      await server.stop();
      stopped = true;
      assert.deepEqual(await pollUntil(names, (listed) => listed.length === 0, 'both connections closed', 10_000), []);
    } finally {
      if (!stopped) await server.stop();
      observer.disconnect();
    }
  });
});
