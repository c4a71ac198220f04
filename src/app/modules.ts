import { createAuthModule } from '../auth/auth.module';
import { RateLimiter, type CallLimiter } from '../auth/rate-limiter';
import { SharedRateLimiter } from '../auth/shared-rate-limiter';
import type { Config } from '../config/config';
import type { Datastore } from '../datastore/datastore';
import type { Services } from '../graphql/context';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import { ApiKeyRepository } from '../modules/api-key/api-key.repository';
import { ApiKeyService } from '../modules/api-key/api-key.service';
import { CatalogRepository } from '../modules/dataset/catalog.repository';
import { DatasetRepository } from '../modules/dataset/dataset.repository';
import { DatasetService } from '../modules/dataset/dataset.service';
import { DatasetTableRepository } from '../modules/dataset/dataset-table.repository';
import { OutcomeRepository } from '../modules/outcome/outcome.repository';
import { OutcomeService } from '../modules/outcome/outcome.service';
import { AssignmentRepository } from '../modules/run/assignment.repository';
import { RunReportService } from '../modules/run/report/run-report.service';
import { createRunModule } from '../modules/run/run.module';
import { RunExportService } from '../modules/run/run-export.service';
import { RunRepository } from '../modules/run/run.repository';
import { RunTraceService } from '../modules/run/run-trace.service';
import { RunTracer } from '../modules/run/run.tracer';
import type { Telemetry } from '../telemetry/telemetry';
import type { SharedRedis } from './redis';

// How long startModelRun waits for the shared rate-limit count before this process's count decides.
const SHARED_LIMIT_TIMEOUT_MS = 500;

/**
 * The services over the datastore (what the resolvers are given), and authentication over the API keys.
 * With `redis`, run updates, the rate limit and API-key revocations are shared by every replica.
 */
export function createModules(config: Config, datastore: Datastore, telemetry: Telemetry, redis: SharedRedis | null, metrics: Metrics, logger: Logger) {
  const datasetTables = new DatasetTableRepository(datastore);
  const datasets = new DatasetService(new DatasetRepository(datastore), new CatalogRepository(datastore), datastore, datasetTables);
  const tracer = new RunTracer(telemetry.writer, traceService(config));
  const {
    service: runs,
    lifecycle: runLifecycle,
    updates: runUpdates,
  } = createRunModule(config.runs, datastore, datasets, datasetTables, tracer, logger, metrics, {
    prefix: config.redis?.prefix ?? '',
    shared: redis ? { eventTarget: redis.runEventTarget(), listening: (topic) => redis.listening(topic) } : undefined,
  });
  // While Redis is away the followed runs are polled; once it is back they are read once more (messages sent meanwhile are lost).
  redis?.onDisconnect(() => runUpdates.sharedDown());
  redis?.onReconnect(() => void runUpdates.sharedUp());
  const apiKeys = new ApiKeyService(new ApiKeyRepository(datastore), undefined, config.auth.apiKeyCacheMs, redis?.keyRevocations() ?? null);
  const { authenticator, sockets } = createAuthModule(config.auth, apiKeys);
  const services: Services = {
    datasets,
    runs,
    runReports: new RunReportService({
      runs: new RunRepository(datastore),
      datasets,
      assignments: new AssignmentRepository(datastore),
      streamer: datastore,
      readBatchRows: config.runs.readBatchRows,
    }),
    outcomes: new OutcomeService(new OutcomeRepository(datastore)),
    runTraces: new RunTraceService(telemetry.reader, config.kibanaUrl),
    runExports: new RunExportService({
      runs: new RunRepository(datastore),
      assignments: new AssignmentRepository(datastore),
      outcomes: new OutcomeRepository(datastore),
      datasets,
    }),
    apiKeys,
    runLimiter: runLimiter(config, redis),
  };
  return { services, runLifecycle, runUpdates, authenticator, sockets };
}

/** RATE_LIMIT_RUNS_PER_MINUTE, counted by every replica together through Redis when it is configured. */
function runLimiter(config: Config, redis: SharedRedis | null): CallLimiter {
  const local = new RateLimiter(config.auth.runsPerMinute, 60_000, 'model runs started');
  if (!redis) return local;
  return new SharedRateLimiter({
    limit: config.auth.runsPerMinute,
    windowMs: 60_000,
    what: 'model runs started',
    counter: redis.windowCounter('start-model-run'),
    timeoutMs: SHARED_LIMIT_TIMEOUT_MS,
    local,
    onUnavailable: (error) => redis.failed('rate_limit', error, 'redis: the shared rate limit did not answer; this process counted the call'),
  });
}

/** service.name and service.version of every trace document. */
export function traceService(config: Config): { name: string; version: string } {
  return { name: config.trace.serviceName, version: config.trace.serviceVersion };
}
