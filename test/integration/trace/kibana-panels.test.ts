/**
 * Every panel of the "AI modeling" dashboard, run against real trace data: each visualization of the
 * saved-objects export (src/telemetry/kibana/saved-objects.ts) is translated into the search Kibana
 * would send (test/support/kibana-panels.ts), run on its data view's index pattern, and its buckets
 * are checked against what the runs really did.
 *
 * The data: the server records an iris run (k=3), a station_readings run (kRange 2..4) and the GraphQL
 * operations that started and watched them, one of which fails (startModelRun with k: 1 →
 * BAD_USER_INPUT). The data views are exported with this file's own stream and runs index as their
 * titles, so the panels see this file's data only (other test files write to the same engine).
 *
 * The engine is OpenSearch 2.19 behind the test proxy (ELASTICSEARCH_ILM=false: it has no ILM).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import { PANELS, RUNS_DATA_VIEW_ID, savedObjectsNdjson, TRACE_DATA_VIEW_ID } from '../../../src/telemetry/kibana/saved-objects';
import { setupElasticsearch } from '../../../src/telemetry/setup';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { panelRequest, panelRows, savedVisualizations, type PanelRow, type SavedVisualization } from '../../support/kibana-panels';
import { searchEngineUrl } from '../../support/search-engine';
import {
  CountingClient,
  engineClient,
  pollUntil,
  removeTraceTargets,
  runInput,
  setUpTargets,
  traceCounters,
  traceEnv,
  traceOptionsFor,
  TraceStartRun,
  traceTargets,
  waitForRunDocuments,
  type RunResult,
} from '../../support/trace-engine';

const targets = traceTargets('panels');

describe('the Kibana dashboard panels on real trace data', () => {
  let client: Client;
  let server: TestServer;
  let graphql: CountingClient;
  let iris: RunResult;
  let stations: RunResult;
  let visualizations: Map<string, SavedVisualization>;
  let operationsSent = 0;

  /** Runs one panel's search (optionally with dashboard-level KQL filters); returns its rows. */
  async function panel(id: string, filters: string[] = []): Promise<PanelRow[]> {
    const visualization = visualizations.get(id);
    assert.ok(visualization, `${id} is in the saved-objects export`);
    const request = panelRequest(visualization, filters);
    const response = await client.search({ index: request.index, ...request.body });
    assert.ok(response.aggregations, `${id}: aggregations in the response`);
    return panelRows(request, response.aggregations);
  }

  before(async () => {
    const url = await searchEngineUrl();
    client = await engineClient();
    const options = traceOptionsFor(url, targets);
    await setUpTargets(client, targets, async () => void (await setupElasticsearch(client, options)), { createStream: true });

    server = await startTestServer(traceEnv(url, targets));
    graphql = new CountingClient(server);
    const irisId = await graphql.startRun({ datasetId: 'demo-iris', k: 3, seed: 42 });
    const stationsId = await graphql.startRun({ datasetId: 'demo-station-readings', kRange: { min: 2, max: 4 }, seed: 7 });
    const refused = await graphql.send(TraceStartRun, { input: runInput({ datasetId: 'demo-iris', k: 1 }) });
    assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    iris = await graphql.succeeded(irisId);
    stations = await graphql.succeeded(stationsId);

    await pollUntil(
      () => traceCounters(server),
      (counters) => counters.queued === 0,
      'the trace queue emptying',
    );
    await waitForRunDocuments(client, targets, [iris, stations]);
    operationsSent = graphql.total();
    await pollUntil(
      async () => {
        await client.indices.refresh({ index: targets.stream });
        return (await client.count({ index: targets.stream, query: { term: { 'event.action': 'graphql-operation' } } })).count;
      },
      (count) => count >= operationsSent,
      `the engine holding the ${operationsSent} graphql-operation documents`,
    );
    await client.indices.refresh({ index: [targets.stream, targets.runsIndex] });
    visualizations = savedVisualizations(savedObjectsNdjson(targets.stream, targets.runsIndex));
  });

  after(async () => {
    await server?.stop();
    if (client) {
      await removeTraceTargets(client, targets);
      await client.close();
    }
  });

  test('the export holds every panel, each referencing its data view, whose title is the configured stream or runs index', () => {
    assert.deepEqual([...visualizations.keys()].sort(), PANELS.map((definition) => definition.id).sort());
    for (const definition of PANELS) {
      const visualization = visualizations.get(definition.id)!;
      assert.equal(visualization.indexPattern, definition.dataViewId === TRACE_DATA_VIEW_ID ? targets.stream : targets.runsIndex);
      assert.equal(visualization.query, definition.query);
      assert.deepEqual(visualization.aggs, definition.aggs);
    }
    assert.deepEqual(new Set(PANELS.map((definition) => definition.dataViewId)), new Set([TRACE_DATA_VIEW_ID, RUNS_DATA_VIEW_ID]));
  });

  /** What each panel must show for this data; a panel without an entry here fails the test. */
  const checks: Record<string, () => Promise<void>> = {
    'aimodel-inertia-by-iteration': async () => {
      const rows = await panel('aimodel-inertia-by-iteration');
      const series = new Map<string, PanelRow[]>();
      for (const row of rows) series.set(String(row.keys['3']), [...(series.get(String(row.keys['3'])) ?? []), row]);
      assert.deepEqual([...series.keys()].sort(), [iris.id, stations.id].sort(), 'one series (trace.id) per run');
      // iris k=3 with k-means++ has one restart: the series is that restart's inertia, which never
      // increases from one iteration to the next (up to rounding).
      assert.equal(iris.params.nInit, 1);
      const irisRows = series.get(iris.id)!.sort((a, b) => Number(a.keys['2']) - Number(b.keys['2']));
      assert.deepEqual(
        irisRows.map((row) => row.keys['2']),
        iris.iterations!.map((iteration) => iteration.iteration),
      );
      for (const [index, row] of irisRows.entries()) {
        assert.equal(row.count, 1);
        assert.equal(row.metrics['1'], iris.iterations![index]!.inertia);
        if (index > 0) {
          const previous = irisRows[index - 1]!.metrics['1'] as number;
          assert.ok(row.metrics['1'] <= previous * (1 + 1e-12), `iteration ${row.keys['2']}: ${row.metrics['1']} > ${previous}`);
        }
      }
      // The station_readings series averages k = 2, 3, 4 at each iteration number.
      const stationCount = series.get(stations.id)!.reduce((sum, row) => sum + row.count, 0);
      assert.equal(stationCount, stations.progress.iteration);
    },
    'aimodel-scores-by-k': async () => {
      const rows = await panel('aimodel-scores-by-k');
      assert.deepEqual(
        rows.map((row) => row.keys['3']),
        [2, 3, 4],
      );
      for (const row of rows) {
        const score = stations.kSelection!.scores.find((entry) => entry.k === row.keys['3'])!;
        const silhouette = row.metrics['1'] as number;
        assert.ok(silhouette > -1 && silhouette <= 1, `silhouette ${silhouette} in (-1, 1]`);
        assert.equal(silhouette, score.silhouette);
        assert.ok((row.metrics['2'] as number) > 0, 'Davies–Bouldin is positive');
        assert.equal(row.metrics['2'], score.daviesBouldin);
        assert.equal(row.count, 1);
      }
    },
    'aimodel-cluster-sizes': async () => {
      const rows = await panel('aimodel-cluster-sizes', [`trace.id:"${iris.id}"`]);
      assert.deepEqual(
        rows.map((row) => row.keys['2']),
        [0, 1, 2],
      );
      assert.deepEqual(
        rows.map((row) => row.metrics['1']),
        iris.clusterSizes,
      );
      assert.equal(
        rows.reduce((sum, row) => sum + (row.metrics['1'] as number), 0),
        150,
      );
      // Unfiltered, the panel adds up both runs' clusters.
      const all = await panel('aimodel-cluster-sizes');
      const clustered = [...iris.clusterSizes!, ...stations.clusterSizes!].reduce((sum, size) => sum + size, 0);
      assert.equal(
        all.reduce((sum, row) => sum + (row.metrics['1'] as number), 0),
        clustered,
      );
    },
    'aimodel-runs-over-time': async () => {
      const rows = await panel('aimodel-runs-over-time');
      const byStatus = new Map<string, number>();
      for (const row of rows) byStatus.set(String(row.keys['3']), (byStatus.get(String(row.keys['3'])) ?? 0) + (row.metrics['1'] as number));
      // The refused startModelRun created no run.
      assert.deepEqual(Object.fromEntries(byStatus), { SUCCEEDED: 2 });
      for (const row of rows) assert.equal(typeof row.keys['2'], 'number', 'date_histogram keys are epoch ms');
    },
    'aimodel-run-duration': async () => {
      const rows = await panel('aimodel-run-duration');
      const durations = [iris.durationMs!, stations.durationMs!];
      assert.equal(
        rows.reduce((sum, row) => sum + row.count, 0),
        2,
      );
      const weighted = rows.reduce((sum, row) => sum + (row.metrics['1'] as number) * row.count, 0) / 2;
      assert.ok(Math.abs(weighted - (durations[0]! + durations[1]!) / 2) < 1e-9, 'the average duration of the runs');
      for (const row of rows) {
        assert.ok((row.metrics['1'] as number) > 0, 'average duration > 0');
        assert.ok((row.metrics['2'] as number) >= (row.metrics['1'] as number), 'longest ≥ average');
      }
      assert.equal(Math.max(...rows.map((row) => row.metrics['2'] as number)), Math.max(...durations));
    },
    'aimodel-graphql-latency-errors': async () => {
      const rows = await panel('aimodel-graphql-latency-errors');
      const byOutcome = new Map<string, number>();
      for (const row of rows) {
        byOutcome.set(String(row.keys['5']), (byOutcome.get(String(row.keys['5'])) ?? 0) + (row.metrics['3'] as number));
        assert.ok((row.metrics['1'] as number) >= 0, 'average latency');
        const p95 = (row.metrics['2'] as Record<string, number | null>)['95.0'];
        assert.ok(typeof p95 === 'number' && p95 >= 0, `95th percentile: ${JSON.stringify(row.metrics['2'])}`);
      }
      assert.deepEqual([...byOutcome.keys()].sort(), ['failure', 'success']);
      assert.equal(byOutcome.get('failure'), 1, 'the refused startModelRun');
      assert.equal(byOutcome.get('success'), operationsSent - 1);
      const failed = await client.search({
        index: targets.stream,
        query: { bool: { filter: [{ term: { 'event.action': 'graphql-operation' } }, { term: { 'event.outcome': 'failure' } }] } },
      });
      const source = failed.hits.hits[0]?._source as { aimodel: { graphql: { operation_name: string; error_codes: string[] } } };
      assert.deepEqual(source.aimodel.graphql, { ...source.aimodel.graphql, operation_name: 'TraceStartRun', error_codes: ['BAD_USER_INPUT'] });
    },
  };

  for (const definition of PANELS) {
    test(`panel "${definition.title}" (${definition.id}): its search runs on the data view and its buckets match the runs`, async () => {
      const check = checks[definition.id];
      assert.ok(check, `no expectations written for panel ${definition.id}: add them to this test`);
      const rows = await panel(definition.id);
      assert.ok(rows.length > 0, 'the panel is not empty');
      await check();
    });
  }
});
