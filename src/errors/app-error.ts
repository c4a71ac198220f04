import type { ErrorCode } from './catalogue';

/**
 * The one error type services and the datastore throw. It carries a stable code from the catalogue;
 * the GraphQL edge maps it to `extensions.code` (services never build GraphQLErrors themselves).
 * `details` must be safe to show a client: no SQL text, no connection string.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
