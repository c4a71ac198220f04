import type { RequestHandler } from 'express';
import { requestIdFrom, type AccessNote } from '../graphql/context';
import type { Logger } from '../logging/logger';
import { truncate } from './graphql-body';

// Paths are input: an unknown route may be any length.
export const MAX_PATH_LENGTH = 200;

/**
 * One `request` line per HTTP request once its response is done (or the client went away): request id,
 * method, path, GraphQL operation name, status, duration. Never the query string (a GET's query text and
 * variables), the body or the headers. Also settles the request's id: the client's X-Request-Id when it
 * is a plain id, else a new one; it is sent back in X-Request-Id and is what the rest of the server reads.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (request, response, next) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(request.headers['x-request-id']);
    request.headers['x-request-id'] = requestId;
    response.setHeader('X-Request-Id', requestId);
    const note: AccessNote = {};
    response.locals.access = note;
    const path = truncate(request.path, MAX_PATH_LENGTH);
    response.once('close', () => {
      logger.info(
        {
          requestId,
          method: request.method,
          path,
          operation: note.operation,
          status: response.statusCode,
          durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
          ...(response.writableFinished ? {} : { aborted: true }),
        },
        'request',
      );
    });
    next();
  };
}

/** The request's note for the access log (set by accessLog), for the GraphQL layer to fill in. */
export function accessNoteOf(locals: Record<string, unknown>): AccessNote | undefined {
  return locals.access as AccessNote | undefined;
}
