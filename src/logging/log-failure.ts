import type { Logger } from 'pino';
import { isAppError } from '../errors/app-error';
import { exposedError } from '../errors/exposure';

/**
 * A failure as a log line above debug may carry it: its catalogue code and the message anyone may read
 * (a database error's catalogue text, never the driver's words, which may hold SQL, values or names).
 * A failure that is not an AppError is a bug or an untranslated library error: its name and message.
 */
export function failureFields(error: unknown): { code: string; reason: string } {
  if (isAppError(error)) return { code: error.code, reason: exposedError(error.code, error.message).message };
  if (error instanceof Error) return { code: 'INTERNAL_SERVER_ERROR', reason: `${error.name}: ${error.message}` };
  return { code: 'INTERNAL_SERVER_ERROR', reason: String(error) };
}

/**
 * Logs a failure at `level` as failureFields gives it, and once more in full (stack, cause, the
 * driver's words) at debug: the only level where driver text may appear.
 */
export function logFailure(logger: Logger, level: 'warn' | 'error', error: unknown, fields: Record<string, unknown>, message: string): void {
  logger[level]({ ...fields, ...failureFields(error) }, message);
  logger.debug({ ...fields, err: error }, `${message} (in full)`);
}
