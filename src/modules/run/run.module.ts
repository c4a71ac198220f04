import { randomUUID } from 'node:crypto';
import type { RunConfig } from '../../config/config';
import type { Datastore } from '../../datastore/datastore';
import type { Logger } from '../../logging/logger';
import type { Metrics } from '../../metrics/metrics';
import type { DatasetService } from '../dataset/dataset.service';
import type { DatasetTableRepository } from '../dataset/dataset-table.repository';
import { AssignmentRepository } from './assignment.repository';
import { OutcomePublisher } from '../outcome/outcome-publisher';
import { OutcomeRepository } from '../outcome/outcome.repository';
import { RunEvents } from './run.events';
import { createRunUpdateChannel, type RunUpdateChannelOptions } from './run-update-channel';
import { RunExecutor } from './run-executor';
import { RunRepository } from './run.repository';
import { RunClaimer } from './run-claimer';
import { RunLifecycle } from './run-lifecycle';
import { RunService } from './run.service';
import type { RunTracer } from './run.tracer';
import { readConnectionsPerRun } from './dataset-reader';
import { logFailure } from '../../logging/log-failure';
import type { ModelRunRecord } from './run.record';

// How often a replica with a free slot looks at the shared queue when no start on it woke its claimer.
const QUEUE_POLL_MS = 1_000;

/** Wires the run module: repositories, claimer, executor, their events and update channel, and the service and lifecycle over them. */
export function createRunModule(
  config: RunConfig,
  datastore: Datastore,
  datasets: DatasetService,
  datasetTables: DatasetTableRepository,
  tracer: RunTracer,
  logger: Logger,
  metrics: Pick<Metrics, 'observeRunEnded'>,
  transport: Pick<RunUpdateChannelOptions, 'prefix' | 'shared'>,
) {
  const runs = new RunRepository(datastore);
  const assignments = new AssignmentRepository(datastore);
  const log = logger.child({ component: 'runs' });
  const updates = createRunUpdateChannel({
    ...transport,
    runs,
    pollMs: config.eventsPollMs,
    onError: (error, what) => logFailure(log, 'warn', error, {}, `run updates: ${what} failed`),
  });
  const publisher = new OutcomePublisher({ datastore, runs, outcomes: new OutcomeRepository(datastore), datasets, logger: log });
  const events = new RunEvents();
  // This server process: it owns (heartbeats) the runs it starts.
  const owner = `${process.pid}-${randomUUID()}`;
  const executor = new RunExecutor({
    datastore,
    runs,
    assignments,
    datasets,
    publisher,
    logger: log,
    readBatchRows: config.readBatchRows,
    readConnections: readConnectionsPerRun(config.readConnections, datastore.poolMax, config.concurrency),
    timeoutMs: config.timeoutMs,
    events,
    tracer,
  });
  // The claimer and the service need each other: the service wakes the claimer, the claimer runs through it.
  let executeClaimed: (run: ModelRunRecord) => Promise<void> = () => Promise.resolve();
  const claimer = new RunClaimer({
    runs,
    execute: (run) => executeClaimed(run),
    events,
    tracer,
    onError: (error, runId) => logFailure(log, 'error', error, { runId }, 'model run claim or task failed outside its own error handling'),
    owner,
    concurrency: config.concurrency,
    maxAttempts: config.maxAttempts,
    pollMs: QUEUE_POLL_MS,
  });
  const service = new RunService({
    datastore,
    runs,
    assignments,
    publisher,
    datasets,
    datasetTables,
    claimer,
    queueLimit: config.queueLimit,
    executor,
    events,
    updates,
    tracer,
    metrics,
    logger: log,
  });
  executeClaimed = (run) => service.executeClaimed(run);
  const lifecycle = new RunLifecycle({
    runs,
    claimer,
    executor,
    events,
    tracer,
    logger: log,
    owner,
    heartbeatMs: config.heartbeatMs,
    maxAttempts: config.maxAttempts,
  });
  return { service, lifecycle, updates };
}
