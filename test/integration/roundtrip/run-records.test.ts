import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import type {
  CentroidRecord,
  IterationRecord,
  KSelectionRecord,
  ModelRunRecord,
  ModelRunWithHistory,
  PreparationRecord,
  RunMetrics,
  RunParams,
  RunStatus,
} from '../../../src/modules/run/run.record';
import { RECORD_FIELDS, RunRepository, type RunKey, type RunRecordField } from '../../../src/modules/run/run.repository';
import type { KeysetPage } from '../../../src/shared/keyset-page';
import type { DatasetRecord } from '../../../src/modules/dataset/dataset.record';
import { DatasetRepository } from '../../../src/modules/dataset/dataset.repository';
import { RoundTripGenerator, ROUND_TRIP_SEED } from '../../support/round-trip-data';
import { assertRoundTrip, type RoundTripColumn } from '../../support/round-trip-compare';
import { openRoundTripStore, ROUND_TRIP_TARGETS, sameDouble, type RoundTripStore, type RoundTripTarget } from '../../support/round-trip-targets';

/**
 * Path (e) of the round trip: run records as RunRepository writes them over a run's life (insert
 * QUEUED, RUNNING, progress, then SUCCEEDED with the results as the executor stores them, or FAILED
 * with an error) and toRecord() reads them: every field compared with what was written. Texts are
 * Unicode at their column's limit; the JSON fields carry doubles over the whole range.
 */
const RECORDS = 40;

for (const target of ROUND_TRIP_TARGETS) {
  describe(`round trip, run records on ${target.name}`, () => {
    let store: RoundTripStore;

    before(async () => {
      store = await openRoundTripStore(target, 'rtrun_');
      await migrate(store.datastore, APP_MIGRATIONS);
    });
    after(async () => {
      await store?.close();
    });

    it(`${RECORDS} runs inserted, started, progressed and ended (SUCCEEDED or FAILED): toRecord() gives back every field written`, async () => {
      const generator = new RoundTripGenerator(ROUND_TRIP_SEED);
      const runs = new RunRepository(store.datastore);
      const expected: ModelRunWithHistory[] = [];
      for (let index = 0; index < RECORDS; index++) {
        const queued = queuedRecord(generator, index);
        await runs.insert(queued);
        const startedAt = generator.timestamp();
        await runs.transition(queued.id, ['QUEUED'], 'RUNNING', { started_at: startedAt, heartbeat_at: startedAt });
        const iteration = generator.integer(2 ** 31);
        const maxIterations = 1 + generator.integer(2 ** 31 - 1);
        const shift = index % 5 === 0 ? null : generator.double();
        const beatAt = generator.timestamp();
        await runs.recordProgress(
          queued.id,
          { iteration: iteration, maxIterations: maxIterations, lastShift: shift, fraction: progressOf('RUNNING', iteration, maxIterations, shift).fraction },
          beatAt,
        );
        const running: ModelRunWithHistory = {
          ...queued,
          status: 'RUNNING',
          startedAt,
          heartbeatAt: beatAt,
          progress: progressOf('RUNNING', iteration, maxIterations, shift),
        };
        expected.push(index % 4 === 3 ? await fail(runs, generator, running) : await succeed(runs, generator, running));
      }
      // The row and the history are read apart (a listing reads no history): together they give back the record.
      const ids = expected.map((record) => record.id);
      const histories = await runs.iterationsOf(ids);
      const read = (await runs.findByIds(ids)).map((record): ModelRunWithHistory => ({ ...record, iterations: histories.get(record.id) ?? null }));
      assertRoundTrip({
        what: `run records on ${target.name}`,
        written: expected,
        read,
        keyOfWritten: (record) => record.id,
        keyOfRead: (record) => record.id,
        columns: recordColumns(target),
      });
      // Each run is its dataset's only one: the latest of each dataset is that run, read whole.
      const latest = await runs.latestOfDatasets(read.map((record) => record.datasetId));
      assert.deepEqual(
        read.map((record) => latest.get(record.datasetId)),
        read.map(({ iterations: _history, ...record }) => record),
      );
      // A listing reading one field's columns gives back that field as the whole row's read does.
      const whole = new Map(read.map((record) => [record.id, record]));
      for (const field of Object.keys(RECORD_FIELDS) as RunRecordField[]) {
        const listed = await runs.list({}, { field: 'CREATED_AT', direction: 'ASC' }, { limit: RECORDS, after: null }, new Set([field]));
        assert.equal(listed.length, RECORDS, field);
        for (const record of listed) assert.deepEqual(record[field], whole.get(record.id)![field], `${field} of ${record.id}`);
      }

      // A listing with its runs' datasets (one statement, a LEFT JOIN) gives back each dataset as
      // findByIds reads it, and null for a run whose dataset is not registered; its runs are list()'s.
      const datasets = new DatasetRepository(store.datastore);
      const registered: DatasetRecord[] = [];
      for (const [index, record] of read.entries()) {
        if (index % 3 === 2) continue;
        const dataset = datasetRecord(generator, record.datasetId, index);
        await datasets.insert(dataset);
        registered.push(dataset);
      }
      const expectedDatasets = new Map<string, DatasetRecord | null>(read.map((record) => [record.datasetId, null]));
      for (const dataset of await datasets.findByIds(registered.map((dataset) => dataset.id))) expectedDatasets.set(dataset.id, dataset);
      assert.deepEqual(
        registered.map((dataset) => expectedDatasets.get(dataset.id)),
        registered,
        'findByIds gives back each dataset as written',
      );
      for (const order of [
        { field: 'CREATED_AT', direction: 'ASC' },
        { field: 'FINISHED_AT', direction: 'DESC' },
      ] as const) {
        for (const fields of [undefined, new Set<RunRecordField>(['status']), new Set<RunRecordField>(['metrics', 'createdAt'])]) {
          const what = `${order.field} ${order.direction}, ${fields ? [...fields].join('+') : 'whole rows'}`;
          let after: RunKey | null = null;
          for (let pages = 0; pages < RECORDS; pages++) {
            const page: KeysetPage<RunKey> = { limit: 7, after };
            const joined = await runs.listWithDatasets({}, order, page, fields);
            const plain = await runs.list({}, order, page, fields);
            assert.deepEqual(
              joined.runs.map((record) => record.id),
              plain.map((record) => record.id),
              what,
            );
            for (const [index, record] of joined.runs.entries()) {
              for (const field of fields ?? (Object.keys(RECORD_FIELDS) as RunRecordField[])) {
                assert.deepEqual(record[field], plain[index]![field], `${what}: ${field} of ${record.id}`);
              }
            }
            assert.deepEqual(
              new Map(joined.runs.map((record) => [record.datasetId, joined.datasets.get(record.datasetId)])),
              new Map(joined.runs.map((record) => [record.datasetId, expectedDatasets.get(record.datasetId)])),
              what,
            );
            if (plain.length <= page.limit) break;
            const last: ModelRunRecord = plain[page.limit - 1]!;
            after = { at: order.field === 'CREATED_AT' ? last.createdAt : last.finishedAt, id: last.id };
          }
        }
      }
    });
  });
}

