import type { RequestHandler } from 'express';
import { MAX_PATH_LENGTH } from './access-log';
import { truncate } from './graphql-body';

/** After every route: an unknown route gets a JSON 404 NOT_FOUND in the GraphQL error shape, not Express's HTML page. */
export function notFound(): RequestHandler {
  return (request, response) => {
    response
      .status(404)
      .json({ errors: [{ message: `No route ${request.method} ${truncate(request.path, MAX_PATH_LENGTH)}`, extensions: { code: 'NOT_FOUND' } }] });
  };
}

/** For a route that exists with other methods: a JSON 405 METHOD_NOT_ALLOWED with the Allow header. */
export function methodNotAllowed(...methods: string[]): RequestHandler {
  const allowed = methods.join(', ');
  return (request, response) => {
    response
      .status(405)
      .set('Allow', allowed)
      .json({
        errors: [{ message: `${truncate(request.path, MAX_PATH_LENGTH)} takes ${allowed}, not ${request.method}`, extensions: { code: 'METHOD_NOT_ALLOWED' } }],
      });
  };
}
