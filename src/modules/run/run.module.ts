import { randomUUID } from 'node:crypto';
import type { RunConfig } from '../../config/config';
import type { Datastore } from '../../datastore/datastore';
import type { Logger } from '../../logging/logger';
import type { DatasetService } from '../dataset/dataset.service';
import type { DatasetTableRepository } from '../dataset/dataset-table.repository';
import { AssignmentRepository } from './assignment.repository';
import { OutcomePublisher } from '../outcome/outcome-publisher';
import { OutcomeRepository } from '../outcome/outcome.repository';
import { RunEvents } from './run.events';
import { createRunPubSub } from './run-updates';
import { RunExecutor } from './run-executor';
import { RunRepository } from './run.repository';
import { RunScheduler } from './run-scheduler';
import { RunLifecycle } from './run-lifecycle';
import { RunService } from './run.service';
import type { RunTracer } from './run.tracer';
import { readConnectionsPerRun } from './dataset-reader';
import { logFailure } from '../../logging/log-failure';

/** Wires the run module: repositories, scheduler, executor, their events and pub/sub, and the service and lifecycle over them. */
export function createRunModule(
  config: RunConfig,
  datastore: Datastore,
  datasets: DatasetService,
  datasetTables: DatasetTableRepository,
  tracer: RunTracer,
  logger: Logger,
) {
  const runs = new RunRepository(datastore);
  const assignments = new AssignmentRepository(datastore);
  const pubSub = createRunPubSub();
  const log = logger.child({ component: 'runs' });
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
    events,
    tracer,
  });
  const scheduler = new RunScheduler(config.concurrency, config.queueLimit, (error, runId) =>
    logFailure(log, 'error', error, { runId }, 'model run task failed outside its own error handling'),
  );
  const service = new RunService({
    datastore,
    runs,
    assignments,
    publisher,
    datasets,
    datasetTables,
    scheduler,
    executor,
    events,
    pubSub,
    tracer,
    logger: log,
    owner,
  });
  const lifecycle = new RunLifecycle({ runs, scheduler, executor, events, logger: log, owner, heartbeatMs: config.heartbeatMs });
  return { service, lifecycle };
}
