/**
 * The search engine is down for the whole of a run, start to end: the run SUCCEEDS regardless (the
 * trace never decides whether a run works), every one of its trace documents waits in the on-disk
 * spool, and once the engine is reachable again every document of that run arrives exactly once —
 * the engine's documents for the run, counted by _id, are exactly the spool's.
 *
 * The server's ELASTICSEARCH_URL is a switchable relay (test/support/switchable-relay.ts; the server's
 * database is the embedded SQLite, so the in-process relay is fine here) in front of an elastic-proxy
 * of this file's own (test/support/elastic-proxy.ts) in front of OpenSearch. The relay is closed
 * before the server starts (connection refused) and opened only after the run has succeeded and its
 * last documents have been spooled. The data stream and runs index are set up by the test through
 * the shared proxy, which stays reachable.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import { setupElasticsearch } from '../../src/telemetry/setup';
import { startTestServer, type TestServer } from '../support/app-harness';
import { startElasticProxy, type ElasticProxy } from '../support/elastic-proxy';
import { openSearchUrl, searchEngineUrl } from '../support/search-engine';
import { startSwitchableRelay, type SwitchableRelay } from '../support/switchable-relay';
import {
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
  type TraceTargets,
} from '../support/trace-engine';
import { traceSource } from '../integration/trace/trace-source';

/** A few seconds of work with every kind of document: restarts, several k, scores, clusters, outcomes. */
const RUN = { datasetId: 'demo-station-readings', kRange: { min: 2, max: 4 }, nInit: 3, seed: 5 };

describe('the search engine down for a whole run', () => {
  let targets: TraceTargets;
  let client: Client;
  let proxy: ElasticProxy;
  let relay: SwitchableRelay;
  let server: TestServer;

  before(async () => {
    targets = traceTargets('wholerun');
    client = await engineClient();
    await setUpTargets(client, targets, async () => void (await setupElasticsearch(client, traceOptionsFor(await searchEngineUrl(), targets))), {
      createStream: true,
    });
    proxy = await startElasticProxy({ target: openSearchUrl() });
    relay = await startSwitchableRelay(proxy.url);
    await relay.close();
    server = await startTestServer(traceEnv(relay.url, targets));
  });

  after(async () => {
    await relay?.open(); // the server's last flush goes through
    await server?.stop();
    await relay?.close();
    await proxy?.close();
    if (client) {
      await removeTraceTargets(client, targets);
      await client.close();
    }
  });

  it('the run SUCCEEDS with the engine unreachable; once it is back every document of the run arrives exactly once, the same _ids as were spooled', async (t) => {
    const graphql = new CountingClient(server);
    const id = await graphql.startRun(RUN);
    const run = await graphql.succeeded(id);
    assert.equal(relay.isOpen, false, 'the engine was unreachable for the whole run');

    // Everything of the run is in the spool, nothing queued, nothing dropped; the server stayed ready.
    const down = await pollUntil(
      async () => ({ counters: await traceCounters(server), spool: await spoolContent(targets) }),
      ({ counters, spool }) =>
        counters.queued === 0 &&
        spool.documents.some(
          (document) =>
            document.trace?.id === id &&
            document._target === 'runs' &&
            (document as { aimodel?: { run?: { status?: string } } }).aimodel?.run?.status === 'SUCCEEDED',
        ),
      'the end of the run reaching the spool',
    );
    assert.equal(down.counters.readyStatus, 200);
    assert.equal(down.counters.dropped, 0);
    assert.equal(down.counters.indexed, 0, 'nothing reached the engine while it was down');
    const spooledEvents = down.spool.documents.filter((document) => document.trace?.id === id && document._target === 'events');
    const spooledIds = spooledEvents.map((document) => document._id);
    assert.equal(new Set(spooledIds).size, spooledIds.length, 'the spool holds each event of the run once');
    assert.equal(spooledIds.length, expectedRunDocumentCount(run), 'the spool holds every event of the run');
    t.diagnostic(
      `run ${id}: ${run.progress.iteration} iterations; ${spooledIds.length} events and ${down.spool.documents.filter((document) => document.trace?.id === id && document._target === 'runs').length} summaries spooled (${down.spool.bytes} bytes)`,
    );

    await relay.open();
    const up = await pollUntil(
      async () => ({ counters: await traceCounters(server), spool: (await spoolContent(targets)).bytes }),
      ({ counters, spool }) => spool === 0 && counters.queued === 0 && counters.replayed > 0,
      'the spool being replayed into the engine',
    );
    assert.equal(up.counters.dropped, 0);
    t.diagnostic(`after the replay: ${JSON.stringify(up.counters)}`);

    const stored = await runDocuments(client, targets, id);
    const storedIds = stored.map((document) => document._id);
    assert.equal(new Set(storedIds).size, storedIds.length, 'no _id twice in the engine');
    assert.deepEqual([...storedIds].sort(), [...spooledIds].sort(), 'the engine holds exactly the spooled events of the run');
    assert.equal((await client.count({ index: targets.stream, query: { term: { 'trace.id': id } } })).count, spooledIds.length);

    await client.indices.refresh({ index: targets.runsIndex });
    const summaries = await searchAll(client, targets.runsIndex, { term: { 'trace.id': id } });
    assert.equal(summaries.length, 1, 'one summary document per run');
    assert.equal(summaries[0]!._id, id);
    assert.equal(traceSource(summaries[0]!._source).aimodel.run?.status, 'SUCCEEDED', 'the final summary, not an older state replayed over it');
  });
});
