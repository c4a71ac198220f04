import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { isAppError } from '../errors/app-error';
import { failureFields } from '../logging/log-failure';
import { ERROR_CATALOGUE } from '../errors/catalogue';
import { ERROR_KIND, INTERNAL_MESSAGE } from '../errors/exposure';
import type { Logger } from '../logging/logger';
import type { GraphqlContext } from './context';
import { limitErrorOf } from './limits/limits';
import { tokenLimitErrorOf } from './limits/tokens';
import { characterCount, leadingCharacters } from '../shared/character-count';

/*
 * The one place errors become GraphQL errors, by the kind of their code (ERROR_KIND, errors/exposure.ts):
 * `client` keeps its message and details; `database` keeps its code but gets the catalogue's message
 * and no details, in every mode (no driver text); anything else is masked as INTERNAL_SERVER_ERROR in
 * production. Database and internal errors are logged once under the `extensions.requestId` the client
 * gets; what comes back of the client's own input is clipped (a 900 KB argument is not echoed whole).
 */

/** Codes of errors that are not AppErrors but are the request's own fault, raised by Apollo, graphql or type-graphql. */
const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT', // variable coercion
  'BAD_REQUEST', // a request Apollo cannot read (CSRF prevention, no query, …)
  'METHOD_NOT_ALLOWED', // a method /graphql does not take (requestErrorCode)
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED', // bad credentials, refused while the context is built
  'FORBIDDEN',
]);

// Input comes back in some messages and details (`No dataset has id "…"`, `details.value`, graphql's
// "Variable "$x" got invalid value …"): a 900 KB argument must not come back whole.
const MAX_MESSAGE_LENGTH = 1_000;
const MAX_DETAIL_STRING_LENGTH = 200;
const MAX_DETAIL_ITEMS = 20;

export interface ErrorReporting {
  /** Apollo Server's `formatError`. */
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /**
   * Records a request's error with the request's id (for `extensions.requestId`) and logs it once if
   * it is a database or internal error; the error-reporting plugin calls it before formatting.
   */
  readonly recordRequestError: (error: GraphQLError, context: GraphqlContext) => void;
  /** The same treatment for graphql-ws, whose errors do not pass through Apollo Server. */
  readonly formatErrors: (errors: readonly GraphQLError[], context?: GraphqlContext) => GraphQLFormattedError[];
}

export function createErrorReporting(options: { production: boolean; logger: Logger }): ErrorReporting {
  const requestIds = new WeakMap<object, string>();
  const logged = new WeakSet<object>();

  /**
   * Logs a database or internal error once, whole, under its request id, and returns that id. The
   * request's own logger (GraphqlContext.logger) already carries the id; without one, a child of the
   * root logger does.
   */
  const report = (error: unknown, context: Pick<GraphqlContext, 'logger' | 'requestId'> | undefined): string => {
    const key = error && typeof error === 'object' ? error : undefined;
    const requestId = (key && requestIds.get(key)) ?? context?.requestId ?? randomUUID();
    if (key) {
      requestIds.set(key, requestId);
      if (logged.has(key)) return requestId;
      logged.add(key);
    }
    const original = originalOf(error);
    const graphqlError = error as Partial<GraphQLError>;
    const logger = context?.requestId === requestId ? context.logger : options.logger.child({ requestId });
    const where = graphqlError.path ? { path: graphqlError.path.join('.') } : {};
    // Above debug, no driver text: the catalogue code and text, and a bug's stack (its own words).
    logger.error(
      {
        ...failureFields(original),
        ...(isAppError(original)
          ? {}
          : { code: graphqlError.extensions?.code ?? 'INTERNAL_SERVER_ERROR', stack: original instanceof Error ? original.stack : undefined }),
        ...where,
      },
      'GraphQL request failed',
    );
    logger.debug(
      { err: original, ...(isAppError(original) && original.details ? { details: original.details } : {}), ...where },
      'GraphQL request failed (in full)',
    );
    return requestId;
  };

  const formatError = (given: GraphQLFormattedError, error: unknown, context?: GraphqlContext): GraphQLFormattedError => {
    const limit = limitErrorOf(error) ?? tokenLimitErrorOf(error);
    if (limit) {
      const { http: _http, ...extensions } = limit.extensions;
      return { message: limit.message, locations: given.locations, extensions };
    }
    const original = originalOf(error);
    const requestCode = requestErrorCode(original);
    const formatted = requestCode ? { ...given, extensions: { ...given.extensions, code: requestCode } } : given;
    const kind = isAppError(original) ? ERROR_KIND[original.code] : PASS_THROUGH.has(String(formatted.extensions?.code)) ? 'client' : 'internal';
    if (kind === 'client') {
      if (isAppError(original)) {
        return {
          message: clip(original.message, MAX_MESSAGE_LENGTH),
          locations: formatted.locations,
          path: formatted.path,
          extensions: { code: original.code, ...clipDetails(original.details) },
        };
      }
      const plain = withoutStack(formatted);
      // graphql's parser recurses once per level of a nested list or object, and a document within the
      // token limit can nest deeper than the call stack allows: say what happened, not the engine's words.
      const message =
        plain.extensions?.code === 'GRAPHQL_PARSE_FAILED' && plain.message.includes('Maximum call stack size exceeded')
          ? 'The document nests lists or objects too deeply to be parsed. Nothing was executed.'
          : clip(plain.message, MAX_MESSAGE_LENGTH);
      return { ...plain, message };
    }

    const requestId = report(error, context);

    if (isAppError(original)) {
      if (kind === 'database') {
        return {
          message: ERROR_CATALOGUE[original.code],
          locations: formatted.locations,
          path: formatted.path,
          extensions: { code: original.code, requestId },
        };
      }
      if (kind === 'internal' && options.production) return masked(formatted, requestId);
      return {
        message: clip(original.message, MAX_MESSAGE_LENGTH),
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: original.code, ...clipDetails(original.details), requestId },
      };
    }
    if (options.production) return masked(formatted, requestId);
    const plain = withoutStack(formatted);
    return { ...plain, extensions: { ...plain.extensions, requestId } };
  };

  return {
    formatError: (formatted, error) => formatError(formatted, error),
    recordRequestError: (error, context) => {
      if (!isClientError(error)) report(error, context);
    },
    formatErrors: (errors, context) =>
      errors.map((error) => {
        try {
          const { extensions, ...rest } = error.toJSON();
          const { http: _http, ...kept } = extensions ?? {};
          return formatError({ ...rest, extensions: kept }, error, context);
        } catch {
          return { message: INTERNAL_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
        }
      }),
  };
}

