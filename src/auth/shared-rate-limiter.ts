import { isAppError } from '../errors/app-error';
import { withTimeout } from '../shared/with-timeout';
import { callerKey, rateLimited, type CallLimiter, type RateLimiter } from './rate-limiter';
import type { Identity } from './roles';

/** Calls counted in fixed windows that every replica shares (Redis). */
export interface WindowCounter {
  /** Counts one call on `key`: the count in its window so far and the ms until the window ends. */
  increment(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
}

export interface SharedRateLimiterOptions {
  readonly limit: number;
  readonly windowMs: number;
  /** What is counted, as the refusal names it ("model runs started"). */
  readonly what: string;
  readonly counter: WindowCounter;
  /** How long a call waits for the counter before `local` decides instead. */
  readonly timeoutMs: number;
  /** Decides while the counter fails or is late: the limit is then per process, not lifted. */
  readonly local: RateLimiter;
  readonly onUnavailable: (error: unknown) => void;
}

/** RateLimiter's fixed windows, counted by every replica together (REDIS_URL). */
export class SharedRateLimiter implements CallLimiter {
  constructor(private readonly options: SharedRateLimiterOptions) {}

  async take(identity: Identity): Promise<void> {
    const { limit, windowMs, what, counter, timeoutMs } = this.options;
    try {
      const { count, resetInMs } = await withTimeout(
        counter.increment(callerKey(identity), windowMs),
        timeoutMs,
        () => new Error(`the shared rate-limit count did not answer within ${timeoutMs} ms`),
      );
      if (count > limit) throw rateLimited(limit, windowMs, what, resetInMs);
    } catch (error) {
      if (isAppError(error)) throw error;
      this.options.onUnavailable(error);
      this.options.local.take(identity);
    }
  }
}
