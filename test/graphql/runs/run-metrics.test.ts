import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { buildApp, type App } from '../../../src/app';
import { loadConfig } from '../../../src/config/config';
import { createLogger } from '../../../src/logging/logger';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { CancelModelRunDocument, StartModelRunDocument } from '../../generated/graphql';
import { metricValue, startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, runRecord, startInput, waitForRun } from '../../support/runs';

const HOUR_MS = 3_600_000;

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

/** How much each sample grew between two scrapes. */
function growth(before: string, after: string) {
  return (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
}

/** `finishedAt − startedAt` of a run as the API reports them, in seconds. */
function runSeconds(run: { startedAt?: unknown; finishedAt?: unknown }): number {
  return (new Date(run.finishedAt as string).getTime() - new Date(run.startedAt as string).getTime()) / 1000;
}

describe('run metrics on a server that executes runs', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ RUN_HEARTBEAT_MS: '200', RUN_MAX_ATTEMPTS: '3' });
  });
  after(() => server.stop());

  it('model_runs_total has a zero sample for each terminal status before any run ends', async () => {
    const text = await scrape(server.url);
    for (const status of ['SUCCEEDED', 'FAILED', 'CANCELLED']) assert.ok(text.includes(`model_runs_total{status="${status}"} 0\n`), status);
    assert.ok(text.includes('model_run_queue_depth 0\n'), 'queue depth 0');
  });

  it('a run that succeeds on the 150 iris rows adds 1 to model_runs_total{SUCCEEDED}, its start-to-end seconds to the duration and 150 to the rows', async () => {
    const before = await scrape(server.url);
    const started = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 3, seed: 7 }) }), 'start');
    const finished = await waitForRun(server, started.startModelRun.id);
    assert.equal(finished.status, 'SUCCEEDED');
    const [record] = await new RunRepository(server.app.datastore).findByIds([finished.id]);
    assert.equal(record?.preparation?.rowsRead, 150);
    const grew = growth(before, await scrape(server.url));

    assert.deepEqual(
      ['SUCCEEDED', 'FAILED', 'CANCELLED'].map((status) => grew('model_runs_total', { status })),
      [1, 0, 0],
    );
    assert.equal(grew('model_run_duration_seconds_count', { status: 'SUCCEEDED' }), 1);
    assert.ok(Math.abs(grew('model_run_duration_seconds_sum', { status: 'SUCCEEDED' }) - runSeconds(finished)) < 1e-9);
    assert.equal(grew('model_run_rows_count', { status: 'SUCCEEDED' }), 1);
    assert.equal(grew('model_run_rows_sum', { status: 'SUCCEEDED' }), 150);
    assert.deepEqual(
      ['100', '1000', '+Inf'].map((le) => grew('model_run_rows_bucket', { status: 'SUCCEEDED', le })),
      [0, 1, 1],
    );
  });

  it("a dead process's run on its last claim, failed INTERRUPTED here, adds 1 to model_runs_total{FAILED} and its hour-long duration, and no rows", async () => {
    const before = await scrape(server.url);
    const anHourAgo = new Date(Date.now() - HOUR_MS);
    const orphan = runRecord('demo-iris', {
      status: 'RUNNING',
      owner: 'dead-process',
      attempts: 3,
      createdAt: anHourAgo,
      startedAt: anHourAgo,
      heartbeatAt: anHourAgo,
    });
    await new RunRepository(server.app.datastore).insert(orphan);
    const failed = await waitForRun(server, orphan.id);
    assert.deepEqual([failed.status, failed.error?.code], ['FAILED', 'INTERRUPTED']);
    const grew = growth(before, await scrape(server.url));

    assert.deepEqual(
      ['SUCCEEDED', 'FAILED', 'CANCELLED'].map((status) => grew('model_runs_total', { status })),
      [0, 1, 0],
    );
    assert.equal(grew('model_run_duration_seconds_count', { status: 'FAILED' }), 1);
    assert.ok(Math.abs(grew('model_run_duration_seconds_sum', { status: 'FAILED' }) - runSeconds(failed)) < 1e-9);
    assert.ok(runSeconds(failed) >= HOUR_MS / 1000);
    assert.equal(grew('model_run_rows_count', { status: 'FAILED' }), 0);
  });
});

/**
 * A server whose runs stay QUEUED: the app is built and its database prepared, but App.listen (which
 * starts claiming) is never called; the HTTP server listens on its own.
 */
async function serverThatNeverClaims(): Promise<{ app: App; url: string; key: string }> {
  const config = loadConfig({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-queue-metrics-')), LOG_LEVEL: 'silent' });
  const app = await buildApp(config, createLogger(config.logLevel));
  await app.bootstrap.start();
  await app.bootstrap.whenReady();
  await new Promise<void>((resolve) => app.httpServer.listen(0, '127.0.0.1', resolve));
  const { key } = await app.apiKeys.create('queue metrics admin', 'admin');
  return { app, url: `http://127.0.0.1:${(app.httpServer.address() as AddressInfo).port}`, key };
}

describe('run metrics while runs wait in the queue', () => {
  let server: Awaited<ReturnType<typeof serverThatNeverClaims>>;
  before(async () => {
    server = await serverThatNeverClaims();
  });
  after(() => server.app.stop());

  async function graphql(query: string, variables: Record<string, unknown>): Promise<Record<string, { id: string; status: string }>> {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.key}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Record<string, { id: string; status: string }>; errors?: unknown };
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data!;
  }

  it('model_run_queue_depth counts the QUEUED runs at each scrape; a run cancelled while queued adds 1 to model_runs_total{CANCELLED} and no duration or rows', async () => {
    const before = await scrape(server.url);
    assert.equal(metricValue(before, 'model_run_queue_depth', {}), 0);
    const ids: string[] = [];
    for (const seed of [1, 2, 3]) {
      const { startModelRun } = await graphql(print(StartModelRunDocument), { input: startInput({ datasetId: 'demo-iris', k: 2, seed }) });
      assert.equal(startModelRun!.status, 'QUEUED');
      ids.push(startModelRun!.id);
    }
    assert.ok((await scrape(server.url)).includes('model_run_queue_depth 3\n'));

    const { cancelModelRun } = await graphql(print(CancelModelRunDocument), { id: ids[0] });
    assert.equal(cancelModelRun!.status, 'CANCELLED');
    const afterCancel = await scrape(server.url);
    assert.ok(afterCancel.includes('model_run_queue_depth 2\n'));
    const grew = growth(before, afterCancel);
    assert.deepEqual(
      ['SUCCEEDED', 'FAILED', 'CANCELLED'].map((status) => grew('model_runs_total', { status })),
      [0, 0, 1],
    );
    assert.equal(grew('model_run_duration_seconds_count', { status: 'CANCELLED' }), 0);
    assert.equal(grew('model_run_rows_count', { status: 'CANCELLED' }), 0);
  });
});

describe('run metrics with the database unreachable', () => {
  let server: TestServer;
  before(async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    server = await startTestServer({
      DB_DIALECT: 'postgresql',
      DB_CONNECTION_STRING: `Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=${port};Database=none;Uid=nobody;Pwd=unused;`,
      DB_ACQUIRE_TIMEOUT_MS: '60000',
    });
  });
  after(() => server.stop());

  it('/metrics still answers 200 with the run metrics, the queue depth at 0 (no count was ever read)', async () => {
    const text = await scrape(server.url);
    assert.ok(text.includes('model_run_queue_depth 0\n'));
    assert.ok(text.includes('model_runs_total{status="SUCCEEDED"} 0\n'));
  });
});
