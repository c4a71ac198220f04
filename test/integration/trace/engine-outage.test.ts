/**
 * The search engine goes away in the middle of a run and comes back: the run is not affected, the
 * trace documents wait in the on-disk spool, and once the engine answers again they are replayed,
 * so every document of the run ends up in the engine exactly once.
 *
 * How the outage is simulated: the server's ELASTICSEARCH_URL is a relay on a fixed loopback port
 * (test/support/switchable-relay.ts) in front of a second elastic-proxy (test/support/elastic-proxy.ts)
 * in front of OpenSearch. Closing the relay takes the engine's address, as the server sees it, away:
 * open connections are reset and new ones are refused (ECONNREFUSED), as with a stopped engine. The
 * OpenSearch node itself keeps running, because other test files use it at the same time; what is not
 * simulated is an engine that hangs without refusing, or one that comes back with its data lost.
 *
 * The engine is OpenSearch 2.19 (ELASTICSEARCH_ILM=false: it has no ILM).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import { setupElasticsearch } from '../../../src/telemetry/setup';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { startElasticProxy, type ElasticProxy } from '../../support/elastic-proxy';
import { openSearchUrl, searchEngineUrl } from '../../support/search-engine';
import { startSwitchableRelay, type SwitchableRelay } from '../../support/switchable-relay';
import {
  byAction,
  CountingClient,
  engineClient,
  expectedRunDocumentCount,
  pollUntil,
  removeTraceTargets,
  runDocuments,
  searchAll,
  setUpTargets,
  spoolContent,
  traceCounters,
  traceEnv,
  traceOptionsFor,
  traceTargets,
  type RunResult,
  type StoredDocument,
} from '../../support/trace-engine';
import { traceSource, type TraceSource } from './trace-source';

const targets = traceTargets('outage');

/** A run long enough to be still RUNNING when the relay closes: 5 values of k × 10 restarts, a tiny tolerance. */
const LONG_RUN = { datasetId: 'demo-station-readings', kRange: { min: 2, max: 6 }, nInit: 10, tolerance: 1e-12, seed: 11 };
// Seven values of k with 50 restarts each, seven times LONG_RUN's work (about 10 s here): the engine
// must be back while it still runs (with 25 restarts of LONG_RUN's five k, under the suite's load, the
// run once ended first).
const LONGER_RUN = { ...LONG_RUN, kRange: { min: 2, max: 8 }, nInit: 50 };

/** Asserts the run's documents are each in the engine once and all there; returns them. */
async function assertEveryDocumentOnce(client: Client, run: RunResult): Promise<StoredDocument[]> {
  const documents = await runDocuments(client, targets, run.id);
  const counted = (await client.count({ index: targets.stream, query: { term: { 'trace.id': run.id } } })).count;
  assert.equal(counted, documents.length);
  assert.equal(new Set(documents.map((document) => document._id)).size, documents.length, 'no _id twice');
  // Nor the same event twice under two ids: one document per (action, k, restart, iteration, cluster).
  const identity = (document: StoredDocument) => {
    const { aimodel, event } = traceSource(document._source);
    return JSON.stringify([event.action, aimodel.iteration?.k, aimodel.iteration?.restart, aimodel.iteration?.number, aimodel.score?.k, aimodel.cluster?.id]);
  };
  assert.equal(new Set(documents.map(identity)).size, documents.length, 'no event twice');
  assert.equal(documents.length, expectedRunDocumentCount(run), 'every document of the run');

  // Iterations 1..n of every (k, restart), none missing in between.
  const numbers = new Map<string, number[]>();
  for (const document of byAction(documents).get('iteration') ?? []) {
    const { k, restart, number } = traceSource(document._source).aimodel.iteration!;
    numbers.set(`${k}/${restart}`, [...(numbers.get(`${k}/${restart}`) ?? []), number]);
  }
  const ks = run.params.kRange ? run.params.kRange.max - run.params.kRange.min + 1 : 1;
  assert.equal(numbers.size, ks * run.params.nInit, 'every restart of every k');
  for (const [key, list] of numbers)
    assert.deepEqual(
      list.sort((a, b) => a - b),
      Array.from({ length: list.length }, (_, index) => index + 1),
      key,
    );
  return documents;
}

async function summaryOf(client: Client, runId: string): Promise<TraceSource | undefined> {
  await client.indices.refresh({ index: targets.runsIndex });
  const [summary] = await searchAll(client, targets.runsIndex, { ids: { values: [runId] } });
  return summary && traceSource(summary._source);
}

