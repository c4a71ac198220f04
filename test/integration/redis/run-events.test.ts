import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SharedRedis } from '../../../src/app/redis';
import { createLogger } from '../../../src/logging/logger';
import type { ModelRunRecord } from '../../../src/modules/run/run.record';
import { createRunUpdateChannel, type RunUpdateChannel } from '../../../src/modules/run/run-update-channel';
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from '../../support/redis';
import { runRecord } from '../../support/runs';

/** Every field of a run set, with awkward values: dates to the millisecond, text with quotes and NUL-free Unicode, non-finite numbers. */
function fullRun(): ModelRunRecord {
  const base = runRecord('dataset-ü "quoted"');
  return {
    ...base,
    params: { ...base.params, seed: 42, seedGiven: true, kRange: { min: 2, max: 5 } },
    status: 'SUCCEEDED',
    idempotencyKey: 'key-Ω-1',
    progress: { iteration: 41, maxIterations: 1200, fraction: 1, lastShift: Number.POSITIVE_INFINITY },
    metrics: {
      inertia: 12.5,
      silhouette: -0.25,
      timings: { readMs: 1, prepareMs: 2, clusterMs: 3, scoreMs: 4, saveMs: 5, publishMs: null },
    } as unknown as ModelRunRecord['metrics'],
    kSelection: { rule: 'SILHOUETTE', chosenK: 3, maxCappedByRows: false, scores: [] } as unknown as ModelRunRecord['kSelection'],
    centroids: [{ cluster: 0, original: [1.5, -0], scaled: [Number.NEGATIVE_INFINITY, 2] }],
    clusterSizes: [7, 0, 1],
    preparation: null,
    error: { code: 'INTERRUPTED', message: 'line 1\nline "2"' },
    owner: '123-owner',
    attempts: 2,
    createdAt: new Date('2026-12-03T10:00:00.001Z'),
    startedAt: new Date('2026-12-03T10:00:01.999Z'),
    finishedAt: new Date('2026-12-03T10:00:59.500Z'),
    heartbeatAt: new Date('1970-01-01T00:00:00.000Z'),
    outcomesPublishedAt: new Date('2026-12-03T10:01:00.000Z'),
    publishError: { code: 'DB_UNAVAILABLE', message: 'publish failed', at: new Date('2026-12-03T10:01:02.345Z') },
  };
}

/** The nullable fields null, the rest as a queued run has them. */
function sparseRun(): ModelRunRecord {
  return { ...runRecord('dataset'), owner: null, heartbeatAt: null, status: 'QUEUED' };
}

describe('run updates through Redis: what a subscriber on another replica receives is what was published', () => {
  const prefix = uniqueRedisPrefix('run-events');
  const logger = createLogger('silent');
  const connections: SharedRedis[] = [];
  const channels: RunUpdateChannel[] = [];
  const replica = () => {
    const redis = new SharedRedis({ url: testRedisUrl(), redactedUrl: 'redis', prefix }, logger, () => undefined);
    connections.push(redis);
    const channel = createRunUpdateChannel({
      runs: { findByIds: () => Promise.resolve([]) },
      prefix,
      shared: { eventTarget: redis.runEventTarget(), listening: (topic) => redis.listening(topic) },
      pollMs: 1_000,
      onError: (error) => assert.fail(String(error)),
    });
    channels.push(channel);
    return channel;
  };
  after(async () => {
    for (const channel of channels) await channel.stop();
    for (const redis of connections) await redis.close();
    await deleteRedisKeys(prefix);
  });

  it('every field, nulls and dates included, arrives equal (deepStrictEqual: Dates as Dates, NaN, ±Infinity and -0 kept), in publishing order', async () => {
    const [publisher, subscriber] = [replica(), replica()];
    const published = [sparseRun(), fullRun()];
    const updates = await Promise.all(published.map((run) => subscriber.subscribe(run.id)));
    for (const run of published) publisher.publish(run);
    const received = await Promise.all(updates.map(async (iterator) => (await iterator.next()).value as ModelRunRecord));
    for (const [index, run] of published.entries()) {
      assert.deepStrictEqual(received[index], run);
      for (const field of ['createdAt', 'startedAt', 'finishedAt', 'heartbeatAt', 'outcomesPublishedAt'] as const) {
        assert.equal(received[index][field] instanceof Date || received[index][field] === null, true, field);
      }
    }
    assert.ok(received[1]!.publishError!.at instanceof Date);
    for (const iterator of updates) await iterator.return?.();
  });
});