/** A registered dataset with the id `id`, its texts at or near their columns' limits (the description NULL every third). */
function datasetRecord(generator: RoundTripGenerator, id: string, index: number): DatasetRecord {
  const prefix = `${index}:`;
  return {
    id,
    name: `${prefix}${generator.text(128 - prefix.length)}`,
    table: generator.text(128),
    keyColumns: [generator.text(30), generator.text(1)],
    featureColumns: Array.from({ length: 1 + generator.integer(6) }, () => generator.text(1 + generator.integer(30))),
    description: index % 3 === 0 ? null : generator.text(1 + generator.integer(2000)),
    outcomeTable: index % 2 === 0 ? null : generator.text(128),
    createdAt: generator.timestamp(),
    updatedAt: generator.timestamp(),
  };
}

/** A QUEUED run as RunService.start inserts it, every text at or near its column's limit. */
function queuedRecord(generator: RoundTripGenerator, index: number): ModelRunWithHistory {
  const prefix = `${index}:`;
  const createdAt = generator.timestamp();
  const params: RunParams = {
    k: index % 2 === 0 ? 2 + generator.integer(50) : null,
    kRange: index % 2 === 0 ? null : { min: 2, max: 2 + generator.integer(20) },
    initialization: generator.pick(['KMEANS_PLUS_PLUS', 'RANDOM'] as const),
    nInit: 1 + generator.integer(100),
    maxIterations: 1 + generator.integer(10_000),
    tolerance: generator.double(),
    seed: generator.int32(),
    preparation: { missing: generator.pick(['DROP', 'MEAN'] as const), scaling: generator.pick(['NONE', 'STANDARD', 'MINMAX'] as const) },
    publishOutcomes: generator.next() < 0.5,
    // Stored as JSON text: any text goes, though a registration allows identifiers only.
    table: generator.text(40),
    keyColumns: [generator.text(30), generator.text(1)],
    featureColumns: Array.from({ length: 1 + generator.integer(6) }, () => generator.text(1 + generator.integer(30))),
  };
  return {
    id: `${prefix}${generator.text(64 - prefix.length)}`,
    datasetId: generator.text(64),
    status: 'QUEUED',
    params,
    idempotencyKey: index % 3 === 0 ? null : `${prefix}${generator.text(128 - prefix.length)}`,
    progress: progressOf('QUEUED', 0, params.maxIterations, null),
    attempts: generator.integer(5),
    metrics: null,
    iterations: null,
    kSelection: null,
    centroids: null,
    clusterSizes: null,
    preparation: null,
    error: null,
    owner: generator.text(64),
    createdAt,
    startedAt: null,
    finishedAt: null,
    heartbeatAt: createdAt,
    outcomesPublishedAt: null,
    publishError: null,
  };
}

