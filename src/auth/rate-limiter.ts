import { AppError } from '../errors/app-error';
import type { Identity } from './roles';

/**
 * A fixed-window count per caller (API key id, token subject, or anonymous address): at most `limit`
 * calls per `windowMs`. In memory, per server process: with several servers the limit is per server.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly what: string,
  ) {}

  take(identity: Identity): void {
    const key = identity.keyId ?? identity.subject;
    const now = Date.now();
    const window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      this.windows.set(key, { start: now, count: 1 });
      this.forgetOld(now);
      return;
    }
    if (window.count >= this.limit) {
      const retryAfterSeconds = Math.ceil((window.start + this.windowMs - now) / 1000);
      throw new AppError('RATE_LIMITED', `At most ${this.limit} ${this.what} per ${this.windowMs / 1000} s per caller; retry in ${retryAfterSeconds} s`, {
        retryAfterSeconds,
      });
    }
    window.count += 1;
  }

  private forgetOld(now: number): void {
    if (this.windows.size < 10_000) return;
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}
