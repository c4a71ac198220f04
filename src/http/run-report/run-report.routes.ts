import { Router, type Request } from 'express';
import type { Authenticator } from '../../auth/authenticator';
import { AppError } from '../../errors/app-error';
import { requestIdFrom } from '../../graphql/context';
import type { Logger } from '../../logging/logger';
import { MAX_SAMPLE_SIZE, type ReportRequest, type RunReportService } from '../../modules/run/report/run-report.service';
import { sendJsonError } from '../json-error';
import { methodNotAllowed } from '../not-found';
import { requireRole } from '../route-identity';
import { reportPage } from './report-page';

// The page runs no script and loads nothing: its charts are inline SVG, its style inline.
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * GET /runs/:id: a run's report page, for callers who may read the run through GraphQL (viewer).
 * Errors are JSON in the GraphQL error shape: 401, 404 NOT_FOUND for an unknown or malformed id, 400
 * BAD_USER_INPUT for a bad x, y or sample.
 */
export function runReportRoutes(reports: RunReportService, authenticator: Authenticator, logger: Logger): Router {
  const router = Router();
  router.get('/runs/:id', async (request, response) => {
    const requestId = requestIdFrom(request.headers['x-request-id']);
    try {
      await requireRole(authenticator, request, 'viewer');
      const report = await reports.report(request.params.id, reportRequest(request));
      const html = await reportPage(report);
      response.status(200).set({ 'content-security-policy': CONTENT_SECURITY_POLICY, 'cache-control': 'no-store' }).type('html').send(html);
    } catch (error) {
      sendJsonError(response, error, requestId, logger);
    }
  });
  router.all('/runs/:id', methodNotAllowed('GET', 'HEAD'));
  return router;
}

/** x, y and sample from the query string, each given at most once. */
function reportRequest(request: Request): ReportRequest {
  const one = (name: 'x' | 'y' | 'sample'): string | undefined => {
    const value: unknown = request.query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new AppError('BAD_USER_INPUT', `${name} must be given once, as text`, { field: name });
    return value;
  };
  const sample = one('sample');
  if (sample !== undefined && !/^\d{1,9}$/.test(sample))
    throw new AppError('BAD_USER_INPUT', `sample must be an integer from 1 to ${MAX_SAMPLE_SIZE}`, { field: 'sample' });
  return { x: one('x'), y: one('y'), sample: sample === undefined ? undefined : Number(sample) };
}
