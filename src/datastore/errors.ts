import { scrubSecrets } from '../config/connection-string';
import { AppError } from '../errors/app-error';
import type { ErrorCode } from '../errors/catalogue';
import type { DriverErrorFacts, SqlDialect } from './dialects/dialect';
import type { DatabaseFailure } from './types';

const CODE_FOR: Record<DatabaseFailure, ErrorCode> = {
  connection: 'DB_UNAVAILABLE',
  timeout: 'DB_QUERY_TIMEOUT',
  constraint: 'DB_CONSTRAINT_VIOLATION',
  deadlock: 'DB_ERROR',
  other: 'DB_ERROR',
};

interface OdbcErrorLike {
  message?: string;
  odbcErrors?: { message?: string; code?: number; state?: string }[];
}

/** The first diagnostic record of a driver error: SQLSTATE, native code and message. */
function driverErrorFacts(error: unknown): DriverErrorFacts {
  const candidate = error as OdbcErrorLike;
  const first = candidate?.odbcErrors?.[0];
  return {
    sqlState: first?.state,
    nativeCode: first?.code,
    message: first?.message ?? candidate?.message ?? String(error),
  };
}

/**
 * Turns whatever the driver threw into a coded AppError. The message keeps the driver's words (minus
 * any secret of the connection string) but never the SQL text; `failure` tells the pool whether the
 * connection is still usable.
 */
export function translateDriverError(error: unknown, dialect: SqlDialect, secrets: readonly string[]): { error: AppError; failure: DatabaseFailure } {
  if (error instanceof AppError) return { error, failure: error.code === 'DB_UNAVAILABLE' ? 'connection' : 'other' };
  const facts = driverErrorFacts(error);
  const failure = dialect.classifyError(facts);
  const message = scrubSecrets(facts.message, secrets).replace(/\s+/g, ' ').trim();
  return {
    error: new AppError(
      CODE_FOR[failure],
      `${dialect.variant} error${facts.sqlState ? ` [${facts.sqlState}${facts.nativeCode !== undefined ? `/${facts.nativeCode}` : ''}]` : ''}: ${message}`,
      { sqlState: facts.sqlState, nativeCode: facts.nativeCode },
    ),
    failure,
  };
}
