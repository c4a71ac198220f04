import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DatasetRecord } from '../../../src/modules/dataset/dataset.record';
import type { ColumnStats } from '../../../src/modules/modeling/model';
import type { ModelRunRecord } from '../../../src/modules/run/run.record';
import type { TraceOptions } from '../../../src/telemetry/options';
import { RunTracer } from '../../../src/modules/run/run.tracer';
import type { TraceRecorder } from '../../../src/telemetry/trace-recorder';
import { documentId, ECS_VERSION, type TraceDocument } from '../../../src/telemetry/trace-document';

export const SERVICE = { name: 'ai-modeling-api', version: '0.1.0-test' };

/** Every TraceOptions field with its documented default, pointed at `fileDirectory`. */
export function traceOptions(fileDirectory: string, overrides: Partial<TraceOptions> = {}): TraceOptions {
  return {
    elasticsearchUrl: null,
    apiKey: null,
    username: null,
    password: null,
    eventsTarget: 'logs-aimodel.trace-default',
    runsIndex: 'aimodel-runs',
    setupAtStart: false,
    ilm: true,
    fileDirectory,
    queueLimit: 10_000,
    flushIntervalMs: 1_000,
    batchSize: 500,
    fileMaxBytes: 50 * 1024 * 1024,
    fileRetentionDays: 14,
    fileMaxTotalBytes: 1024 * 1024 * 1024,
    refusedSampleRate: 0.01,
    spoolMaxBytes: 1024 * 1024 * 1024,
    serviceName: SERVICE.name,
    serviceVersion: SERVICE.version,
    ...overrides,
  };
}

/** A fresh temporary folder; `remove` deletes it. */
export async function temporaryDirectory(prefix: string): Promise<{ directory: string; remove: () => Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), `aimodel-${prefix}-`));
  return { directory, remove: () => rm(directory, { recursive: true, force: true }) };
}

/** Polls `condition` every few milliseconds until it holds; fails after `attempts` tries (no timing assertion). */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, attempts = 500): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await condition()) return;
    await sleep(5);
  }
  throw new Error(`gave up waiting for: ${what}`);
}

/** A trace event of run `runId` with a deterministic id. */
export function traceEvent(runId: string, sequence: number, action: TraceDocument['event']['action'] = 'iteration'): TraceDocument {
  return {
    _id: documentId(runId, action, sequence),
    _target: 'events',
    '@timestamp': new Date(Date.UTC(2024, 0, 1, 0, 0, sequence)).toISOString(),
    event: { kind: 'event', category: ['process'], type: ['info'], action, sequence },
    ecs: { version: ECS_VERSION },
    service: SERVICE,
    trace: { id: runId },
    labels: { run_id: runId },
  };
}

/** Records every document, in order. */
export class RecordingRecorder implements TraceRecorder {
  readonly documents: TraceDocument[] = [];

  record(document: TraceDocument): void {
    this.documents.push(document);
  }

  byAction(action: string): TraceDocument[] {
    return this.documents.filter((document) => document.event.action === action);
  }
}

export const DATASET: DatasetRecord = {
  id: 'dataset-7',
  name: 'Customers',
  table: 'customers',
  keyColumns: ['customer_id'],
  featureColumns: ['age', 'income'],
  description: 'customer features',
  outcomeTable: null,
  createdAt: new Date('2024-01-01T00:00:00.000Z'),
  updatedAt: new Date('2024-01-01T00:00:00.000Z'),
};

/** The statistics of DATASET's features (age, income) as the run's preparation computes them. */
export const COLUMN_STATS: ColumnStats[] = [
  { count: 10, nulls: 0, min: 18, max: 70, mean: 41.5, stddev: 12.25 },
  { count: 9, nulls: 1, min: 1000, max: 9000, mean: 4250.5, stddev: 2100.75 },
];

/** What the executor tells RunTracer.preparation of a 10-row read with one row dropped. */
export const PREPARATION = { rowsRead: 10, rowsDropped: 1, scaling: 'STANDARD', readMs: 3.5, prepareMs: 1.25, columnStats: COLUMN_STATS };