/** The progress toRecord() derives: `fraction` is computed, not stored (1 once SUCCEEDED). */
function progressOf(status: RunStatus, iteration: number, maxIterations: number, lastShift: number | null): ModelRunWithHistory['progress'] {
  return { iteration, maxIterations, fraction: status === 'SUCCEEDED' ? 1 : maxIterations > 0 ? Math.min(1, iteration / maxIterations) : 0, lastShift };
}

/** Ends the run as RunExecutor does on success (the results as JSON text, as succeededChanges writes them); returns the record expected back. */
async function succeed(runs: RunRepository, generator: RoundTripGenerator, running: ModelRunWithHistory): Promise<ModelRunWithHistory> {
  const columns = running.params.featureColumns.length;
  const k = running.params.k ?? running.params.kRange!.max;
  const doubles = (count: number) => Array.from({ length: count }, () => generator.double());
  const finishedAt = generator.timestamp();
  const published = running.params.publishOutcomes;
  const metrics: RunMetrics = {
    inertia: generator.double(),
    silhouette: generator.next() < 0.2 ? null : generator.double(),
    silhouetteSampled: generator.next() < 0.5,
    silhouetteSampleSize: generator.integer(2 ** 31),
    daviesBouldin: generator.double(),
    calinskiHarabasz: generator.double(),
    iterations: generator.integer(2 ** 31),
    converged: generator.next() < 0.5,
    timings: {
      readMs: generator.double(),
      prepareMs: generator.double(),
      clusterMs: generator.double(),
      scoreMs: generator.double(),
      saveMs: generator.double(),
      publishMs: published ? generator.double() : null,
    },
  };
  const iterations: IterationRecord[] = Array.from({ length: 1 + generator.integer(20) }, (_, iteration) => ({
    k,
    restart: generator.integer(100),
    iteration,
    centroidShift: generator.double(),
    inertia: generator.double(),
    clusterSizes: Array.from({ length: k }, () => generator.integer(2 ** 31)),
  }));
  const kSelection: KSelectionRecord | null = running.params.kRange
    ? {
        rule: 'MAX_SILHOUETTE',
        chosenK: k,
        maxCappedByRows: generator.next() < 0.5,
        scores: Array.from({ length: 3 }, (_, index) => ({
          k: 2 + index,
          inertia: generator.double(),
          silhouette: generator.double(),
          daviesBouldin: generator.double(),
          calinskiHarabasz: generator.double(),
          iterations: generator.integer(1_000),
          converged: true,
        })),
      }
    : null;
  const centroids: CentroidRecord[] = Array.from({ length: k }, (_, cluster) => ({ cluster, original: doubles(columns), scaled: doubles(columns) }));
  const clusterSizes = Array.from({ length: k }, () => generator.integer(2 ** 31));
  const preparation: PreparationRecord = {
    rowsRead: generator.integer(2 ** 31),
    rowsDropped: generator.integer(2 ** 31),
    scaling: running.params.preparation.scaling,
    columnStats: Array.from({ length: columns }, () => ({
      count: generator.integer(2 ** 31),
      nulls: generator.integer(2 ** 31),
      min: generator.double(),
      max: generator.double(),
      mean: generator.double(),
      stddev: generator.double(),
    })),
  };
  const iterationsSeen = generator.integer(2 ** 31);
  const lastShift = iterations.at(-1)!.centroidShift;
  const shift = lastShift;
  await runs.transition(running.id, ['RUNNING'], 'SUCCEEDED', {
    finished_at: finishedAt,
    heartbeat_at: finishedAt,
    progress_iteration: iterationsSeen,
    progress_shift: shift,
    metrics: JSON.stringify(metrics),
    iterations: JSON.stringify(iterations),
    k_selection: kSelection ? JSON.stringify(kSelection) : null,
    centroids: JSON.stringify(centroids),
    cluster_sizes: JSON.stringify(clusterSizes),
    preparation: JSON.stringify(preparation),
    outcomes_published_at: published ? finishedAt : null,
  });
  // A publish that failed, as OutcomePublisher records it: a catalogue code, a long Unicode message.
  const publishError =
    published || generator.next() < 0.5
      ? null
      : { code: generator.pick(['DB_ERROR', 'DB_QUERY_TIMEOUT', 'CONFLICT'] as const), message: generator.text(5_000), at: generator.timestamp() };
  if (publishError) {
    await runs.transition(running.id, ['SUCCEEDED'], 'SUCCEEDED', {
      publish_error_code: publishError.code,
      publish_error_message: publishError.message,
      publish_error_at: publishError.at,
    });
  }
  return {
    ...running,
    status: 'SUCCEEDED',
    progress: progressOf('SUCCEEDED', iterationsSeen, running.progress.maxIterations, shift),
    metrics,
    iterations,
    kSelection,
    centroids,
    clusterSizes,
    preparation,
    finishedAt,
    heartbeatAt: finishedAt,
    outcomesPublishedAt: published ? finishedAt : null,
    publishError,
  };
}

