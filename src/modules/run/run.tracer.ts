import { exposedError } from '../../errors/exposure';
import { documentId, ECS_VERSION, MILLISECONDS_TO_NANOSECONDS } from '../../telemetry/trace-document';
import type { TraceAction } from '../../telemetry/trace-actions';
import type { TraceRecorder } from '../../telemetry/trace-recorder';
import type { DatasetRecord } from '../dataset/dataset.record';
import type { ColumnStats, IterationEvent, KScore } from '../modeling/model';
import type { PublishErrorRecord } from '../outcome/outcome.record';
import type { MissingValueCount, ModelRunRecord, RunMetrics } from './run.record';

/**
 * Turns a run's life into ECS documents: started (parameters, dataset), preparation (rows, scaling
 * and the input profile), every iteration, the scores of every k, finished (metrics, centroids,
 * cluster sizes, durations), outcomes published, failed or cancelled — plus the run's summary
 * document, replaced at each step.
 */
export class RunTracer {
  // Per run, the order in which its documents were recorded (event.sequence): iterations recorded in
  // the same millisecond still read back in order. Forgotten once the run has ended.
  private readonly sequences = new Map<string, number>();
  // Per run, its dataset's name for labels.dataset_name (the dashboard's dataset control), known from
  // its start or claim on; forgotten with the sequence.
  private readonly datasetNames = new Map<string, string>();

  constructor(
    private readonly recorder: TraceRecorder,
    private readonly service: { name: string; version: string },
  ) {}

  started(run: ModelRunRecord, dataset: DatasetRecord): void {
    this.datasetNames.set(run.id, dataset.name);
    this.event(run, 'run-started', ['start'], { aimodel: { run: runFields(run, dataset.name) } });
    this.summary(run, dataset.name);
  }

  /**
   * The input as the run read it: row counts, scaling, timings, and the profile of every feature
   * (`columnStats`, in the order of the run's featureColumns) over all rows read, before any was
   * dropped, with its missing values split into NULLs (`nulls`) and values that are not numbers
   * (`non_numeric`): with missing DROP, the rows holding either are the rows dropped.
   */
  preparation(
    run: ModelRunRecord,
    details: {
      rowsRead: number;
      rowsDropped: number;
      scaling: string;
      readMs: number;
      prepareMs: number;
      columnStats: readonly ColumnStats[];
      missingValues?: readonly MissingValueCount[];
    },
  ): void {
    this.event(run, 'preparation', ['info'], {
      event: { duration: Math.round((details.readMs + details.prepareMs) * MILLISECONDS_TO_NANOSECONDS) },
      aimodel: {
        run: { id: run.id },
        preparation: {
          rows_read: details.rowsRead,
          rows_dropped: details.rowsDropped,
          scaling: details.scaling,
          read_ms: details.readMs,
          prepare_ms: details.prepareMs,
        },
        input: { features: details.columnStats.map((stats, index) => featureFields(run.params.featureColumns[index]!, stats, details.missingValues?.[index])) },
      },
    });
  }

  iteration(run: ModelRunRecord, event: IterationEvent & { k: number }): void {
    this.event(run, 'iteration', ['info'], {
      _id: documentId(run.id, 'iteration', event.k, event.restart, event.iteration),
      aimodel: {
        run: { id: run.id },
        iteration: {
          k: event.k,
          restart: event.restart,
          number: event.iteration,
          centroid_shift: event.centroidShift,
          inertia: event.inertia,
          cluster_sizes: event.clusterSizes,
        },
      },
    });
  }

  kEvaluated(run: ModelRunRecord, score: KScore): void {
    this.event(run, 'k-evaluated', ['info'], {
      _id: documentId(run.id, 'k-evaluated', score.k),
      aimodel: { run: { id: run.id }, score: scoreFields(score) },
    });
  }

