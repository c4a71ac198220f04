import cors from 'cors';
import type { RequestHandler } from 'express';
import type { CorsPolicy } from '../config/cors-origins';

// Any port on the loopback host names, http or https: what a frontend's dev server runs on.
const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** What a browser page may send: credentials, JSON, and the headers Apollo's CSRF prevention asks for. */
// Apollo Client adds apollographql-client-name/-version when it is given a name and version; traceparent
// and tracestate are W3C trace context, which browser tracing libraries add.
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'traceparent',
  'tracestate',
  'x-api-key',
  'x-request-id',
];

/**
 * CORS for every route (CORS_ORIGINS). An allowed origin gets itself back in Access-Control-Allow-Origin,
 * with credentials; any other origin, or a request without one, gets no CORS header at all, so its
 * preflight goes on to the route and the browser refuses the call. Apollo's CSRF prevention is separate
 * and stays on: a simple request from an allowed origin still needs a preflight header.
 */
export function corsMiddleware(policy: CorsPolicy): RequestHandler {
  const allowed = (origin: string | undefined): boolean =>
    origin !== undefined && (policy.origins.includes(origin) || (policy.loopback && LOOPBACK_ORIGIN.test(origin)));
  const handler = cors({
    origin: (origin, callback) => callback(null, allowed(origin)),
    credentials: true,
    methods: ['GET', 'POST'],
    allowedHeaders: ALLOWED_HEADERS,
    // content-disposition: a browser app reads an export's file name (run-<id>-outcomes.csv) from it.
    exposedHeaders: ['x-request-id', 'content-disposition'],
    // Browsers cap it (Chromium at 2 hours); 10 minutes keeps a changed CORS_ORIGINS quick to take effect.
    maxAge: 600,
  });
  return (request, response, next) => {
    // Answers differ by Origin: a cache must not serve one origin's answer to another.
    response.vary('Origin');
    handler(request, response, next);
  };
}
