import { createAuthModule } from '../auth/auth.module';
import { RateLimiter } from '../auth/rate-limiter';
import type { Config } from '../config/config';
import type { Datastore } from '../datastore/datastore';
import type { Services } from '../graphql/context';
import type { Logger } from '../logging/logger';
import { ApiKeyRepository } from '../modules/api-key/api-key.repository';
import { ApiKeyService } from '../modules/api-key/api-key.service';
import { CatalogRepository } from '../modules/dataset/catalog.repository';
import { DatasetRepository } from '../modules/dataset/dataset.repository';
import { DatasetService } from '../modules/dataset/dataset.service';
import { DatasetTableRepository } from '../modules/dataset/dataset-table.repository';
import { OutcomeRepository } from '../modules/outcome/outcome.repository';
import { OutcomeService } from '../modules/outcome/outcome.service';
import { createRunModule } from '../modules/run/run.module';
import { RunTraceService } from '../modules/run/run-trace.service';
import { RunTracer } from '../modules/run/run.tracer';
import type { Telemetry } from '../telemetry/telemetry';

/** The services over the datastore (what the resolvers are given), and authentication over the API keys. */
export function createModules(config: Config, datastore: Datastore, telemetry: Telemetry, logger: Logger) {
  const datasetTables = new DatasetTableRepository(datastore);
  const datasets = new DatasetService(new DatasetRepository(datastore), new CatalogRepository(datastore), datastore, datasetTables);
  const tracer = new RunTracer(telemetry.writer, traceService(config));
  const { service: runs, lifecycle: runLifecycle } = createRunModule(config.runs, datastore, datasets, datasetTables, tracer, logger);
  const apiKeys = new ApiKeyService(new ApiKeyRepository(datastore), undefined, config.auth.apiKeyCacheMs);
  const { authenticator, sockets } = createAuthModule(config.auth, apiKeys);
  const services: Services = {
    datasets,
    runs,
    outcomes: new OutcomeService(new OutcomeRepository(datastore)),
    runTraces: new RunTraceService(telemetry.reader, config.kibanaUrl),
    apiKeys,
    runLimiter: new RateLimiter(config.auth.runsPerMinute, 60_000, 'model runs started'),
  };
  return { services, runLifecycle, authenticator, sockets };
}

/** service.name and service.version of every trace document. */
export function traceService(config: Config): { name: string; version: string } {
  return { name: config.trace.serviceName, version: config.trace.serviceVersion };
}
