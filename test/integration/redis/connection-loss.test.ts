import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { SharedRedis } from '../../../src/app/redis';
import { RateLimiter } from '../../../src/auth/rate-limiter';
import { SharedRateLimiter } from '../../../src/auth/shared-rate-limiter';
import { createLogger } from '../../../src/logging/logger';
import type { ModelRunRecord } from '../../../src/modules/run/run.record';
import { createRunUpdateChannel, type RunUpdateChannel } from '../../../src/modules/run/run-update-channel';
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from '../../support/redis';
import { pollUntil, runRecord } from '../../support/runs';
import { startSwitchableRelay, type SwitchableRelay } from '../../support/switchable-relay';

const PASSWORD = 's3cret-redis-pw';

/**
 * A replica whose Redis goes away and comes back (a relay in front of the test Redis, closed then
 * reopened on the same port): nothing crashes or hangs, the warning never shows the URL's password,
 * its subscriber hears of runs through polling while Redis is away, and through Redis once it is back.
 */
describe('Redis lost and back: run updates resume, the rate limit and /readyz ping do not hang', () => {
  const prefix = uniqueRedisPrefix('redis-loss');
  const logs: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  );
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  let relay: SwitchableRelay | undefined;
  const connections: SharedRedis[] = [];
  const channels: RunUpdateChannel[] = [];
  after(async () => {
    process.off('unhandledRejection', onRejection);
    for (const channel of channels) await channel.stop();
    await relay?.close();
    for (const redis of connections) await redis.close();
    await deleteRedisKeys(prefix);
  });

  const replica = (url: string, stored: () => ModelRunRecord | null) => {
    const redis = new SharedRedis({ url, redactedUrl: url.replace(PASSWORD, '*****'), prefix }, logger, () => undefined);
    connections.push(redis);
    const channel = createRunUpdateChannel({
      runs: { findByIds: () => Promise.resolve([stored()].filter((run) => run !== null)) },
      prefix,
      shared: { eventTarget: redis.runEventTarget(), listening: (topic) => redis.listening(topic) },
      pollMs: 100,
      onError: (error) => rejections.push(error),
    });
    redis.onDisconnect(() => channel.sharedDown());
    redis.onReconnect(() => void channel.sharedUp());
    channels.push(channel);
    return { redis, channel };
  };

  // A bound: an update that never comes fails the test, instead of holding the whole suite.
  it(
    'a subscriber behind a lost connection gets updates by polling while it is down, then live updates through Redis again once it is back',
    { timeout: 60_000 },
    async () => {
      const direct = new URL(testRedisUrl());
      relay = await startSwitchableRelay(`http://${direct.host}`);
      // Redis here has no password: the server answers AUTH with an error and ioredis carries on without one.
      const viaRelay = `redis://:${PASSWORD}@127.0.0.1:${relay.port}`;
      const base = runRecord('dataset', { status: 'RUNNING', startedAt: new Date('2026-12-03T10:00:00.000Z') });
      const at = (iteration: number): ModelRunRecord => ({ ...base, progress: { ...base.progress, iteration } });
      let stored: ModelRunRecord = at(1);
      const publisher = replica(testRedisUrl(), () => stored);
      const subscriber = replica(viaRelay, () => stored);

      const updates = await subscriber.channel.subscribe(base.id);
      publisher.channel.publish(at(1));
      assert.deepStrictEqual((await updates.next()).value, at(1));

      await relay.close();
      await pollUntil(
        () => Promise.resolve(logs.join('')),
        (text) => text.includes('redis: the subscriber connection failed; reconnecting'),
        'a warning about the lost connection',
      );
      // Missed through Redis while away, but polled from the runs meanwhile.
      stored = at(2);
      publisher.channel.publish(at(2));
      assert.deepStrictEqual((await updates.next()).value, at(2));
      // The subscriber's own commands fail within their bound.
      await assert.rejects(subscriber.redis.ping(), (error: Error) => !error.message.includes(PASSWORD));
      const limiter = new SharedRateLimiter({
        limit: 1,
        windowMs: 60_000,
        what: 'calls',
        counter: subscriber.redis.windowCounter('loss'),
        timeoutMs: 200,
        local: new RateLimiter(1, 60_000, 'calls'),
        onUnavailable: () => undefined,
      });
      const caller = { subject: 'api-key:x', role: 'operator', method: 'api-key', keyId: 'x' } as const;
      await limiter.take(caller);
      await assert.rejects(Promise.resolve(limiter.take(caller)), { code: 'RATE_LIMITED' });

      // Stored meanwhile: read by a poll or, at the latest, once more when the connection is back.
      stored = at(3);
      await relay.open();
      assert.deepStrictEqual((await updates.next()).value, at(3));
      await subscriber.redis.ping();
      // The update above may have come from a poll before the subscriber connection was back: wait for that
      // connection's SUBSCRIBE to be answered (after the one it re-sends on reconnecting), or 4 could be
      // published before it listens and never arrive (the test hung so once in about 70 runs on loaded cores).
      await subscriber.redis.listening(`${prefix}run-updated:${base.id}`);
      // Live through Redis again (the stored row says 3: only Redis can bring 4).
      publisher.channel.publish(at(4));
      assert.deepStrictEqual((await updates.next()).value, at(4));
      await updates.return?.();

      assert.deepEqual(rejections, []);
      assert.ok(!logs.join('').includes(PASSWORD), 'the password is never logged');
    },
  );
});
