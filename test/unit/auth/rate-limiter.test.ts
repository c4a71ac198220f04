import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { RateLimiter } from '../../../src/auth/rate-limiter';
import type { Identity } from '../../../src/auth/roles';
import { AppError } from '../../../src/errors/app-error';

const KEY_A: Identity = { subject: 'api-key:a', role: 'operator', method: 'api-key', keyId: 'key-a' };
const KEY_B: Identity = { subject: 'api-key:b', role: 'operator', method: 'api-key', keyId: 'key-b' };

/** Date.now under the test's control, starting at a fixed instant. */
function clock(t: TestContext, start = 1_700_000_000_000): { advance(ms: number): void } {
  let now = start;
  t.mock.method(Date, 'now', () => now);
  return { advance: (ms) => (now += ms) };
}

/** The RATE_LIMITED error `take` throws, or fails. */
function limited(limiter: RateLimiter, identity: Identity): AppError {
  try {
    limiter.take(identity);
  } catch (error) {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'RATE_LIMITED');
    return error;
  }
  assert.fail('expected RATE_LIMITED');
}

describe('RateLimiter (fixed window per caller)', () => {
  it('allows `limit` calls in a window and refuses the next with RATE_LIMITED and the seconds left, rounded up', (t) => {
    const time = clock(t);
    const limiter = new RateLimiter(2, 60_000, 'model runs started');
    limiter.take(KEY_A);
    time.advance(10_000);
    limiter.take(KEY_A);
    time.advance(500);
    const error = limited(limiter, KEY_A);
    assert.deepEqual(error.details, { retryAfterSeconds: 50 });
    assert.equal(error.message, 'At most 2 model runs started per 60 s per caller; retry in 50 s');
  });

  it('retryAfterSeconds is 1, not 0, in the window’s last millisecond', (t) => {
    const time = clock(t);
    const limiter = new RateLimiter(1, 60_000, 'calls');
    limiter.take(KEY_A);
    time.advance(59_999);
    assert.deepEqual(limited(limiter, KEY_A).details, { retryAfterSeconds: 1 });
  });

  it('a new window starts exactly windowMs after the first call of the last one, with a full count', (t) => {
    const time = clock(t);
    const limiter = new RateLimiter(2, 60_000, 'calls');
    limiter.take(KEY_A);
    limiter.take(KEY_A);
    time.advance(59_999);
    limited(limiter, KEY_A);
    time.advance(1);
    limiter.take(KEY_A);
    limiter.take(KEY_A);
    limited(limiter, KEY_A);
  });

  it('refused calls do not count and do not move the window', (t) => {
    const time = clock(t);
    const limiter = new RateLimiter(1, 60_000, 'calls');
    limiter.take(KEY_A);
    for (let second = 1; second <= 59; second += 1) {
      time.advance(1_000);
      limited(limiter, KEY_A);
    }
    time.advance(1_000);
    limiter.take(KEY_A);
  });

  it('callers are counted apart: by API key id, else by subject', (t) => {
    clock(t);
    const limiter = new RateLimiter(1, 60_000, 'calls');
    limiter.take(KEY_A);
    limited(limiter, KEY_A);
    limiter.take(KEY_B);
    // Same key id under another subject (a renamed key) is the same caller.
    limited(limiter, { ...KEY_A, subject: 'api-key:renamed' });
    const alice: Identity = { subject: 'jwt:alice', role: 'operator', method: 'jwt' };
    limiter.take(alice);
    limited(limiter, { subject: 'jwt:alice', role: 'admin', method: 'jwt' });
    limiter.take({ subject: 'jwt:bob', role: 'operator', method: 'jwt' });
  });

  it('keeps working for old callers after more than 10,000 callers have come and gone', (t) => {
    const time = clock(t);
    const limiter = new RateLimiter(1, 1_000, 'calls');
    for (let index = 0; index < 10_001; index += 1) limiter.take({ subject: `jwt:user-${index}`, role: 'operator', method: 'jwt' });
    time.advance(1_000);
    limiter.take({ subject: 'jwt:user-0', role: 'operator', method: 'jwt' });
    limited(limiter, { subject: 'jwt:user-0', role: 'operator', method: 'jwt' });
    limiter.take({ subject: 'jwt:newcomer', role: 'operator', method: 'jwt' });
  });
});
