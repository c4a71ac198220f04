import { randomUUID } from 'node:crypto';
import type { CallLimiter } from '../auth/rate-limiter';
import type { Identity } from '../auth/roles';
import type { Logger } from '../logging/logger';
import type { ApiKeyService } from '../modules/api-key/api-key.service';
import { createDatasetLoaders, type DatasetLoaders } from '../modules/dataset/dataset.loaders';
import type { DatasetService } from '../modules/dataset/dataset.service';
import type { OutcomeService } from '../modules/outcome/outcome.service';
import { createRunLoaders, type RunLoaders } from '../modules/run/run.loaders';
import { RequestPublishes } from '../modules/run/request-publishes';
import type { ModelRunRecord } from '../modules/run/run.record';
import type { RunExportService } from '../modules/run/run-export.service';
import type { RunTraceService } from '../modules/run/run-trace.service';
import type { RunReportService } from '../modules/run/report/run-report.service';
import type { RunService } from '../modules/run/run.service';

export interface Services {
  readonly datasets: DatasetService;
  readonly runs: RunService;
  /** What GET /runs/:id draws (src/http/run-report/). */
  readonly runReports: RunReportService;
  readonly outcomes: OutcomeService;
  readonly runTraces: RunTraceService;
  /** The CSV and NDJSON exports (src/http/export/), outside GraphQL. */
  readonly runExports: RunExportService;
  readonly apiKeys: ApiKeyService;
  readonly runLimiter: CallLimiter;
}

export interface Loaders {
  readonly dataset: DatasetLoaders;
  readonly run: RunLoaders;
}

export interface GraphqlContext {
  readonly requestId: string;
  /** Who is calling (roles.ts); checked by @Authorized through authChecker. */
  readonly identity: Identity;
  readonly logger: Logger;
  readonly loaders: Loaders;
  /** `modelRunUpdated(id)`'s source: fails at subscribe time for an unknown run (RunService.updates). */
  readonly runUpdates: (id: string) => Promise<AsyncIterable<ModelRunRecord>>;
  /** What this request has published (RunService.publish): an alias asking for the same run again gets that answer. */
  readonly publishes: RequestPublishes;
  /** HTTP requests only: what the access log (src/http/access-log.ts) learns from the GraphQL layer. */
  readonly access?: AccessNote;
}

/** Filled in by the access-log plugin, logged by the HTTP access log once the response is done. */
export interface AccessNote {
  operation?: string;
}

// A caller-supplied request id is kept only when it looks like one, so logs cannot be forged with it.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}

/** A fresh context per request: its own child logger and its own loaders (DataLoader caches die with it). */
export function createContext(services: Services, logger: Logger, requestId: string, identity: Identity): GraphqlContext {
  return {
    requestId,
    identity,
    logger: logger.child({ requestId, subject: identity.subject }),
    loaders: { dataset: createDatasetLoaders(services.datasets), run: createRunLoaders(services.runs) },
    runUpdates: (id) => services.runs.updates(id),
    publishes: new RequestPublishes(),
  };
}
