import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FormattedExecutionResult } from 'graphql';
import { Datastore } from '../../../src/datastore/datastore';
import { dialectFor } from '../../../src/datastore/dialects';
import type { SqlValue } from '../../../src/datastore/types';
import {
  CancelModelRunDocument,
  DatasetDetailsDocument,
  DatasetOutcomesDocument,
  DatasetsDocument,
  ModelRunResultDocument,
  ModelRunsPageDocument,
  PublishRunOutcomesDocument,
  RegisterDatasetDocument,
  RunAssignmentsDocument,
  StartModelRunDocument,
  type ModelRunStatus,
  type ModelRunsPageQuery,
  type RunResultFragment,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { mariadbDatabase, postgresqlDatabase, type TestDatabase } from '../../support/databases';
import {
  allRunIds,
  APP_TABLES,
  assertGraphqlError,
  countAssignments,
  createNoiseTable,
  createTable,
  dataOf,
  dropTables,
  LONG_RUN,
  readOutcomeTable,
  registerInput,
  snapshotOutcomeTable,
  startInput,
  waitForRun,
  type OutcomeTableRow,
} from '../../support/runs';

/**
 * One modeling session, end to end over HTTP, on the embedded default and on real PostgreSQL and
 * MariaDB: register a dataset, cluster iris and station_readings, publish an older run again, cancel a
 * long run, and read the outcome table back with plain SQL.
 *
 * This is the ONLY test file that touches the app's tables (ai_*, iris, station_readings) in the shared
 * PostgreSQL and MariaDB test databases: it drops them before starting a server on each database, so
 * two files must not do this at the same time. The checks of the former app-on-real-databases.test.ts
 * (readiness, demo datasets, catalog columns) are the first tests of each database's block here.
 */

const IRIS = 'demo-iris';
const STATION_READINGS = 'demo-station-readings';
const CUSTOMERS = 'customer_features';
const CUSTOMER_OUTCOMES = 'customer_segment_outcome';
const NOISE = 'session_noise';
/** This file's own tables, dropped before and after each database's session. */
const OWN_TABLES = [CUSTOMERS, CUSTOMER_OUTCOMES, NOISE];

interface Target {
  readonly label: string;
  readonly env: () => Record<string, string>;
  /** A shared real database whose app tables are dropped first; none for the embedded default (a fresh file). */
  readonly database?: () => TestDatabase;
}

const TARGETS: Target[] = [
  { label: 'the embedded default (SQLite)', env: () => ({}) },
  { label: 'PostgreSQL (psqlODBC)', database: postgresqlDatabase, env: () => realEnv(postgresqlDatabase()) },
  { label: 'MariaDB (MariaDB Connector/ODBC)', database: mariadbDatabase, env: () => realEnv(mariadbDatabase()) },
];

function realEnv(database: TestDatabase): Record<string, string> {
  return { DB_DIALECT: database.dialect, DB_CONNECTION_STRING: database.connectionString, DEMO_DATASETS: 'true' };
}

async function withDatastore(database: TestDatabase, work: (datastore: Datastore) => Promise<void>): Promise<void> {
  const datastore = Datastore.create({
    connectionString: database.connectionString,
    dialect: dialectFor(database.dialect),
    poolMax: 1,
    acquireTimeoutMs: 10_000,
    queryTimeoutMs: 60_000,
    idleTimeoutMs: 60_000,
  });
  try {
    await datastore.detectServer();
    await work(datastore);
  } finally {
    await datastore.close();
  }
}

/** 40 customers from a fixed seed; customer 7 has no tenure (a NULL feature). */
function customerRows(): Record<string, SqlValue>[] {
  let state = 20_240_101;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const segments = ['retail', 'smb', 'enterprise'];
  return Array.from({ length: 40 }, (_, index) => {
    const group = index % 3;
    return {
      customer_id: index + 1,
      spend: Math.round((group * 400 + 100 + next() * 50) * 100) / 100,
      visits: group * 10 + 2 + Math.floor(next() * 4),
      tenure_months: index === 6 ? null : Math.round((group * 24 + 6 + next() * 6) * 10) / 10,
      segment: segments[group]!,
    };
  });
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** What a run's assignments, Dataset.outcomes and the outcome table row say about one entity. */
type Published = Pick<OutcomeTableRow, 'entityKey' | 'runId' | 'cluster' | 'distance'>;
const byKey = <T extends { entityKey: string }>(rows: readonly T[]) =>
  [...rows].sort((a, b) => (a.entityKey < b.entityKey ? -1 : a.entityKey > b.entityKey ? 1 : 0));

interface OutcomeLike {
  entityKey: string;
  runId: string;
  cluster: number;
  distance: number;
}

/** The outcomes are the run's assignments, entity by entity, each distance bit for bit (SQLite's too: the server reads its REAL whole). */
function assertSameOutcomes(outcomes: readonly OutcomeLike[], assignments: readonly OutcomeLike[]): void {
  const read = byKey(outcomes);
  const written = byKey(assignments);
  assert.deepEqual(
    read.map(({ entityKey, runId, cluster }) => ({ entityKey, runId, cluster })),
    written.map(({ entityKey, runId, cluster }) => ({ entityKey, runId, cluster })),
  );
  read.forEach((row, index) =>
    assert.ok(Object.is(row.distance, written[index]!.distance), `${row.entityKey}: distance ${row.distance}, the run's ${written[index]!.distance}`),
  );
}

for (const target of TARGETS) {
  describe(`a modeling session on ${target.label}`, () => {
    let server: TestServer;
    const runs: Record<string, RunResultFragment> = {};

    const start = async (input: Parameters<typeof startInput>[0]) => {
      const result = await server.graphql(StartModelRunDocument, { input: startInput(input) });
      return dataOf(result, 'startModelRun').startModelRun;
    };
    const finished = async (id: string, status: ModelRunStatus = 'SUCCEEDED'): Promise<RunResultFragment> => {
      const state = await waitForRun(server, id);
      assert.equal(state.status, status, `run ${id}: ${JSON.stringify(state.error)}`);
      const result = await server.graphql(ModelRunResultDocument, { id });
      return dataOf(result, 'modelRun').modelRun!;
    };
    const assignmentsOf = async (runId: string): Promise<Published[]> => {
      const result = await server.graphql(RunAssignmentsDocument, { id: runId, first: 500, after: null, cluster: null });
      const connection = dataOf(result, 'assignments').modelRun!.assignments;
      assert.equal(connection.pageInfo.hasNextPage, false, 'test datasets fit one page of assignments');
      return connection.edges.map(({ node }) => ({ entityKey: node.entityKey, runId, cluster: node.cluster, distance: node.distance }));
    };
    const outcomesOf = async (datasetId: string) => {
      const result = await server.graphql(DatasetOutcomesDocument, { id: datasetId, first: 500, after: null });
      return dataOf(result, 'outcomes').dataset!.outcomes.edges.map(({ node }) => node);
    };

    before(async () => {
      const database = target.database?.();
      if (database) await withDatastore(database, (datastore) => dropTables(datastore, [...APP_TABLES, ...OWN_TABLES]));
      server = await startTestServer(target.env());
    });
    after(async () => {
      if (server) {
        await dropTables(server.app.datastore, OWN_TABLES).catch(() => undefined);
        await server.stop();
      }
    });

    it('is ready once migrations ran and the demo data loaded, and serves both demo datasets with their catalog columns', async () => {
      assert.equal((await server.get('/readyz')).status, 200);
      const result = await server.graphql(DatasetsDocument);
      const byName = new Map(dataOf(result, 'datasets').datasets.map((dataset) => [dataset.name, dataset]));
      assert.equal(byName.get('iris')?.rowCount, 150);
      assert.equal(byName.get('station_readings')?.rowCount, 20_000);
      assert.deepEqual(
        byName.get('station_readings')?.columns?.map((column) => [column.name, column.nullable]),
        [
          ['station_id', false],
          ['measured_at', false],
          ['pm10', true],
          ['pm25', true],
          ['o3', true],
          ['no2', true],
          ['co', true],
          ['so2', true],
        ],
      );
    });

    it('registerDataset on a table the test created reads back its columns, a profile computed by the database, and a paged preview', async () => {
      const rows = customerRows();
      await createTable(
        server.app.datastore,
        {
          name: CUSTOMERS,
          columns: [
            { name: 'customer_id', type: 'integer', nullable: false },
            { name: 'spend', type: 'double' },
            { name: 'visits', type: 'integer' },
            { name: 'tenure_months', type: 'double' },
            { name: 'segment', type: 'string', length: 32 },
          ],
          primaryKey: ['customer_id'],
        },
        rows,
      );
      const registered = dataOf(
        await server.graphql(RegisterDatasetDocument, {
          input: registerInput({
            name: 'customers',
            table: CUSTOMERS,
            keyColumns: ['customer_id'],
            featureColumns: ['spend', 'visits', 'tenure_months'],
            description: 'customer features for segmentation',
            outcomeTable: CUSTOMER_OUTCOMES,
          }),
        }),
        'registerDataset',
      ).registerDataset;
      assert.equal(registered.rowCount, 40);
      assert.equal(registered.description, 'customer features for segmentation');

      const read = dataOf(await server.graphql(DatasetDetailsDocument, { id: registered.id, previewFirst: 5, previewAfter: null }), 'dataset').dataset!;
      const details = { ...read, columns: read.columns!, profile: read.profile!, preview: read.preview! };
      assert.deepEqual(
        details.columns.map((column) => [column.name, column.nullable]),
        [
          ['customer_id', false],
          ['spend', true],
          ['visits', true],
          ['tenure_months', true],
          ['segment', true],
        ],
      );
      assert.match(details.columns.find((column) => column.name === 'segment')!.type, /CHAR|TEXT/);
      for (const feature of ['spend', 'visits', 'tenure_months']) {
        assert.match(details.columns.find((column) => column.name === feature)!.type, /INT|DOUBLE|FLOAT|REAL/, feature);
      }

      // The profile against the same statistics computed here (population standard deviation).
      for (const feature of ['spend', 'visits', 'tenure_months'] as const) {
        const values = rows.map((row) => row[feature]).filter((value): value is number => typeof value === 'number');
        const mean = sum(values) / values.length;
        const stddev = Math.sqrt(sum(values.map((value) => (value - mean) ** 2)) / values.length);
        const profile = details.profile.find((entry) => entry.column === feature);
        assert.ok(profile, feature);
        assert.equal(profile.count, values.length, feature);
        assert.equal(profile.nulls, 40 - values.length, feature);
        assert.equal(profile.min, Math.min(...values), feature);
        assert.equal(profile.max, Math.max(...values), feature);
        assert.ok(Math.abs(profile.mean! - mean) < 1e-9 * Math.max(1, Math.abs(mean)), `${feature} mean ${profile.mean} vs ${mean}`);
        assert.ok(Math.abs(profile.stddev! - stddev) < 1e-6 * Math.max(1, stddev), `${feature} stddev ${profile.stddev} vs ${stddev}`);
      }
      assert.equal(details.profile.find((entry) => entry.column === 'tenure_months')?.nulls, 1);

      // Preview: rows in key order, each a JSON object of the table's columns; the second page follows on.
      assert.deepEqual(
        details.preview.edges.map(({ node }) => node),
        rows.slice(0, 5).map((row) => ({ ...row })),
      );
      assert.equal(details.preview.pageInfo.hasNextPage, true);
      const next = dataOf(
        await server.graphql(DatasetDetailsDocument, { id: registered.id, previewFirst: 5, previewAfter: details.preview.pageInfo.endCursor }),
        'preview page 2',
      ).dataset!;
      assert.deepEqual(
        next.preview!.edges.map(({ node }) => (node as { customer_id: number }).customer_id),
        [6, 7, 8, 9, 10],
      );

      // Clustering it drops the customer with a NULL feature and publishes into the dataset's own outcome table.
      const run = await finished((await start({ datasetId: registered.id, k: 3, seed: 11 })).id);
      assert.equal(sum(run.clusterSizes!), 39);
      assert.deepEqual(run.rowCounts, { read: 40, dropped: 1, clustered: 39 }, 'the run says where the 40th row went');
      const published = await readOutcomeTable(server.app.datastore, registered.id, CUSTOMER_OUTCOMES);
      assert.equal(published.length, 39);
      assert.ok(!published.some((row) => row.entityKey === '7'), 'customer 7 (NULL tenure) is not clustered');
      assert.ok(published.every((row) => row.runId === run.id));
    });

    it('two registerDataset calls racing for one name: exactly one dataset is registered, the other call gets BAD_USER_INPUT', async () => {
      const register = (description: string) =>
        server.graphql(RegisterDatasetDocument, {
          input: registerInput({ name: 'customers-raced', table: CUSTOMERS, keyColumns: ['customer_id'], featureColumns: ['spend', 'visits'], description }),
        });
      const results = await Promise.all([register('first'), register('second')]);
      const winners = results.filter((result) => !result.errors);
      assert.equal(winners.length, 1, JSON.stringify(results));
      const loser = results.find((result) => result.errors)!;
      assertGraphqlError(loser, 'BAD_USER_INPUT', /customers-raced.*already exists/);
      const winner = winners[0]!.data!.registerDataset;
      const listed = dataOf(await server.graphql(DatasetsDocument), 'datasets').datasets.filter((dataset) => dataset.name === 'customers-raced');
      assert.deepEqual(
        listed.map((dataset) => [dataset.id, dataset.description]),
        [[winner.id, winner.description]],
      );
    });

    it('startModelRun on iris with k: 3 answers QUEUED at once, then SUCCEEDS with metrics, cluster sizes, centroids and iterations', async () => {
      const queued = await start({ datasetId: IRIS, k: 3, seed: 42 });
      assert.equal(queued.status, 'QUEUED');
      assert.equal(queued.startedAt, null);
      assert.equal(queued.finishedAt, null);
      assert.deepEqual(queued.params, { k: 3, seed: 42 });

      const run = await finished(queued.id);
      runs.irisK3 = run;
      assert.equal(run.dataset?.name, 'iris');
      assert.deepEqual(run.params, {
        k: 3,
        kRange: null,
        initialization: 'KMEANS_PLUS_PLUS',
        nInit: 1,
        maxIterations: 300,
        tolerance: 1e-6,
        seed: 42,
        preparation: { missing: 'DROP', scaling: 'STANDARD' },
        publishOutcomes: true,
        table: 'iris',
        keyColumns: ['sample_id'],
        featureColumns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
      });
      const metrics = run.metrics!;
      assert.ok(metrics.silhouette! > 0 && metrics.silhouette! < 1, `silhouette ${metrics.silhouette}`);
      assert.ok(metrics.inertia > 0);
      assert.equal(metrics.converged, true);
      assert.equal(metrics.silhouetteSampled, false);
      assert.equal(metrics.silhouetteSampleSize, 150);
      assert.ok(metrics.daviesBouldin! > 0);
      assert.ok(metrics.calinskiHarabasz! > 0);
      assert.equal(run.clusterSizes?.length, 3);
      assert.equal(sum(run.clusterSizes), 150);
      assert.deepEqual(run.rowCounts, { read: 150, dropped: 0, clustered: 150 });
      assert.equal(run.centroids?.length, 3);
      run.centroids.forEach((centroid, cluster) => {
        assert.equal(centroid.cluster, cluster);
        assert.equal(centroid.original.length, 4);
        assert.equal(centroid.scaled.length, 4);
        // Original units: iris petal lengths lie in [1, 6.9] cm; scaled units are z-scores.
        assert.ok(centroid.original[2]! >= 1 && centroid.original[2]! <= 6.9, `petal length ${centroid.original[2]}`);
        assert.ok(centroid.scaled.every((value) => Math.abs(value) < 3));
      });
      assert.equal(run.iterations?.length, metrics.iterations, 'one record per iteration of the single restart');
      assert.deepEqual(
        run.iterations.map((record) => record.iteration),
        Array.from({ length: metrics.iterations }, (_, index) => index + 1),
      );
      assert.deepEqual(run.iterations.at(-1)!.clusterSizes, run.clusterSizes);
      assert.ok(run.startedAt && run.finishedAt);
      assert.equal(run.durationMs, Date.parse(run.finishedAt) - Date.parse(run.startedAt));
      assert.ok(run.durationMs >= 0);
      assert.equal(run.progress.fraction, 1);
      assert.equal(run.outcomesPublishedAt, run.finishedAt);
      const { readMs, prepareMs, clusterMs, scoreMs, saveMs, publishMs } = run.metrics!.timings;
      assert.ok(publishMs !== null && publishMs >= 0, `publishMs ${publishMs}`);
      assert.ok(saveMs !== null && saveMs >= 0, `saveMs ${saveMs}`);
      // durationMs ends when the results are computed; the final writes come after it (timestamps are whole milliseconds).
      const computed = readMs + prepareMs + clusterMs + scoreMs;
      assert.ok(computed <= run.durationMs + 2, `phases ${computed} ms within durationMs ${run.durationMs}`);

      // The inertia is the sum of the squared distances the assignments report.
      const assignments = await assignmentsOf(run.id);
      const squared = sum(assignments.map((row) => row.distance ** 2));
      assert.ok(Math.abs(squared - metrics.inertia) < 1e-9 * metrics.inertia, `Σ distance² ${squared} vs inertia ${metrics.inertia}`);
    });

    it('the outcome table read with plain SQL holds exactly the run’s assignments, as Dataset.outcomes does', async () => {
      const run = runs.irisK3!;
      const assignments = await assignmentsOf(run.id);
      assert.equal(assignments.length, 150);
      const sizes = [0, 0, 0];
      for (const row of assignments) sizes[row.cluster]! += 1;
      assert.deepEqual(sizes, run.clusterSizes);

      const table = await readOutcomeTable(server.app.datastore, IRIS);
      assertSameOutcomes(table, assignments);
      assert.ok(
        table.every((row) => row.scoredAt === run.finishedAt),
        'scored_at is the run’s finish time',
      );

      const outcomes = await outcomesOf(IRIS);
      assertSameOutcomes(outcomes, assignments);
      assert.ok(outcomes.every((outcome) => outcome.scoredAt === run.finishedAt));

      // Assignments page by entity key: two pages of 100 and 50, no row twice.
      const first = dataOf(await server.graphql(RunAssignmentsDocument, { id: run.id, first: 100, after: null, cluster: null }), 'page 1').modelRun!
        .assignments;
      const second = dataOf(await server.graphql(RunAssignmentsDocument, { id: run.id, first: 100, after: first.pageInfo.endCursor, cluster: null }), 'page 2')
        .modelRun!.assignments;
      assert.equal(first.edges.length, 100);
      assert.equal(second.edges.length, 50);
      assert.equal(second.pageInfo.hasNextPage, false);
      assert.equal(new Set([...first.edges, ...second.edges].map((edge) => edge.node.entityKey)).size, 150);
      // …and filter by cluster.
      const one = dataOf(await server.graphql(RunAssignmentsDocument, { id: run.id, first: 500, after: null, cluster: 0 }), 'cluster 0').modelRun!.assignments;
      assert.equal(one.edges.length, run.clusterSizes![0]);
      assert.ok(one.edges.every((edge) => edge.node.cluster === 0));
    });

    it('kRange {min: 2, max: 5} on station_readings scores four values of k and keeps the one with the highest silhouette', async () => {
      const queued = await start({ datasetId: STATION_READINGS, kRange: { min: 2, max: 5 }, seed: 20_000_515, publishOutcomes: false });
      assert.equal(queued.status, 'QUEUED');
      // The iteration budget: maxIterations (300) × nInit (1) × four values of k, from the start.
      assert.deepEqual(queued.progress, { iteration: 0, maxIterations: 1_200, fraction: 0, lastShift: null });
      const run = await finished(queued.id);
      const selection = run.kSelection!;
      assert.equal(selection.rule, 'MAX_SILHOUETTE');
      assert.equal(selection.maxCappedByRows, false);
      assert.deepEqual(
        selection.scores.map((score) => score.k),
        [2, 3, 4, 5],
      );
      assert.ok(selection.chosenK >= 2 && selection.chosenK <= 5);
      const best = Math.max(...selection.scores.map((score) => score.silhouette ?? -Infinity));
      assert.equal(selection.chosenK, selection.scores.find((score) => score.silhouette === best)!.k, 'the first k with the highest silhouette');
      assert.equal(run.clusterSizes?.length, selection.chosenK);
      assert.equal(run.metrics?.silhouette, best);
      assert.equal(run.metrics?.silhouetteSampled, true, '20,000 rows: the silhouette is sampled');
      assert.deepEqual(run.params.kRange, { min: 2, max: 5 });
      assert.equal(run.progress.maxIterations, 1_200);
      assert.equal(run.progress.iteration, run.iterations!.length);
      assert.equal(run.params.k, null);
      assert.equal(run.outcomesPublishedAt, null);
      assert.ok(new Set(run.iterations!.map((record) => record.k)).size === 4, 'iterations of every k are recorded');

      // Rows with a NULL pollutant are dropped (the default): the clusters hold exactly the complete rows.
      const q = (name: string) => server.app.datastore.dialect.quoteIdentifier(name);
      const [complete] = await server.app.datastore.query({
        sql: `SELECT COUNT(*) AS n FROM ${q('station_readings')} WHERE ${['pm10', 'pm25', 'o3', 'no2', 'co', 'so2'].map((column) => `${q(column)} IS NOT NULL`).join(' AND ')}`,
        parameters: [],
        kind: 'select',
      });
      assert.ok(Number(complete!.n) < 20_000);
      assert.equal(sum(run.clusterSizes), Number(complete!.n));
      // Not published: the outcome table has nothing for station_readings.
      assert.deepEqual(await readOutcomeTable(server.app.datastore, STATION_READINGS), []);
    });

    it('a second iris run (k: 4) replaces the published outcomes; publishRunOutcomes(first run) brings back exactly its rows, and doing it again changes nothing', async () => {
      const first = runs.irisK3!;
      const second = await finished((await start({ datasetId: IRIS, k: 4, seed: 42 })).id);
      runs.irisK4 = second;
      assert.equal(second.clusterSizes?.length, 4);
      let table = await readOutcomeTable(server.app.datastore, IRIS);
      assert.equal(table.length, 150);
      assert.ok(table.every((row) => row.runId === second.id && row.scoredAt === second.finishedAt));
      assert.ok(table.some((row) => row.cluster === 3));
      assert.deepEqual(
        (await outcomesOf(IRIS)).map((outcome) => outcome.runId),
        Array(150).fill(second.id),
      );

      const republished = dataOf(await server.graphql(PublishRunOutcomesDocument, { runId: first.id }), 'publishRunOutcomes').publishRunOutcomes;
      assert.equal(republished.status, 'SUCCEEDED');
      assert.equal(republished.finishedAt, first.finishedAt, 'publishing does not change when the run finished');
      assert.ok(Date.parse(republished.outcomesPublishedAt!) >= Date.parse(first.outcomesPublishedAt!));
      table = await readOutcomeTable(server.app.datastore, IRIS);
      assertSameOutcomes(table, await assignmentsOf(first.id));
      assert.ok(table.every((row) => row.scoredAt === first.finishedAt));
      assert.ok(!table.some((row) => row.cluster === 3), 'no row keeps a k: 4 cluster');

      const before = await snapshotOutcomeTable(server.app.datastore);
      dataOf(await server.graphql(PublishRunOutcomesDocument, { runId: first.id }), 'publishRunOutcomes again');
      assert.deepEqual(await snapshotOutcomeTable(server.app.datastore), before);
    });

    it('cancelModelRun on a long run while it is RUNNING makes it CANCELLED with finishedAt, stores no assignments and leaves the outcome table as it was', async () => {
      const features = await createNoiseTable(server.app.datastore, NOISE, 50_000, 8, 4_242);
      const dataset = dataOf(
        await server.graphql(RegisterDatasetDocument, { input: registerInput({ name: 'noise', table: NOISE, keyColumns: ['id'], featureColumns: features }) }),
        'registerDataset',
      ).registerDataset;
      const outcomesBefore = await snapshotOutcomeTable(server.app.datastore);

      const queued = await start({ datasetId: dataset.id, ...LONG_RUN });
      assert.equal(queued.progress.maxIterations, LONG_RUN.maxIterations * LONG_RUN.nInit);
      await waitForRun(server, queued.id, ['RUNNING']);
      const cancelled = dataOf(await server.graphql(CancelModelRunDocument, { id: queued.id }), 'cancelModelRun').cancelModelRun;
      assert.equal(cancelled.status, 'CANCELLED');
      assert.ok(cancelled.finishedAt);
      assert.equal(cancelled.error, null);

      // RUN_CONCURRENCY is 1: a run started now executes only once the cancelled one has wound down.
      const sentinel = await finished((await start({ datasetId: IRIS, k: 2, seed: 1, publishOutcomes: false })).id);
      assert.equal(sentinel.status, 'SUCCEEDED');

      const after = await finished(queued.id, 'CANCELLED');
      assert.equal(after.finishedAt, cancelled.finishedAt, 'a terminal state never changes');
      assert.equal(after.metrics, null);
      assert.equal(after.clusterSizes, null);
      assert.equal(await countAssignments(server.app.datastore, queued.id), 0);
      assert.deepEqual(await assignmentsOf(queued.id), []);
      assert.deepEqual(await snapshotOutcomeTable(server.app.datastore), outcomesBefore);
      assert.deepEqual(await readOutcomeTable(server.app.datastore, dataset.id), []);
      // Cancelling a finished run returns it unchanged.
      const again = dataOf(await server.graphql(CancelModelRunDocument, { id: sentinel.id }), 'cancel a finished run').cancelModelRun;
      assert.equal(again.status, 'SUCCEEDED');
      runs.cancelled = after;
      runs.sentinel = sentinel;
    });

    it('two startModelRun calls with the same idempotencyKey return the same run, one after the other and at the same time', async () => {
      const before = (await allRunIds(server)).length;
      const input = { datasetId: IRIS, k: 2, seed: 3, publishOutcomes: false, idempotencyKey: `session-${target.label}` };
      const first = await start(input);
      const second = await start(input);
      assert.equal(second.id, first.id);

      const raceInput = { ...input, idempotencyKey: `race-${target.label}` };
      const [a, b] = await Promise.all([start(raceInput), start(raceInput)]);
      assert.equal(a.id, b.id);
      const ids = await allRunIds(server);
      assert.equal(ids.length, before + 2, 'one run per key');
      assert.ok(ids.includes(first.id) && ids.includes(a.id));
      runs.idempotent = await finished(first.id);
      runs.raced = await finished(a.id);
      assert.equal(runs.raced.params.seed, 3);
    });

    it('modelRuns(filter: {datasetIds, statuses}, orderBy, first: 2, after) pages through every matching run exactly once', async () => {
      const expected = [runs.irisK3, runs.irisK4, runs.sentinel, runs.idempotent, runs.raced].map((run) => run!.id);
      const seen: { id: string; createdAt: string }[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const result: FormattedExecutionResult<ModelRunsPageQuery> = await server.graphql(ModelRunsPageDocument, {
          filter: { datasetIds: [IRIS], statuses: ['SUCCEEDED'], createdAfter: null, createdBefore: null },
          orderBy: { field: 'CREATED_AT', direction: 'ASC' },
          first: 2,
          after,
        });
        const page = dataOf(result, 'modelRuns').modelRuns;
        pages += 1;
        assert.ok(page.edges.length <= 2);
        assert.equal(page.pageInfo.hasPreviousPage, after !== null);
        seen.push(...page.edges.map(({ node }) => ({ id: node.id, createdAt: node.createdAt })));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
        assert.ok(pages < 10, 'paging ends');
      }
      assert.equal(pages, 3);
      assert.equal(new Set(seen.map((run) => run.id)).size, seen.length, 'no run twice');
      assert.deepEqual(new Set(seen.map((run) => run.id)), new Set(expected));
      const times = seen.map((run) => Date.parse(run.createdAt));
      assert.deepEqual(
        times,
        [...times].sort((x, y) => x - y),
        'oldest first',
      );

      const cancelled = dataOf(
        await server.graphql(ModelRunsPageDocument, {
          filter: { datasetIds: null, statuses: ['CANCELLED'], createdAfter: null, createdBefore: null },
          orderBy: null,
          first: 10,
          after: null,
        }),
        'cancelled runs',
      ).modelRuns;
      assert.deepEqual(
        cancelled.edges.map(({ node }) => node.id),
        [runs.cancelled!.id],
      );
    });
  });
}
