import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FormattedExecutionResult } from 'graphql';
import { RunRepository } from '../../../src/modules/run/run.repository';
import {
  ApiKeysDocument,
  CancelModelRunDocument,
  CreateApiKeyDocument,
  DatasetNamesDocument,
  DeleteDatasetDocument,
  ModelRunStateDocument,
  ModelRunsPageDocument,
  PublishRunOutcomesDocument,
  RegisterDatasetDocument,
  StartModelRunDocument,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, registerInput, runRecord, startInput, waitForRun } from '../../support/runs';
import { ANONYMOUS, assertForbidden, bearer, countRows, createKey, datasetId, post } from './auth-support';

/**
 * viewer / operator / admin over real HTTP on the embedded default. Every refused mutation is checked
 * twice: FORBIDDEN naming the role it needs, and nothing written (runs, datasets, keys, outcomes, the
 * state of the run it aimed at).
 */
describe('the roles matrix over HTTP (development default, AUTH_ANONYMOUS=viewer)', () => {
  let server: TestServer;
  let irisId: string;
  let stationId: string;
  /** A SUCCEEDED run whose outcomes were not published: publishing would write 150 outcome rows. */
  let succeededRunId: string;
  /** A RUNNING run of another (live) server: cancelling it would make it CANCELLED. */
  let runningRunId: string;
  let viewerKey: string;
  let operatorKey: string;

  /** Everything a refused mutation could have written. */
  const state = async () => ({
    runs: await countRows(server.app.datastore, 'ai_model_run'),
    datasets: await countRows(server.app.datastore, 'ai_dataset'),
    keys: await countRows(server.app.datastore, 'ai_api_key'),
    outcomes: await countRows(server.app.datastore, 'ai_cluster_outcome'),
    running: dataOf(await server.graphql(ModelRunStateDocument, { id: runningRunId }), 'running run').modelRun?.status,
    succeededPublishedAt: dataOf(await server.graphql(ModelRunStateDocument, { id: succeededRunId }), 'succeeded run').modelRun?.outcomesPublishedAt,
  });

  /** Every mutation that needs more than viewer, sent with `headers`; each answer with the role it needs. */
  const mutations = (headers: Record<string, string>): [string, string, () => Promise<FormattedExecutionResult<unknown>>][] => [
    [
      'startModelRun',
      'operator',
      () => server.graphql(StartModelRunDocument, { input: startInput({ datasetId: irisId, k: 3, seed: 1, publishOutcomes: false }) }, headers),
    ],
    ['cancelModelRun', 'operator', () => server.graphql(CancelModelRunDocument, { id: runningRunId }, headers)],
    ['publishRunOutcomes', 'operator', () => server.graphql(PublishRunOutcomesDocument, { runId: succeededRunId }, headers)],
    [
      'registerDataset',
      'admin',
      () =>
        server.graphql(
          RegisterDatasetDocument,
          { input: registerInput({ name: 'iris copy', table: 'iris', keyColumns: ['sample_id'], featureColumns: ['sepal_length'] }) },
          headers,
        ),
    ],
    ['deleteDataset', 'admin', () => server.graphql(DeleteDatasetDocument, { id: stationId }, headers)],
    ['createApiKey', 'admin', () => server.graphql(CreateApiKeyDocument, { name: 'self-made admin', role: 'ADMIN' }, headers)],
  ];

  before(async () => {
    server = await startTestServer({ RUN_HEARTBEAT_MS: '600000' });
    irisId = await datasetId(server, 'iris');
    stationId = await datasetId(server, 'station_readings');
    const started = dataOf(
      await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: irisId, k: 3, seed: 1, publishOutcomes: false }) }),
      'start as admin',
    );
    succeededRunId = started.startModelRun.id;
    assert.equal((await waitForRun(server, succeededRunId)).status, 'SUCCEEDED');
    const running = runRecord(irisId, { status: 'RUNNING', startedAt: new Date(), owner: 'another-live-server' });
    await new RunRepository(server.app.datastore).insert(running);
    runningRunId = running.id;
    viewerKey = (await createKey(server, 'viewer key', 'VIEWER')).key;
    operatorKey = (await createKey(server, 'operator key', 'OPERATOR')).key;
  });
  after(async () => {
    if (runningRunId) await server.graphql(CancelModelRunDocument, { id: runningRunId });
    await server?.stop();
  });

  it('anonymous callers may query datasets and modelRuns (the viewer role)', async () => {
    const names = dataOf(await server.graphql(DatasetNamesDocument, {}, ANONYMOUS), 'anonymous datasets').datasets.map((dataset) => dataset.name);
    assert.deepEqual(names, ['iris', 'station_readings']);
    const runs = dataOf(await server.graphql(ModelRunsPageDocument, { first: 10, after: null, filter: null, orderBy: null }, ANONYMOUS), 'anonymous modelRuns');
    assert.ok(runs.modelRuns.edges.some((edge) => edge.node.id === succeededRunId));
  });

  it('anonymous callers get FORBIDDEN with requiredRole on every run, dataset and key mutation, and nothing is written', async () => {
    const before = await state();
    for (const [name, requiredRole, send] of mutations(ANONYMOUS)) assertForbidden(await send(), requiredRole, `anonymous ${name}`);
    assert.deepEqual(await state(), before);
    assert.equal(before.running, 'RUNNING');
    assert.equal(before.succeededPublishedAt, null);
  });

  it('anonymous callers and viewer and operator keys get FORBIDDEN (requiredRole admin) on the apiKeys query', async () => {
    for (const [who, headers] of [
      ['anonymous', ANONYMOUS],
      ['viewer', bearer(viewerKey)],
      ['operator', bearer(operatorKey)],
    ] as const) {
      assertForbidden(await server.graphql(ApiKeysDocument, {}, headers), 'admin', `${who} apiKeys`);
    }
  });

  it('a viewer key may query, and gets FORBIDDEN on every mutation with nothing written', async () => {
    const names = dataOf(await server.graphql(DatasetNamesDocument, {}, bearer(viewerKey)), 'viewer datasets').datasets.map((dataset) => dataset.name);
    assert.deepEqual(names, ['iris', 'station_readings']);
    dataOf(await server.graphql(ModelRunsPageDocument, { first: 10, after: null, filter: null, orderBy: null }, bearer(viewerKey)), 'viewer modelRuns');
    const before = await state();
    for (const [name, requiredRole, send] of mutations(bearer(viewerKey))) assertForbidden(await send(), requiredRole, `viewer ${name}`);
    assert.deepEqual(await state(), before);
  });

  it('an operator key may start and cancel a run, and gets FORBIDDEN on the dataset and key mutations with nothing written', async () => {
    const runsBefore = await countRows(server.app.datastore, 'ai_model_run');
    const run = dataOf(
      await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: irisId, k: 2, seed: 2, publishOutcomes: false }) }, bearer(operatorKey)),
      'operator startModelRun',
    ).startModelRun;
    assert.equal(await countRows(server.app.datastore, 'ai_model_run'), runsBefore + 1);
    const cancelled = dataOf(await server.graphql(CancelModelRunDocument, { id: run.id }, bearer(operatorKey)), 'operator cancelModelRun').cancelModelRun;
    assert.ok(['CANCELLED', 'SUCCEEDED'].includes(cancelled.status), cancelled.status);

    const before = await state();
    for (const [name, requiredRole, send] of mutations(bearer(operatorKey))) {
      if (requiredRole === 'admin') assertForbidden(await send(), 'admin', `operator ${name}`);
    }
    assert.deepEqual(await state(), before);
  });

  it('an operator key may publish a succeeded run’s outcomes', async () => {
    const published = dataOf(
      await server.graphql(PublishRunOutcomesDocument, { runId: succeededRunId }, bearer(operatorKey)),
      'operator publish',
    ).publishRunOutcomes;
    assert.notEqual(published.outcomesPublishedAt, null);
    assert.equal(await countRows(server.app.datastore, 'ai_cluster_outcome'), 150);
  });

  it('an admin key may do everything: register and delete a dataset, create and list keys, start a run', async () => {
    const admin = bearer(server.adminKey!);
    const registered = dataOf(
      await server.graphql(
        RegisterDatasetDocument,
        { input: registerInput({ name: 'iris by admin', table: 'iris', keyColumns: ['sample_id'], featureColumns: ['sepal_length'] }) },
        admin,
      ),
      'admin registerDataset',
    ).registerDataset;
    dataOf(await server.graphql(DeleteDatasetDocument, { id: registered.id }, admin), 'admin deleteDataset');
    const created = dataOf(await server.graphql(CreateApiKeyDocument, { name: 'made by admin', role: 'VIEWER' }, admin), 'admin createApiKey').createApiKey;
    const listed = dataOf(await server.graphql(ApiKeysDocument, {}, admin), 'admin apiKeys').apiKeys;
    assert.ok(listed.some((key) => key.id === created.apiKey.id));
    const run = dataOf(
      await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: irisId, k: 2, seed: 3, publishOutcomes: false }) }, admin),
      'admin start',
    ).startModelRun;
    assert.equal((await waitForRun(server, run.id)).status, 'SUCCEEDED');
  });
});

