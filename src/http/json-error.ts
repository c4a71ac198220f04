import type { Response } from 'express';
import { isAppError } from '../errors/app-error';
import type { ErrorCode } from '../errors/catalogue';
import { ERROR_KIND, exposedError } from '../errors/exposure';
import { logFailure } from '../logging/log-failure';
import type { Logger } from '../logging/logger';

const STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  RUN_NOT_SUCCEEDED: 409,
  OUTCOMES_NOT_PUBLISHED: 409,
  DB_UNAVAILABLE: 503,
  DB_POOL_TIMEOUT: 503,
  DB_QUERY_TIMEOUT: 503,
};

/** The HTTP status an error code is answered with on every route: 500 for one not listed. */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/**
 * An error of a plain HTTP route as the GraphQL error shape /graphql answers with, at its HTTP status:
 * a client error with its message and details, a database or internal error as its catalogue code and
 * generic message with the request id it was logged under.
 */
export function sendJsonError(response: Response, error: unknown, requestId: string, logger: Logger): void {
  const code = isAppError(error) ? error.code : 'INTERNAL_SERVER_ERROR';
  const exposed = exposedError(code, error instanceof Error ? error.message : String(error));
  const client = isAppError(error) && ERROR_KIND[error.code] === 'client';
  if (!client) logFailure(logger, 'error', error, { requestId }, 'HTTP request failed');
  const extensions = { code: exposed.code, ...(client ? error.details : { requestId }) };
  response.status(httpStatusOf(exposed.code)).json({ errors: [{ message: exposed.message, extensions }] });
}
