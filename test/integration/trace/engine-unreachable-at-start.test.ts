/**
 * ELASTICSEARCH_URL points at a port where nothing listens, from the first moment (connection
 * refused, as with an engine that is not started). The trace never decides whether the server serves:
 * it starts, /readyz is 200, GraphQL and model runs work, and every trace document waits in the spool
 * under TRACE_DIR instead of being dropped. ELASTICSEARCH_SETUP=true too: the setup at start fails
 * and is only logged.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app-harness';
import {
  CountingClient,
  dataOf,
  expectedRunDocumentCount,
  pollUntil,
  spoolContent,
  traceCounters,
  TraceDatasets,
  traceEnv,
  traceTargets,
} from '../../support/trace-engine';

const targets = traceTargets('unreachable');

/** A loopback port nothing listens on: taken from the OS, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the search engine is unreachable from the start', () => {
  let server: TestServer;
  let graphql: CountingClient;
  let url: string;

  before(async () => {
    url = `http://127.0.0.1:${await closedPort()}`;
    server = await startTestServer(traceEnv(url, targets, { ELASTICSEARCH_SETUP: 'true' }));
    graphql = new CountingClient(server);
  });

  after(async () => {
    await server?.stop();
  });

  test('the server starts and is ready: /readyz 200 with the trace counters, /healthz ok', async () => {
    const response = await server.get('/readyz', { authorization: `Bearer ${server.adminKey!}` });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { ready: boolean; trace: { sink: string; dropped: number } };
    assert.equal(body.ready, true);
    assert.equal(body.trace.sink, 'elasticsearch');
    assert.equal(body.trace.dropped, 0);
    assert.equal((await server.get('/healthz')).status, 200);
    // The setup at start (ELASTICSEARCH_SETUP=true) failed, which is logged and nothing more.
    await pollUntil(
      () => Promise.resolve(server.logs.join('')),
      (logs) => logs.includes('Elasticsearch trace setup failed'),
      'the setup failure being logged',
    );
  });

  test('GraphQL answers and a model run succeeds; its documents and the operations go to the spool, none dropped, none indexed', async () => {
    const datasets = dataOf(await graphql.send(TraceDatasets, {}), 'datasets').datasets;
    assert.deepEqual(
      datasets.map((dataset) => dataset.rowCount).sort((a, b) => a - b),
      [150, 20_000],
    );

    const id = await graphql.startRun({ datasetId: 'demo-iris', k: 3, seed: 42 });
    const run = await graphql.succeeded(id);

    const counters = await pollUntil(
      () => traceCounters(server),
      (value) => value.queued === 0 && value.spooled > 0,
      'the trace documents reaching the spool',
    );
    assert.equal(counters.readyStatus, 200);
    assert.equal(counters.dropped, 0, 'nothing dropped');
    assert.equal(counters.indexed, 0);
    assert.equal(counters.replayed, 0);

    // All of the run's documents, its three summaries, and one document per operation are in the
    // spool; the spool holds exactly what the counters say went there.
    const spool = await pollUntil(
      () => spoolContent(targets),
      (content) => content.documents.filter((document) => document.event.action === 'graphql-operation').length >= graphql.total(),
      'every operation sent in the spool',
    );
    const now = await traceCounters(server);
    assert.equal(spool.documents.length, now.spooled, 'the spool file holds every spooled document');
    const ofRun = spool.documents.filter((document) => document.trace?.id === id);
    assert.equal(ofRun.filter((document) => document._target === 'events').length, expectedRunDocumentCount(run));
    const summaries = ofRun.filter((document) => document._target === 'runs');
    assert.deepEqual(
      summaries.map((document) => (document as unknown as { aimodel: { run: { status: string } } }).aimodel.run.status),
      ['QUEUED', 'RUNNING', 'SUCCEEDED'],
      'the QUEUED, RUNNING and SUCCEEDED summaries, in that order',
    );
    assert.equal(
      new Set(spool.documents.map((document) => `${document._target}:${document._id}`)).size,
      spool.documents.length - (summaries.length - 1),
      'only the run summary’s id repeats (once per summary after the first)',
    );
    assert.equal(spool.documents.filter((document) => document.event.action === 'graphql-operation').length, graphql.total());
  });
});