/** A SUCCEEDED run with 3 clusters, a kRange, timings and published outcomes; override what a test needs. */
export function succeededRun(overrides: Partial<ModelRunRecord> = {}): ModelRunRecord {
  return {
    id: 'run-0001',
    datasetId: DATASET.id,
    status: 'SUCCEEDED',
    params: {
      k: null,
      kRange: { min: 2, max: 4 },
      initialization: 'KMEANS_PLUS_PLUS',
      nInit: 3,
      maxIterations: 100,
      tolerance: 1e-4,
      seed: 42,
      preparation: { missing: 'DROP', scaling: 'STANDARD' },
      publishOutcomes: true,
      table: DATASET.table,
      keyColumns: DATASET.keyColumns,
      featureColumns: DATASET.featureColumns,
    },
    idempotencyKey: 'idem-1',
    progress: { iteration: 7, maxIterations: 100, fraction: 1, lastShift: 0 },
    metrics: {
      inertia: 12.5,
      silhouette: 0.71,
      silhouetteSampled: false,
      silhouetteSampleSize: 10,
      daviesBouldin: 0.42,
      calinskiHarabasz: 88.1,
      iterations: 7,
      converged: true,
      timings: { readMs: 3.5, prepareMs: 1.25, clusterMs: 20, scoreMs: 4, publishMs: 2.5 },
    },
    kSelection: { rule: 'MAX_SILHOUETTE', chosenK: 3, maxCappedByRows: false, scores: [] },
    centroids: [
      { cluster: 0, original: [20, 2000], scaled: [-1, -1] },
      { cluster: 1, original: [40, 5000], scaled: [0, 0] },
      { cluster: 2, original: [65, 8500], scaled: [1, 1] },
    ],
    clusterSizes: [3, 4, 2],
    preparation: null,
    error: null,
    owner: 'server-a',
    createdAt: new Date('2024-03-01T10:00:00.000Z'),
    startedAt: new Date('2024-03-01T10:00:01.000Z'),
    finishedAt: new Date('2024-03-01T10:00:02.500Z'),
    heartbeatAt: new Date('2024-03-01T10:00:02.500Z'),
    outcomesPublishedAt: new Date('2024-03-01T10:00:02.600Z'),
    publishError: null,
    attempts: 1,
    ...overrides,
  };
}

export function failedRun(overrides: Partial<ModelRunRecord> = {}): ModelRunRecord {
  return succeededRun({
    status: 'FAILED',
    metrics: null,
    kSelection: null,
    centroids: null,
    clusterSizes: null,
    outcomesPublishedAt: null,
    // The driver's words, as an older server stored them: the trace must not carry them.
    error: { code: 'DB_ERROR', message: 'postgresql error [42P01/1]: ERROR: relation "t_secret" does not exist' },
    ...overrides,
  });
}

/** Every kind of document RunTracer writes: a run's whole life, then a failed and a cancelled run. */
export function everyRunTracerDocument(): TraceDocument[] {
  const recorder = new RecordingRecorder();
  const tracer = new RunTracer(recorder, SERVICE);
  const run = succeededRun();
  tracer.started(
    { ...run, status: 'QUEUED', startedAt: null, finishedAt: null, metrics: null, centroids: null, clusterSizes: null, outcomesPublishedAt: null },
    DATASET,
  );
  tracer.running({ ...run, status: 'RUNNING', finishedAt: null, metrics: null, centroids: null, clusterSizes: null, outcomesPublishedAt: null }, DATASET.name);
  tracer.requeued({ ...run, status: 'QUEUED', finishedAt: null, metrics: null, centroids: null, clusterSizes: null, outcomesPublishedAt: null });
  tracer.preparation(run, PREPARATION);
  tracer.iteration(run, { k: 3, restart: 0, iteration: 1, centroidShift: 0.5, inertia: 20.25, clusterSizes: [3, 4, 2] });
  tracer.kEvaluated(run, { k: 3, inertia: 12.5, silhouette: 0.71, daviesBouldin: 0.42, calinskiHarabasz: 88.1, iterations: 7, converged: true });
  tracer.kEvaluated(run, { k: 2, inertia: 30, silhouette: null, daviesBouldin: null, calinskiHarabasz: null, iterations: 4, converged: false });
  tracer.finished(run, DATASET.name);
  tracer.outcomesPublished(run, null);
  tracer.outcomesPublishFailed(run, {
    code: 'DB_QUERY_TIMEOUT',
    message: 'Publishing the outcomes to table ai_cluster_outcome failed',
    at: new Date('2024-03-01T10:00:03.000Z'),
  });
  // Stored metrics of a kRange run carry the chosen score's `k` as well (not in the RunMetrics type).
  tracer.finished(succeededRun({ id: 'run-0004', metrics: { ...run.metrics!, k: 3 } as ModelRunRecord['metrics'] }), DATASET.name);
  tracer.finished(failedRun({ id: 'run-0002' }), DATASET.name);
  tracer.finished(failedRun({ id: 'run-0003', status: 'CANCELLED', error: null }), DATASET.name);
  return recorder.documents;
}
