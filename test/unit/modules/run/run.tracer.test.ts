import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE } from '../../../../src/errors/catalogue';
import { RunTracer } from '../../../../src/modules/run/run.tracer';
import { ECS_VERSION, type TraceDocument } from '../../../../src/telemetry/trace-document';
import { COLUMN_STATS, DATASET, everyRunTracerDocument, failedRun, PREPARATION, RecordingRecorder, SERVICE, succeededRun } from '../../telemetry/fixtures';

function tracerWithRecorder(): { tracer: RunTracer; recorder: RecordingRecorder } {
  const recorder = new RecordingRecorder();
  return { tracer: new RunTracer(recorder, SERVICE), recorder };
}

const aimodel = (document: TraceDocument) => document.aimodel as Record<string, Record<string, unknown>>;

/** The namespaces a trace document may have; anything else (row values, connection strings …) is a leak. */
const ALLOWED_KEYS = new Set(['_id', '_target', '@timestamp', 'event', 'service', 'ecs', 'trace', 'labels', 'error', 'aimodel', 'http', 'message']);

describe('RunTracer', () => {
  it('finished() on a SUCCEEDED run emits run-succeeded, one cluster document per cluster, outcomes-published and the run summary', () => {
    const { tracer, recorder } = tracerWithRecorder();
    const run = succeededRun();
    tracer.finished(run, DATASET.name);

    assert.deepEqual(
      recorder.documents.map((document) => document.event.action),
      ['run-succeeded', 'cluster', 'cluster', 'cluster', 'outcomes-published', 'run-summary'],
    );
    for (const document of recorder.documents) {
      assert.equal(document.trace?.id, run.id);
      assert.deepEqual(document.service, SERVICE);
      assert.deepEqual(document.labels, { run_id: run.id, dataset_id: run.datasetId, dataset_name: DATASET.name });
      assert.deepEqual(document.ecs, { version: ECS_VERSION });
      assert.ok(!Number.isNaN(Date.parse(document['@timestamp'])));
    }

    const [succeeded] = recorder.byAction('run-succeeded');
    assert.equal(succeeded!._target, 'events');
    assert.equal(succeeded!.event.kind, 'event');
    assert.equal(succeeded!.event.outcome, 'success');
    // 1.5 s between startedAt and finishedAt, in nanoseconds as ECS defines event.duration.
    assert.equal(succeeded!.event.duration, 1_500_000_000);
    assert.equal(aimodel(succeeded!).run!.status, 'SUCCEEDED');
    assert.equal(aimodel(succeeded!).run!.dataset_name, DATASET.name);
    assert.equal(aimodel(succeeded!).run!.duration_ms, 1_500);
    assert.equal(aimodel(succeeded!).metrics!.chosen_k, 3);
    assert.equal(aimodel(succeeded!).metrics!.silhouette, 0.71);
    assert.equal(aimodel(succeeded!).metrics!.cluster_ms, 20);
    assert.deepEqual(aimodel(succeeded!).centroids, run.centroids);

    const clusters = recorder.byAction('cluster');
    assert.deepEqual(
      clusters.map((document) => aimodel(document).cluster),
      [
        { id: 0, size: 3, centroid: [20, 2000] },
        { id: 1, size: 4, centroid: [40, 5000] },
        { id: 2, size: 2, centroid: [65, 8500] },
      ],
    );
    assert.equal(new Set(clusters.map((document) => document._id)).size, 3);

    const [published] = recorder.byAction('outcomes-published');
    assert.equal(published!.event.outcome, 'success');
    assert.equal(published!.event.duration, 2_500_000); // publishMs 2.5
    assert.deepEqual(aimodel(published!).outcomes, { rows: 9, duration_ms: 2.5 });

    const [summary] = recorder.byAction('run-summary');
    assert.equal(summary!._target, 'runs');
    assert.equal(summary!._id, run.id);
    assert.equal(summary!.event.kind, 'state');
    assert.equal(summary!.event.outcome, 'success');
    assert.equal(summary!['@timestamp'], run.createdAt.toISOString());
    assert.equal(aimodel(summary!).run!.status, 'SUCCEEDED');
    assert.equal(aimodel(summary!).metrics!.inertia, 12.5);
    assert.equal(aimodel(summary!).metrics!.publish_ms, 2.5);
  });

  it('finished() on a SUCCEEDED run whose outcomes were not published emits no outcomes-published document', () => {
    const { tracer, recorder } = tracerWithRecorder();
    tracer.finished(succeededRun({ outcomesPublishedAt: null }), DATASET.name);
    assert.deepEqual(recorder.byAction('outcomes-published'), []);
    assert.equal(recorder.byAction('run-summary').length, 1);
  });

  it('finished() on a SUCCEEDED run whose publishing failed emits outcomes-publish-failed with the publish error’s code and message after run-succeeded', () => {
    const { tracer, recorder } = tracerWithRecorder();
    const publishError = { code: 'DB_ERROR', message: 'Publishing the outcomes to table t failed', at: new Date('2024-03-01T10:00:03.000Z') };
    tracer.finished(succeededRun({ outcomesPublishedAt: null, publishError }), DATASET.name);
    assert.deepEqual(
      recorder.documents.map((document) => document.event.action),
      ['run-succeeded', 'cluster', 'cluster', 'cluster', 'outcomes-publish-failed', 'run-summary'],
    );
    const [failed] = recorder.byAction('outcomes-publish-failed');
    assert.equal(failed!.event.outcome, 'failure');
    assert.deepEqual(failed!.error, { code: 'DB_ERROR', message: 'Publishing the outcomes to table t failed' });
  });

  it('finished() on a FAILED run emits run-failed with the error code, the catalogue’s message instead of the driver’s words, a failure outcome, and a failed summary', () => {
    const { tracer, recorder } = tracerWithRecorder();
    const run = failedRun();
    tracer.finished(run, DATASET.name);
    assert.deepEqual(
      recorder.documents.map((document) => document.event.action),
      ['run-failed', 'run-summary'],
    );
    const [failed] = recorder.byAction('run-failed');
    assert.equal(failed!.event.outcome, 'failure');
    assert.equal(failed!.event.duration, 1_500_000_000);
    assert.deepEqual(failed!.error, { code: 'DB_ERROR', message: ERROR_CATALOGUE.DB_ERROR });
    assert.equal(aimodel(failed!).run!.status, 'FAILED');
    const [summary] = recorder.byAction('run-summary');
    assert.equal(summary!.event.outcome, 'failure');
    assert.deepEqual(summary!.error, { code: 'DB_ERROR', message: ERROR_CATALOGUE.DB_ERROR });
  });

  it('finished() on a CANCELLED run emits run-cancelled with a failure outcome', () => {
    const { tracer, recorder } = tracerWithRecorder();
    tracer.finished(failedRun({ status: 'CANCELLED', error: null }), DATASET.name);
    const [cancelled] = recorder.byAction('run-cancelled');
    assert.equal(cancelled!.event.outcome, 'failure');
    assert.equal(cancelled!.error, undefined);
  });

  it('the same inputs give the same document ids, so a replayed document is never indexed twice', () => {
    const idsOf = () => {
      const { tracer, recorder } = tracerWithRecorder();
      const run = succeededRun();
      tracer.preparation(run, PREPARATION);
      tracer.iteration(run, { k: 3, restart: 1, iteration: 4, centroidShift: 0.1, inertia: 15, clusterSizes: [3, 4, 2] });
      tracer.kEvaluated(run, { k: 3, inertia: 12.5, silhouette: 0.71, daviesBouldin: 0.42, calinskiHarabasz: 88.1, iterations: 7, converged: true });
      tracer.finished(run, DATASET.name);
      return recorder.documents.map((document) => document._id);
    };
    const first = idsOf();
    assert.deepEqual(idsOf(), first);
    assert.equal(new Set(first).size, first.length, 'every document of a run has its own id');
  });

  it('iteration ids differ per k, restart and iteration, and per run', () => {
    const { tracer, recorder } = tracerWithRecorder();
    const base = { centroidShift: 0.1, inertia: 15, clusterSizes: [1, 2] };
    const coordinates = [
      { k: 2, restart: 0, iteration: 1 },
      { k: 3, restart: 0, iteration: 1 },
      { k: 2, restart: 1, iteration: 1 },
      { k: 2, restart: 0, iteration: 2 },
      { k: 2, restart: 1, iteration: 2 },
      { k: 3, restart: 1, iteration: 2 },
    ];
    for (const coordinate of coordinates) tracer.iteration(succeededRun(), { ...base, ...coordinate });
    tracer.iteration(succeededRun({ id: 'run-other' }), { ...base, ...coordinates[0]! });
    const ids = recorder.documents.map((document) => document._id);
    assert.equal(new Set(ids).size, coordinates.length + 1);
    // The same iteration again: the same id.
    tracer.iteration(succeededRun(), { ...base, ...coordinates[0]!, inertia: 99 });
    assert.equal(recorder.documents.at(-1)!._id, ids[0]);

    const iteration = aimodel(recorder.documents[0]!).iteration;
    assert.deepEqual(iteration, { k: 2, restart: 0, number: 1, centroid_shift: 0.1, inertia: 15, cluster_sizes: [1, 2] });
  });

  it('from its claim on, every event of a run carries labels.dataset_name (the dashboard’s dataset control); after the run ended it is forgotten', () => {
    const { tracer, recorder } = tracerWithRecorder();
    const run = succeededRun();
    tracer.running(run, DATASET.name);
    tracer.preparation(run, PREPARATION);
    tracer.iteration(run, { k: 3, restart: 0, iteration: 1, inertia: 10, centroidShift: 1, clusterSizes: [1, 2, 3] });
    tracer.finished(run, DATASET.name);
    for (const document of recorder.documents) assert.equal(document.labels?.dataset_name, DATASET.name, document.event.action);
    tracer.requeued(run);
    assert.deepEqual(recorder.documents.at(-1)!.labels, { run_id: run.id, dataset_id: run.datasetId });
  });

  it('k-evaluated ids differ per k and preparation durations are in nanoseconds', () => {
    const { tracer, recorder } = tracerWithRecorder();
    const run = succeededRun();
    const score = { inertia: 1, silhouette: null, daviesBouldin: null, calinskiHarabasz: null, iterations: 3, converged: true };
    tracer.kEvaluated(run, { ...score, k: 2 });
    tracer.kEvaluated(run, { ...score, k: 3 });
    assert.notEqual(recorder.documents[0]!._id, recorder.documents[1]!._id);
    tracer.preparation(run, PREPARATION);
    assert.equal(recorder.documents.at(-1)!.event.duration, 4_750_000);
  });

  it('no document has a key outside the whitelisted namespaces, and none carries key columns, descriptions or idempotency keys', () => {
    const documents = everyRunTracerDocument();
    assert.ok(documents.length >= 12);
    for (const document of documents) {
      const extra = Object.keys(document).filter((key) => !ALLOWED_KEYS.has(key));
      assert.deepEqual(extra, [], `${document.event.action} has keys outside the whitelist`);
      const text = JSON.stringify(document);
      for (const secret of [DATASET.keyColumns[0]!, DATASET.description!, 'idem-1', 'server-a']) {
        assert.ok(!text.includes(secret), `${document.event.action} carries "${secret}"`);
      }
    }
  });

  it('started() records the parameters and the dataset, no input profile, and a QUEUED summary', () => {
    const documents = everyRunTracerDocument();
    const started = documents.find((document) => document.event.action === 'run-started')!;
    assert.deepEqual(started.event.type, ['start']);
    assert.deepEqual(aimodel(started).run!.feature_columns, DATASET.featureColumns);
    assert.equal(aimodel(started).run!.dataset_name, DATASET.name);
    assert.equal(aimodel(started).run!.k_min, 2);
    assert.equal(aimodel(started).run!.k_max, 4);
    assert.deepEqual(Object.keys(aimodel(started)), ['run'], 'the input profile is in the preparation document');
    const summary = documents.find((document) => document.event.action === 'run-summary')!;
    assert.equal(aimodel(summary).run!.status, 'QUEUED');
    assert.equal(summary.event.outcome, 'unknown');
  });

  it('preparation() records the rows, the scaling, the timings and the input profile of every feature, named after the run’s feature columns', () => {
    const { tracer, recorder } = tracerWithRecorder();
    const run = succeededRun();
    tracer.preparation(run, PREPARATION);
    const [preparation] = recorder.byAction('preparation');
    assert.deepEqual(aimodel(preparation!).preparation, { rows_read: 10, rows_dropped: 1, scaling: 'STANDARD', read_ms: 3.5, prepare_ms: 1.25 });
    assert.deepEqual(aimodel(preparation!).input, {
      features: [
        { column: 'age', count: 10, nulls: 0, non_numeric: 0, min: 18, max: 70, mean: 41.5, stddev: 12.25 },
        { column: 'income', count: 9, nulls: 1, non_numeric: 0, min: 1000, max: 9000, mean: 4250.5, stddev: 2100.75 },
      ],
    });
    assert.equal(COLUMN_STATS.length, run.params.featureColumns.length);
  });

  it('preparation() splits each feature’s missing values into NULLs and values that are not numbers, as the run counted them', () => {
    const { tracer, recorder } = tracerWithRecorder();
    const missingValues = [
      { column: 'age', nulls: 0, nonNumeric: 0 },
      { column: 'income', nulls: 0, nonNumeric: 1 },
    ];
    tracer.preparation(succeededRun(), { ...PREPARATION, missingValues });
    const [preparation] = recorder.byAction('preparation');
    const features = (aimodel(preparation!).input as { features: { column: string; nulls: number; non_numeric: number }[] }).features;
    assert.deepEqual(
      features.map(({ column, nulls, non_numeric }) => ({ column, nulls, non_numeric })),
      [
        { column: 'age', nulls: 0, non_numeric: 0 },
        { column: 'income', nulls: 0, non_numeric: 1 },
      ],
    );
  });
});
