import { isAppError, type AppError } from '../errors/app-error';

// While the database cannot be reached, a write is retried after these delays (the last one repeats).
const RETRY_MS = [250, 500, 1_000, 2_000, 5_000];
// The failures worth retrying: the database is away or overloaded.
const TRANSIENT_CODES = new Set(['DB_UNAVAILABLE', 'DB_POOL_TIMEOUT', 'DB_QUERY_TIMEOUT']);

/** Whether a failure is the database being away or overloaded: worth trying again later. */
export function isUnavailable(error: unknown): error is AppError {
  return isAppError(error) && TRANSIENT_CODES.has(error.code);
}

/**
 * Runs `write` until it succeeds, retrying while it fails because the database is away or overloaded
 * (the same outage often caused the failure being recorded) and `stopping()` is false. Any other
 * failure, or one while stopping, is thrown.
 */
export async function retryWhileUnavailable<T>(write: () => Promise<T>, stopping: () => boolean, onRetry: (error: Error, delayMs: number) => void): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (stopping() || !isUnavailable(error)) throw error;
      const delay = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!;
      onRetry(error, delay);
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }
}