describe('the search engine stops in the middle of a run and comes back', () => {
  let client: Client;
  let proxy: ElasticProxy;
  let relay: SwitchableRelay;
  let server: TestServer;
  let graphql: CountingClient;

  before(async () => {
    client = await engineClient();
    await setUpTargets(client, targets, async () => void (await setupElasticsearch(client, traceOptionsFor(await searchEngineUrl(), targets))), {
      createStream: true,
    });
    // A second proxy, this server's own, behind the relay that can be closed.
    proxy = await startElasticProxy({ target: openSearchUrl() });
    relay = await startSwitchableRelay(proxy.url);
    server = await startTestServer(traceEnv(relay.url, targets));
    graphql = new CountingClient(server);
  });

  after(async () => {
    await relay?.open(); // let the server's last flush through
    await server?.stop();
    await relay?.close();
    await proxy?.close();
    if (client) {
      await removeTraceTargets(client, targets);
      await client.close();
    }
  });

  test('closed while RUNNING: the run succeeds, its documents are spooled, then replayed once the engine is back, each stored exactly once', async (t) => {
    const id = await graphql.startRun(LONG_RUN);
    await graphql.waitForStatus(id, ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']);
    // The engine has taken the first of the run's documents before it goes away.
    const first = await pollUntil(
      () => traceCounters(server),
      (counters) => counters.indexed > 0,
      'the first documents being indexed',
    );
    await relay.close();
    assert.equal(first.spooled, 0);
    assert.equal(await graphql.status(id), 'RUNNING', 'the run was still running when the engine went away (make LONG_RUN longer if not)');

    const run = await graphql.succeeded(id);
    t.diagnostic(`run ${id}: ${run.durationMs} ms, ${run.progress.iteration} iterations, ${expectedRunDocumentCount(run)} documents`);

    // The end of the run was recorded while the engine was away: it is in the spool, nothing dropped.
    const down = await pollUntil(
      () => traceCounters(server),
      (counters) => counters.queued === 0 && counters.spooled > 0,
      'the trace spooling',
    );
    assert.equal(down.readyStatus, 200, 'the server stays ready without its search engine');
    assert.equal(down.dropped, 0);
    const spooled = await spoolContent(targets);
    assert.ok(spooled.bytes > 0, 'the spool file under TRACE_DIR/spool has content');
    const spooledActions = new Set(
      spooled.documents.filter((document) => document.trace?.id === id).map((document) => `${document._target}:${document.event.action}`),
    );
    for (const expected of ['events:run-succeeded', 'events:cluster', 'events:outcomes-published', 'runs:run-summary'])
      assert.ok(spooledActions.has(expected), `${expected} is spooled`);
    t.diagnostic(`spooled while down: ${JSON.stringify(down)}, spool file ${spooled.bytes} bytes`);

    await relay.open();
    const up = await pollUntil(
      async () => ({ counters: await traceCounters(server), spool: (await spoolContent(targets)).bytes }),
      ({ counters, spool }) => counters.replayed > 0 && spool === 0 && counters.queued === 0,
      'the spooled documents being replayed',
    );
    t.diagnostic(`after the replay: ${JSON.stringify(up.counters)}`);
    assert.equal(up.counters.dropped, 0, 'nothing dropped');
    assert.ok(up.counters.indexed >= first.indexed);

    await assertEveryDocumentOnce(client, run);
    const summary = await summaryOf(client, id);
    assert.equal(summary?.aimodel.run?.status, 'SUCCEEDED', 'the run summary is the final one');
    assert.equal(summary?.aimodel.run?.duration_ms, run.durationMs);
  });

  // The run summary is indexed by run id, so an older summary replayed after a newer one overwrites
  // it. This is the order that produced it: the QUEUED summary goes to the spool, the engine comes
  // back, and the run ends (about 3 s here) before the writer's replay back-off (5 s after the last
  // failed write) is over. A writer that sends its queue before the spool stored SUCCEEDED and then
  // replayed QUEUED over it (seen with the writer of the last commit); the deterministic form of this
  // check, with a fake clock, is the writer's unit test.
  test('away when a run starts and back before it ends: the run summary ends SUCCEEDED, never the older QUEUED state replayed over it', async (t) => {
    await relay.close();
    const before = await traceCounters(server);
    const id = await graphql.startRun(LONGER_RUN);
    // The run's start (run-started, the QUEUED summary) has gone to the spool.
    await pollUntil(
      async () =>
        (await spoolContent(targets)).documents
          .filter((document) => document.trace?.id === id)
          .map((document) => `${document._target}:${document.event.action}`),
      (actions) => actions.includes('runs:run-summary') && actions.includes('events:run-started'),
      'the start of the run reaching the spool',
    );
    assert.ok((await traceCounters(server)).spooled > before.spooled);
    await relay.open();
    assert.ok(['QUEUED', 'RUNNING'].includes(await graphql.status(id)), 'the engine is back before the run ends');

    const run = await graphql.succeeded(id);
    const up = await pollUntil(
      async () => ({ counters: await traceCounters(server), spool: (await spoolContent(targets)).bytes }),
      ({ counters, spool }) => spool === 0 && counters.queued === 0 && counters.replayed > before.replayed,
      'the spool emptying',
    );
    t.diagnostic(`run ${id}: ${run.durationMs} ms; counters ${JSON.stringify(up.counters)}`);
    assert.equal(up.counters.dropped, 0);
    await pollUntil(
      () => client.indices.refresh({ index: targets.stream }).then(() => client.count({ index: targets.stream, query: { term: { 'trace.id': id } } })),
      (response) => response.count >= expectedRunDocumentCount(run),
      'the run’s documents in the engine',
    );
    await assertEveryDocumentOnce(client, run);
    const summary = await summaryOf(client, id);
    assert.equal(summary?.aimodel.run?.status, 'SUCCEEDED');
  });
});
