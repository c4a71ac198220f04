import { ERROR_CATALOGUE, type ErrorCode } from './catalogue';

/**
 * Who an error's message is for. `client`: written by the app for the caller (it names the field or
 * value to fix) and shown as it is. `database`: the driver's words, for the operator's log only; the
 * code is shown with the catalogue's generic message. `internal`: nothing of it is shown.
 */
export type ErrorKind = 'client' | 'database' | 'internal';

export const ERROR_KIND: Readonly<Record<ErrorCode, ErrorKind>> = {
  UNAUTHENTICATED: 'client',
  FORBIDDEN: 'client',
  RATE_LIMITED: 'client',
  BAD_USER_INPUT: 'client',
  BAD_REQUEST: 'client',
  PAYLOAD_TOO_LARGE: 'client',
  NOT_FOUND: 'client',
  METHOD_NOT_ALLOWED: 'client',
  IDEMPOTENCY_KEY_REUSED: 'client',
  CONFLICT: 'client',
  QUERY_TOO_DEEP: 'client',
  QUERY_TOO_COSTLY: 'client',
  TOO_MANY_ALIASES: 'client',
  TOO_MANY_TOKENS: 'client',
  TOO_MANY_DIRECTIVES: 'client',
  TRACE_UNAVAILABLE: 'client',
  RUN_QUEUE_FULL: 'client',
  RUN_NOT_SUCCEEDED: 'client',
  OUTCOMES_NOT_PUBLISHED: 'client',
  INVALID_IDENTIFIER: 'client',
  UPSERT_INVALID: 'client',
  DIALECT_UNSUPPORTED: 'client',
  SHAPE_MISMATCH: 'client',
  EMPTY_INPUT: 'client',
  COLUMN_ALL_MISSING: 'client',
  NON_FINITE_VALUE: 'client',
  INVALID_K: 'client',
  INVALID_K_RANGE: 'client',
  K_RANGE_TOO_WIDE: 'client',
  INVALID_OPTION: 'client',
  DUPLICATE_KEY: 'client',
  NULL_KEY: 'client',
  INTERRUPTED: 'client',
  RUN_TIMEOUT: 'client',
  DB_UNAVAILABLE: 'database',
  DB_POOL_TIMEOUT: 'database',
  DB_QUERY_TIMEOUT: 'database',
  DB_CONSTRAINT_VIOLATION: 'database',
  DB_ERROR: 'database',
  CONFIG_INVALID: 'internal',
  INTERNAL_SERVER_ERROR: 'internal',
};

export const INTERNAL_MESSAGE = 'Internal server error';

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);
}

/**
 * A code and message anyone may read, in every mode: a client error as it is, a database error as its
 * code with the catalogue's message, anything else (an internal code, a code the catalogue lacks) as
 * INTERNAL_SERVER_ERROR. What run errors are stored and served as; GraphQL masks by the same kinds.
 */
export function exposedError(code: string, message: string): { code: ErrorCode; message: string } {
  const kind = isErrorCode(code) ? ERROR_KIND[code] : 'internal';
  if (kind === 'client') return { code: code as ErrorCode, message };
  if (kind === 'database') return { code: code as ErrorCode, message: ERROR_CATALOGUE[code as ErrorCode] };
  return { code: 'INTERNAL_SERVER_ERROR', message: INTERNAL_MESSAGE };
}