  /** The run as it ended, read back from the database after its final transition. */
  finished(run: ModelRunRecord, datasetName: string): void {
    this.datasetNames.set(run.id, datasetName);
    const duration = run.startedAt && run.finishedAt ? (run.finishedAt.getTime() - run.startedAt.getTime()) * MILLISECONDS_TO_NANOSECONDS : undefined;
    if (run.status === 'SUCCEEDED' && run.metrics) {
      this.event(run, 'run-succeeded', ['end'], {
        event: { outcome: 'success', duration },
        aimodel: {
          run: runFields(run, datasetName),
          metrics: { ...metricFields(run.metrics), chosen_k: run.kSelection?.chosenK ?? run.params.k },
          centroids: run.centroids,
        },
      });
      (run.clusterSizes ?? []).forEach((size, cluster) =>
        this.event(run, 'cluster', ['info'], {
          _id: documentId(run.id, 'cluster', cluster),
          aimodel: { run: { id: run.id }, cluster: { id: cluster, size, centroid: run.centroids?.[cluster]?.original ?? [] } },
        }),
      );
      if (run.outcomesPublishedAt) this.outcomesPublished(run, run.metrics.timings.publishMs);
      else if (run.publishError) this.outcomesPublishFailed(run, run.publishError);
    } else if (run.status === 'FAILED' || run.status === 'CANCELLED') {
      this.event(run, run.status === 'FAILED' ? 'run-failed' : 'run-cancelled', ['end'], {
        event: { outcome: 'failure', duration },
        error: run.error ? exposedError(run.error.code, run.error.message) : undefined,
        aimodel: { run: runFields(run, datasetName) },
      });
    }
    this.summary(run, datasetName);
    this.sequences.delete(run.id);
    this.datasetNames.delete(run.id);
  }

  /** A replica claimed the run from the queue (attempt `run.attempts`; the owner, a process id, is not traced), and its summary as it starts computing. */
  running(run: ModelRunRecord, datasetName: string): void {
    this.datasetNames.set(run.id, datasetName);
    this.event(run, 'run-claimed', ['start'], {
      _id: documentId(run.id, 'run-claimed', run.attempts),
      aimodel: { run: { id: run.id, attempts: run.attempts } },
    });
    this.summary(run, datasetName);
  }

  /** The run's owner missed its heartbeats: the run went back to the queue after `run.attempts` claims. */
  requeued(run: ModelRunRecord): void {
    this.event(run, 'run-requeued', ['change'], {
      _id: documentId(run.id, 'run-requeued', run.attempts),
      aimodel: { run: { id: run.id, attempts: run.attempts } },
    });
  }

  outcomesPublished(run: ModelRunRecord, durationMs: number | null): void {
    const rows = (run.clusterSizes ?? []).reduce((sum, size) => sum + size, 0);
    this.event(run, 'outcomes-published', ['change'], {
      _id: documentId(run.id, 'outcomes-published', run.outcomesPublishedAt?.toISOString() ?? ''),
      event: { outcome: 'success', duration: durationMs === null ? undefined : Math.round(durationMs * MILLISECONDS_TO_NANOSECONDS) },
      aimodel: { run: { id: run.id }, outcomes: { rows, duration_ms: durationMs } },
    });
  }

  /** Publishing a succeeded run's outcomes failed: its code and safe message (the run keeps its results). */
  outcomesPublishFailed(run: ModelRunRecord, error: PublishErrorRecord): void {
    this.event(run, 'outcomes-publish-failed', ['change'], {
      _id: documentId(run.id, 'outcomes-publish-failed', error.at.toISOString()),
      event: { outcome: 'failure' },
      error: { code: error.code, message: error.message },
      aimodel: { run: { id: run.id } },
    });
  }

  private summary(run: ModelRunRecord, datasetName: string): void {
    this.recorder.record({
      _id: run.id,
      _target: 'runs',
      '@timestamp': run.createdAt.toISOString(),
      event: { kind: 'state', category: ['process'], type: ['info'], action: 'run-summary', outcome: outcomeOf(run) },
      service: this.service,
      ecs: { version: ECS_VERSION },
      trace: { id: run.id },
      labels: { run_id: run.id, dataset_id: run.datasetId, dataset_name: datasetName },
      error: run.error ? exposedError(run.error.code, run.error.message) : undefined,
      aimodel: {
        run: runFields(run, datasetName),
        metrics: run.metrics ? metricFields(run.metrics) : undefined,
      },
    });
  }