describe('the roles matrix with AUTH_ANONYMOUS=none', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ AUTH_ANONYMOUS: 'none' });
  });
  after(async () => {
    await server?.stop();
  });

  it('an anonymous query gets UNAUTHENTICATED and no data', async () => {
    for (const answer of [
      await post(server, DatasetNamesDocument, {}, ANONYMOUS),
      await post(server, ModelRunsPageDocument, { first: 10, after: null, filter: null, orderBy: null }, ANONYMOUS),
    ]) {
      assert.equal(answer.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(answer.body));
      assert.equal(answer.body.data ?? null, null);
    }
  });

  it('an anonymous startModelRun gets UNAUTHENTICATED (not FORBIDDEN) and writes no run', async () => {
    const irisId = await datasetId(server, 'iris');
    const runsBefore = await countRows(server.app.datastore, 'ai_model_run');
    const answer = await post(server, StartModelRunDocument, { input: startInput({ datasetId: irisId, k: 3, seed: 1, publishOutcomes: false }) }, ANONYMOUS);
    assert.equal(answer.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(answer.body));
    assert.equal(await countRows(server.app.datastore, 'ai_model_run'), runsBefore);
  });

  it('a viewer key may still query', async () => {
    const viewer = await createKey(server, 'viewer', 'VIEWER');
    const names = dataOf(await server.graphql(DatasetNamesDocument, {}, bearer(viewer.key)), 'viewer datasets').datasets.map((dataset) => dataset.name);
    assert.deepEqual(names, ['iris', 'station_readings']);
  });
});
