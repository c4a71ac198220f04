import { isAppError } from '../../errors/app-error';
import type { ErrorCode } from '../../errors/catalogue';
import { exposedError } from '../../errors/exposure';
import { ModelInputError } from '../modeling/model';

/** How a run failed, as stored with it and shown to anyone who may read the run (ModelRun.error). */
export interface RunFailure {
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * The failure a run stores: its catalogue code, and a message safe for every viewer (no driver text,
 * no SQL, no stack). The whole error goes to the log under the run id; this is what remains of it.
 */
export function failureOf(error: unknown): RunFailure {
  if (error instanceof ModelInputError) {
    // A model reason the catalogue lacks would not compile here.
    const code: ErrorCode = error.reason;
    return exposedError(code, error.message);
  }
  if (isAppError(error)) return exposedError(error.code, error.message);
  return exposedError('INTERNAL_SERVER_ERROR', '');
}

/** A run whose server process stopped before the run ended. */
export function interruptedFailure(message: string): RunFailure {
  return { code: 'INTERRUPTED', message };
}

/** A stored failure as served: the same rule again, so rows an older server wrote with driver text are masked too. */
export function servedFailure(stored: { readonly code: string; readonly message: string }): RunFailure {
  return exposedError(stored.code, stored.message);
}
