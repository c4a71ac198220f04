import type { Logger } from '../logging/logger';
import { setupElasticsearch } from '../telemetry/setup';
import type { Telemetry } from '../telemetry/telemetry';

/** With ELASTICSEARCH_SETUP, creates the trace's templates and indices, not awaited and not fatal: the trace never keeps the server from serving. */
export function setUpTraceInBackground(telemetry: Telemetry, logger: Logger): void {
  if (!telemetry.client || !telemetry.options.setupAtStart) return;
  void setupElasticsearch(telemetry.client, telemetry.options).then(
    (report) => logger.info({ steps: report.steps }, 'Elasticsearch trace setup done'),
    (error: unknown) =>
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'Elasticsearch trace setup failed; run npm run elastic:setup'),
  );
}