// Codes a run can end with whose message is served as stored (a database code's is served as the catalogue's).
const CLIENT_RUN_CODES = ['NON_FINITE_VALUE', 'EMPTY_INPUT', 'COLUMN_ALL_MISSING', 'INTERRUPTED'] as const;

/** Ends the run as FAILED with a long Unicode message (a TEXT column); returns the record expected back. */
async function fail(runs: RunRepository, generator: RoundTripGenerator, running: ModelRunWithHistory): Promise<ModelRunWithHistory> {
  const finishedAt = generator.timestamp();
  const error = { code: generator.pick(CLIENT_RUN_CODES), message: generator.text(20_000) };
  await runs.transition(running.id, ['QUEUED', 'RUNNING'], 'FAILED', { finished_at: finishedAt, error_code: error.code, error_message: error.message });
  return { ...running, status: 'FAILED', error, finishedAt };
}

/**
 * Every field of a record. The JSON fields come back as JSON gives them: a −0 inside them as 0, as in
 * every GraphQL response (README "How values come back").
 */
function recordColumns(target: RoundTripTarget): RoundTripColumn<ModelRunWithHistory, ModelRunWithHistory>[] {
  const field = <K extends keyof ModelRunWithHistory>(name: K, json = false): RoundTripColumn<ModelRunWithHistory, ModelRunWithHistory> => ({
    name,
    expected: (record) => (json ? withoutNegativeZero(record[name]) : record[name]),
    actual: (record) => record[name],
  });
  return [
    field('datasetId'),
    field('status'),
    field('params', true),
    field('idempotencyKey'),
    { name: 'progress.iteration', expected: (record) => record.progress.iteration, actual: (record) => record.progress.iteration },
    { name: 'progress.maxIterations', expected: (record) => record.progress.maxIterations, actual: (record) => record.progress.maxIterations },
    { name: 'progress.fraction', expected: (record) => record.progress.fraction, actual: (record) => record.progress.fraction, same: sameDouble(target) },
    { name: 'progress.lastShift', expected: (record) => record.progress.lastShift, actual: (record) => record.progress.lastShift, same: sameDouble(target) },
    field('metrics', true),
    field('iterations', true),
    field('kSelection', true),
    field('centroids', true),
    field('clusterSizes', true),
    field('preparation', true),
    field('error'),
    field('owner'),
    field('createdAt'),
    field('startedAt'),
    field('finishedAt'),
    field('heartbeatAt'),
    field('outcomesPublishedAt'),
    field('publishError'),
  ];
}

/** The value with every −0 in it replaced by 0. */
function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (typeof value === 'object' && value !== null && !(value instanceof Date))
    return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, withoutNegativeZero(member)]));
  return value;
}
