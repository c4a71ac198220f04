import { isUtf8 } from 'node:buffer';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { requestIdFrom } from '../graphql/context';
import { formatNumber } from '../graphql/limits/limits';
import type { Logger } from '../logging/logger';

/*
 * /graphql's HTTP side before Apollo Server sees a request. What fails there is answered as GraphQL
 * errors (413 PAYLOAD_TOO_LARGE, 400 and 415 BAD_REQUEST, 500 with a logged request id), not
 * Express's HTML pages.
 */

/** A body-parser error as it reaches an Express error handler. */
interface HttpError extends Error {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  limit?: number;
  offset?: number;
}

/**
 * express.json for /graphql: at most `limitBytes` (the length is checked before the body is read
 * when the client declares it, and while reading otherwise), and UTF-8 checked byte by byte. Without
 * the check, body-parser would quietly turn invalid bytes into U+FFFD and hand the resolvers a string
 * nobody sent.
 */
export function graphqlJsonBody(limitBytes: number): RequestHandler {
  return express.json({
    limit: limitBytes,
    verify(_request, _response, buffer, encoding) {
      if (/^utf-?8$/i.test(encoding) && !isUtf8(buffer)) {
        throw Object.assign(new Error(`The request body is not valid UTF-8 (first invalid byte at offset ${firstInvalidUtf8(buffer)})`), {
          status: 400,
          type: 'encoding.invalid_utf8',
        });
      }
    },
  });
}

/** The JSON error answer for anything that fails around the GraphQL route (mounted after it). */
export function graphqlHttpErrorHandler(logger: Logger, limitBytes: number): ErrorRequestHandler {
  return (error: HttpError, request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const { status, message, code, extensions } = describe(error, limitBytes);
    const requestId = requestIdFrom(request.headers['x-request-id']);
    if (status >= 500) {
      logger.error({ requestId, err: error, method: request.method, path: request.path }, 'HTTP request failed');
    }
    response
      .status(status)
      .type('application/json')
      .send(JSON.stringify({ errors: [{ message, extensions: { code, ...extensions, ...(status >= 500 ? { requestId } : {}) } }] }));
  };
}

function describe(error: HttpError, limitBytes: number): { status: number; message: string; code: string; extensions?: Record<string, unknown> } {
  switch (error.type) {
    case 'entity.too.large':
      return {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: `The request body is larger than ${formatNumber(limitBytes)} bytes (GRAPHQL_BODY_LIMIT); nothing was executed`,
        extensions: { limit: 'GRAPHQL_BODY_LIMIT', maximum: limitBytes },
      };
    case 'entity.parse.failed':
      return { status: 400, code: 'BAD_REQUEST', message: `The request body is not valid JSON: ${truncate(error.message, 200)}` };
    case 'encoding.invalid_utf8':
      return { status: 400, code: 'BAD_REQUEST', message: error.message };
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return { status: 415, code: 'BAD_REQUEST', message: `${truncate(error.message, 200)}: send JSON in UTF-8` };
    default: {
      const status = error.status ?? error.statusCode ?? 500;
      // Client errors body-parser raises (aborted request, length mismatch …) say what happened.
      if (status >= 400 && status < 500 && error.expose !== false) return { status, code: 'BAD_REQUEST', message: truncate(error.message, 200) };
      return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
    }
  }
}

/** `text`, cut to `length` characters with an ellipsis: input echoed back or logged is bounded. */
export function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

/** The offset of the first byte that breaks UTF-8 (for the error message). */
export function firstInvalidUtf8(buffer: Buffer): number {
  // Bisect on isUtf8 of prefixes would be wrong (a prefix may cut a valid sequence): decode forward.
  let index = 0;
  while (index < buffer.length) {
    const byte = buffer[index]!;
    const length = byte < 0x80 ? 1 : byte >= 0xc2 && byte <= 0xdf ? 2 : byte >= 0xe0 && byte <= 0xef ? 3 : byte >= 0xf0 && byte <= 0xf4 ? 4 : 0;
    if (length === 0 || index + length > buffer.length || !isUtf8(buffer.subarray(index, index + length))) return index;
    index += length;
  }
  return -1;
}
