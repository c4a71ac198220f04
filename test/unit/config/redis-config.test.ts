import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config';
import { AppError } from '../../../src/errors/app-error';

function configError(env: Record<string, string>): AppError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof AppError);
    return error;
  }
  assert.fail('expected CONFIG_INVALID');
}

describe('loadConfig: REDIS_URL, REDIS_PREFIX, RUN_EVENTS_POLL_MS', () => {
  it('unset: no Redis, runs polled every 1000 ms, API keys remembered 5 s', () => {
    const config = loadConfig({});
    assert.equal(config.redis, null);
    assert.equal(config.runs.eventsPollMs, 1_000);
    assert.equal(config.auth.apiKeyCacheMs, 5_000);
  });

  it('set: the URL, its redacted copy without the password, the default prefix aimodel:, and API keys remembered 30 s', () => {
    const config = loadConfig({ REDIS_URL: 'redis://app:p%40ss-w0rd@redis.internal:6380/2' });
    assert.deepEqual(config.redis, {
      url: 'redis://app:p%40ss-w0rd@redis.internal:6380/2',
      redactedUrl: 'redis://*****@redis.internal:6380/2',
      prefix: 'aimodel:',
    });
    assert.equal(config.auth.apiKeyCacheMs, 30_000);
    assert.equal(loadConfig({ REDIS_URL: 'rediss://redis.internal', REDIS_PREFIX: 'prod-eu:' }).redis?.prefix, 'prod-eu:');
  });

  it('refuses a URL that is not redis:// or rediss:// without repeating its password, a prefix with blanks, and a poll outside 50 to 60000 ms', () => {
    const error = configError({ REDIS_URL: 'http://user:TopSecret9@redis.internal:6379', REDIS_PREFIX: 'has space', RUN_EVENTS_POLL_MS: '10' });
    const problems = error.details?.problems as string[];
    assert.deepEqual(
      [...problems].sort(),
      [
        'REDIS_URL must be a redis:// or rediss:// URL, got "http://*****@redis.internal:6379"',
        'REDIS_PREFIX must be 1 to 64 letters, digits or _ . : -, got "has space"',
        'RUN_EVENTS_POLL_MS must be an integer from 50 to 60000, got "10"',
      ].sort(),
    );
    assert.ok(!error.message.includes('TopSecret9'));
  });
});