  private labels(run: ModelRunRecord): Record<string, string> {
    const datasetName = this.datasetNames.get(run.id);
    return { run_id: run.id, dataset_id: run.datasetId, ...(datasetName === undefined ? {} : { dataset_name: datasetName }) };
  }

  private event(run: ModelRunRecord, action: TraceAction, type: string[], fields: Record<string, unknown> & { _id?: string; event?: object }): void {
    const { _id, event, ...rest } = fields;
    const sequence = this.sequences.get(run.id) ?? 0;
    this.sequences.set(run.id, sequence + 1);
    this.recorder.record({
      _id: _id ?? documentId(run.id, action),
      _target: 'events',
      '@timestamp': new Date().toISOString(),
      event: { kind: 'event', category: ['process'], type, action, sequence, ...event },
      service: this.service,
      ecs: { version: ECS_VERSION },
      trace: { id: run.id },
      labels: this.labels(run),
      ...rest,
    });
  }
}

function runFields(run: ModelRunRecord, datasetName: string) {
  const { params } = run;
  return {
    id: run.id,
    status: run.status,
    dataset_id: run.datasetId,
    dataset_name: datasetName,
    table: params.table,
    feature_columns: params.featureColumns,
    k: params.k,
    k_min: params.kRange?.min ?? null,
    k_max: params.kRange?.max ?? null,
    initialization: params.initialization,
    n_init: params.nInit,
    max_iterations: params.maxIterations,
    tolerance: params.tolerance,
    seed: params.seed,
    // More than 1 when the run was requeued after its owner died and claimed again.
    attempts: run.attempts,
    missing: params.preparation.missing,
    scaling: params.preparation.scaling,
    publish_outcomes: params.publishOutcomes,
    created_at: run.createdAt.toISOString(),
    started_at: run.startedAt?.toISOString() ?? null,
    finished_at: run.finishedAt?.toISOString() ?? null,
    duration_ms: run.startedAt && run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
  };
}

function featureFields(column: string, stats: ColumnStats, missing: MissingValueCount | undefined) {
  const nulls = missing?.nulls ?? stats.nulls;
  return { column, count: stats.count, nulls, non_numeric: missing?.nonNumeric ?? 0, min: stats.min, max: stats.max, mean: stats.mean, stddev: stats.stddev };
}

function scoreFields(score: KScore) {
  return {
    k: score.k,
    inertia: score.inertia,
    silhouette: score.silhouette,
    davies_bouldin: score.daviesBouldin,
    calinski_harabasz: score.calinskiHarabasz,
    iterations: score.iterations,
    converged: score.converged,
  };
}

/**
 * The run's metrics and phase timings as aimodel.metrics.* maps them. Named one by one: a key the
 * modeling code adds to the stored metrics (a kRange run's carry the chosen score's `k`) must not
 * become an unmapped field that `dynamic: false` keeps out of every search.
 */
function metricFields(metrics: RunMetrics) {
  return {
    inertia: metrics.inertia,
    silhouette: metrics.silhouette,
    silhouette_sampled: metrics.silhouetteSampled,
    silhouette_sample_size: metrics.silhouetteSampleSize,
    davies_bouldin: metrics.daviesBouldin,
    calinski_harabasz: metrics.calinskiHarabasz,
    iterations: metrics.iterations,
    converged: metrics.converged,
    read_ms: metrics.timings.readMs,
    prepare_ms: metrics.timings.prepareMs,
    cluster_ms: metrics.timings.clusterMs,
    score_ms: metrics.timings.scoreMs,
    save_ms: metrics.timings.saveMs ?? null,
    publish_ms: metrics.timings.publishMs,
  };
}

function outcomeOf(run: ModelRunRecord): 'success' | 'failure' | 'unknown' {
  if (run.status === 'SUCCEEDED') return 'success';
  if (run.status === 'FAILED' || run.status === 'CANCELLED') return 'failure';
  return 'unknown';
}
