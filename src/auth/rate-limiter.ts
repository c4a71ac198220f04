import { AppError } from '../errors/app-error';
import type { Identity } from './roles';

/** What limits a caller's calls: this process's count (RateLimiter), or every replica's (SharedRateLimiter). */
export interface CallLimiter {
  /** Counts a call of `identity`; throws RATE_LIMITED (with retryAfterSeconds) when it is one too many. */
  take(identity: Identity): Promise<void> | void;
}

/**
 * A fixed-window count per caller (API key id, token subject, or anonymous address): at most `limit`
 * calls per `windowMs`. In memory, per server process: with several servers the limit is per server.
 */
export class RateLimiter implements CallLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly what: string,
  ) {}

  take(identity: Identity): void {
    const key = callerKey(identity);
    const now = Date.now();
    const window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      this.windows.set(key, { start: now, count: 1 });
      this.forgetOld(now);
      return;
    }
    if (window.count >= this.limit) throw rateLimited(this.limit, this.windowMs, this.what, window.start + this.windowMs - now);
    window.count += 1;
  }

  private forgetOld(now: number): void {
    if (this.windows.size < 10_000) return;
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}

/** The caller a count belongs to: the API key's id (a renamed key stays the same caller), else the subject. */
export function callerKey(identity: Identity): string {
  return identity.keyId ?? identity.subject;
}

/** RATE_LIMITED, with the seconds until the window ends rounded up. */
export function rateLimited(limit: number, windowMs: number, what: string, resetInMs: number): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(resetInMs / 1000));
  return new AppError('RATE_LIMITED', `At most ${limit} ${what} per ${windowMs / 1000} s per caller; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
}