/** True for an error the client caused (nothing to log). */
function isClientError(error: GraphQLError): boolean {
  if (limitErrorOf(error) || tokenLimitErrorOf(error)) return true;
  const original = unwrapResolverError(error);
  if (isAppError(original)) return ERROR_KIND[original.code] === 'client';
  return PASS_THROUGH.has(String(error.extensions?.code));
}

// In characters (code points), so an emoji is neither split nor counted twice.
function clip(text: string, length: number): string {
  if (text.length <= length) return text;
  const kept = leadingCharacters(text, length);
  return kept.length === text.length ? text : `${kept}… (${characterCount(text.slice(kept.length))} more characters)`;
}

/** Details as a client may see them: long strings and arrays cut short, a few levels deep. */
function clipDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  const clipValue = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return clip(value, MAX_DETAIL_STRING_LENGTH);
    if (depth > 3) return value !== null && typeof value === 'object' ? '[…]' : value;
    if (Array.isArray(value)) return value.slice(0, MAX_DETAIL_ITEMS).map((item) => clipValue(item, depth + 1));
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, clipValue(inner, depth + 1)]));
    }
    return value;
  };
  return (clipValue(details ?? {}, 0) as Record<string, unknown>) ?? {};
}

function masked(formatted: GraphQLFormattedError, requestId: string): GraphQLFormattedError {
  return { message: INTERNAL_MESSAGE, locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } };
}

/**
 * What an error came from: a resolver's own error, or the AppError an error raised while the context
 * was built carries (credentials that could not be checked); else the error itself.
 */
function originalOf(error: unknown): unknown {
  const unwrapped = unwrapResolverError(error);
  return unwrapped instanceof GraphQLError && !unwrapped.path && isAppError(unwrapped.originalError) ? unwrapped.originalError : unwrapped;
}

/**
 * The catalogue code of an error Apollo raised about the request itself, by the HTTP status it asks
 * for: METHOD_NOT_ALLOWED for a method /graphql does not take (PUT, a mutation over GET; Apollo says
 * BAD_REQUEST), as on every other route; BAD_REQUEST for a 400 without a code (a persisted query whose
 * hash does not match its text), as every other unreadable request. Undefined for any other error.
 */
function requestErrorCode(original: unknown): string | undefined {
  const status = httpStatusOf(original);
  if (status === 405) return 'METHOD_NOT_ALLOWED';
  if (status === 400 && original instanceof GraphQLError && original.extensions.code === undefined) return 'BAD_REQUEST';
  return undefined;
}

/** The HTTP status a GraphQLError asks for (Apollo's `extensions.http.status`), if any. */
function httpStatusOf(error: unknown): number | undefined {
  const http = (error as Partial<GraphQLError> | undefined)?.extensions?.http as { status?: unknown } | undefined;
  return typeof http?.status === 'number' ? http.status : undefined;
}

function withoutStack(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
  return { ...formatted, extensions: { ...extensions, code: extensions.code ?? 'INTERNAL_SERVER_ERROR' } };
}
