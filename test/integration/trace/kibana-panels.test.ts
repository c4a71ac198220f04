/**
 * Every panel of the "AI modeling" dashboard, run against real trace data, as no Kibana can run here.
 * Aggregation-based visualizations are translated into the search Kibana would send
 * (test/support/kibana-panels.ts); Vega-Lite panels carry their search in the spec, which is run with
 * the dashboard's filters in place of %context% and a time range in place of %timefield%
 * (test/support/kibana-vega.ts), then rendered with vega-lite + vega from its results. Buckets and
 * drawn marks are compared value by value with the runs as GraphQL reads them.
 *
 * The data: the server records an iris run (k=3), a station_readings run (kRange 2..4, two restarts
 * per k) and the GraphQL operations that started, read and cancelled them, one of which fails
 * (startModelRun with k: 1 → BAD_USER_INPUT). The data views are exported with this file's own
 * stream and runs index as their titles, so the panels see this file's data only.
 *
 * The engine is OpenSearch 2.19 behind the test proxy (ELASTICSEARCH_ILM=false: it has no ILM).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import { CONTROLS, PANELS, RUNS_DATA_VIEW_ID, savedObjectsNdjson, TRACE_DATA_VIEW_ID } from '../../../src/telemetry/kibana/saved-objects';
import { VEGA_PANELS } from '../../../src/telemetry/kibana/vega-panels';
import { setupElasticsearch } from '../../../src/telemetry/setup';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { testOutputDirectory } from '../../support/browser';
import { kqlOf, kqlToQuery, panelRequest, panelRows, savedVisualizations, type PanelRow, type SavedVisualization } from '../../support/kibana-panels';
import {
  chartMarks,
  renderVega,
  savedVegaPanels,
  vegaSearch,
  vegaValues,
  type DashboardFilter,
  type DrawnMark,
  type SavedVegaPanel,
} from '../../support/kibana-vega';
import { searchEngineUrl } from '../../support/search-engine';
import {
  CountingClient,
  dataOf,
  engineClient,
  pollUntil,
  removeTraceTargets,
  runInput,
  searchAll,
  setUpTargets,
  TraceCancelRun,
  traceCounters,
  TraceDatasets,
  traceEnv,
  traceOptionsFor,
  TraceStartRun,
  traceTargets,
  waitForRunDocuments,
  type RunResult,
} from '../../support/trace-engine';

const targets = traceTargets('panels');
const KIBANA_URL = 'https://kibana.example:5601';
// The dashboard's time picker: wide around the runs, which happen while this file runs.
const TIME_RANGE = { gte: 'now-1d', lte: 'now+1d' };
const SVG_OUTPUT = testOutputDirectory('kibana-vega-panels');

describe('the Kibana dashboard panels on real trace data', () => {
  let client: Client;
  let server: TestServer;
  let graphql: CountingClient;
  let iris: RunResult;
  let stations: RunResult;
  let datasetNames: Map<string, string>;
  let visualizations: Map<string, SavedVisualization>;
  let vegaPanels: Map<string, SavedVegaPanel>;
  let operationsSent = 0;

  /** Runs one aggregation panel's search (optionally with dashboard-level KQL filters); returns its rows. */
  async function panel(id: string, filters: string[] = []): Promise<PanelRow[]> {
    const visualization = visualizations.get(id);
    assert.ok(visualization, `${id} is in the saved-objects export`);
    const request = panelRequest(visualization, filters);
    const response = await client.search({ index: request.index, ...request.body });
    assert.ok(response.aggregations, `${id}: aggregations in the response`);
    return panelRows(request, response.aggregations);
  }

  /** Runs one Vega panel's search on the dashboard's filters and renders the spec from its results. */
  async function vega(id: string, filters: DashboardFilter[], file: string) {
    const saved = vegaPanels.get(id);
    assert.ok(saved, `${id} is in the saved-objects export`);
    const request = vegaSearch(saved.spec, filters, TIME_RANGE);
    const response = await client.search({ index: request.index, ...request.body });
    const values = vegaValues(saved.spec, response);
    const drawn = await renderVega(saved.spec, values);
    writeFileSync(path.join(SVG_OUTPUT, `${id}-${file}.svg`), drawn.svg);
    return { values, ...drawn };
  }

  /** The filter ModelRun.kibanaUrl opens the dashboard with, read out of the link itself. */
  const linkFilter = (run: RunResult): string => {
    assert.ok(run.kibanaUrl, 'ModelRun.kibanaUrl is set (KIBANA_URL)');
    return kqlOf(run.kibanaUrl).query;
  };

  /** The points of a line mark: [x, y] by the given fields. */
  const points = (mark: DrawnMark, x: string, y: string) => mark.data.map((datum) => [datum[x], datum[y]]);

  before(async () => {
    const url = await searchEngineUrl();
    client = await engineClient();
    const options = traceOptionsFor(url, targets);
    await setUpTargets(client, targets, async () => void (await setupElasticsearch(client, options)), { createStream: true });

    server = await startTestServer(traceEnv(url, targets, { KIBANA_URL }));
    graphql = new CountingClient(server);
    datasetNames = new Map(dataOf(await graphql.send(TraceDatasets), 'datasets').datasets.map((dataset) => [dataset.id, dataset.name]));
    const irisId = await graphql.startRun({ datasetId: 'demo-iris', k: 3, seed: 42 });
    const stationsId = await graphql.startRun({ datasetId: 'demo-station-readings', kRange: { min: 2, max: 4 }, nInit: 2, seed: 7 });
    const refused = await graphql.send(TraceStartRun, { input: runInput({ datasetId: 'demo-iris', k: 1 }) });
    assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    iris = await graphql.succeeded(irisId);
    stations = await graphql.succeeded(stationsId);
    // A finished run is returned unchanged: the operation still names it.
    assert.equal(dataOf(await graphql.send(TraceCancelRun, { id: iris.id }), 'cancelModelRun').cancelModelRun.status, 'SUCCEEDED');

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
    const ndjson = savedObjectsNdjson(targets.stream, targets.runsIndex);
    visualizations = savedVisualizations(ndjson);
    vegaPanels = savedVegaPanels(ndjson);
  });

  after(async () => {
    await server?.stop();
    if (client) {
      await removeTraceTargets(client, targets);
      await client.close();
    }
  });

  test('the export holds every panel; aggregation panels reference their data view, Vega panels search the configured stream', () => {
    assert.deepEqual([...visualizations.keys()].sort(), PANELS.map((definition) => definition.id).sort());
    for (const definition of PANELS) {
      const visualization = visualizations.get(definition.id)!;
      assert.equal(visualization.indexPattern, definition.dataViewId === TRACE_DATA_VIEW_ID ? targets.stream : targets.runsIndex);
      assert.equal(visualization.query, definition.query);
      assert.deepEqual(visualization.aggs, definition.aggs);
    }
    assert.deepEqual(new Set(PANELS.map((definition) => definition.dataViewId)), new Set([TRACE_DATA_VIEW_ID, RUNS_DATA_VIEW_ID]));
    assert.deepEqual([...vegaPanels.keys()].sort(), VEGA_PANELS.map((definition) => definition.id).sort());
    for (const saved of vegaPanels.values()) assert.equal(saved.spec.data.url.index, targets.stream);
  });

  /** What each aggregation panel must show for this data; a panel without an entry here fails the test. */
  const checks: Record<string, () => Promise<void>> = {
    'aimodel-runs-over-time': async () => {
      const rows = await panel('aimodel-runs-over-time');
      const byStatus = new Map<string, number>();
      for (const row of rows) byStatus.set(String(row.keys['3']), (byStatus.get(String(row.keys['3'])) ?? 0) + (row.metrics['1'] as number));
      // The refused startModelRun created no run.
      assert.deepEqual(Object.fromEntries(byStatus), { SUCCEEDED: 2 });
      for (const row of rows) assert.equal(typeof row.keys['2'], 'number', 'date_histogram keys are epoch ms');
      // Filtered on one run as its kibanaUrl does, the run summaries hold that run only.
      const one = await panel('aimodel-runs-over-time', [linkFilter(iris)]);
      assert.equal(
        one.reduce((sum, row) => sum + (row.metrics['1'] as number), 0),
        1,
      );
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

  test("under ModelRun.kibanaUrl's filter, the GraphQL panel counts exactly the operations that started, read and cancelled that run", async () => {
    for (const run of [iris, stations]) {
      const expected = Object.fromEntries([...graphql.sentOnRun.get(run.id)!].sort());
      const rows = await panel('aimodel-graphql-latency-errors', [linkFilter(run)]);
      assert.equal(
        rows.reduce((sum, row) => sum + (row.metrics['3'] as number), 0),
        Object.values(expected).reduce((sum, count) => sum + count, 0),
      );
      const documents = await searchAll(client, targets.stream, {
        bool: { filter: [{ term: { 'event.action': 'graphql-operation' } }, kqlToQuery(linkFilter(run))] },
      });
      const byName = new Map<string, number>();
      for (const document of documents) {
        const name = (document._source as { aimodel: { graphql: { operation_name: string } } }).aimodel.graphql.operation_name;
        byName.set(name, (byName.get(name) ?? 0) + 1);
      }
      assert.deepEqual(Object.fromEntries([...byName].sort()), expected);
    }
    assert.equal(graphql.sentOnRun.get(iris.id)!.get('TraceStartRun'), 1);
    assert.equal(graphql.sentOnRun.get(iris.id)!.get('TraceCancelRun'), 1);
  });

  test('the dataset and run controls list the runs’ dataset names and run ids, chained, and each choice narrows the panels to its runs', async () => {
    assert.deepEqual(
      CONTROLS.map((control) => control.fieldName),
      ['labels.dataset_name', 'labels.run_id'],
    );
    // An options list's choices: the terms of its field under the filters of the controls before it.
    const options = async (field: string, filters: object[]) => {
      const response = await client.search({
        index: targets.stream,
        size: 0,
        query: { bool: { filter: filters } },
        aggs: { options: { terms: { field, size: 100, order: { _key: 'asc' } } } },
      });
      return (response.aggregations!.options as { buckets: { key: string }[] }).buckets.map((bucket) => bucket.key);
    };
    const irisName = datasetNames.get('demo-iris')!;
    const stationsName = datasetNames.get('demo-station-readings')!;
    assert.deepEqual(await options('labels.dataset_name', []), [irisName, stationsName].sort());
    assert.deepEqual(await options('labels.run_id', []), [iris.id, stations.id].sort());
    // A control's choice is a phrase filter on its field.
    const chosen = { match_phrase: { 'labels.dataset_name': stationsName } };
    assert.deepEqual(await options('labels.run_id', [chosen]), [stations.id]);
    const { values } = await vega('aimodel-cluster-sizes', [chosen], 'dataset-control');
    assert.deepEqual(
      values.map((bucket) => bucket.key),
      [stations.id],
    );
  });

  test('Elbow: filtered on the kRange run, the search returns its inertia for k = 2, 3, 4 and the chart draws one line through them', async () => {
    const { values, marks } = await vega('aimodel-elbow', [linkFilter(stations)], 'one-run');
    const scores = stations.kSelection!.scores;
    assert.deepEqual(
      values.map((bucket) => bucket.key),
      [stations.id],
    );
    const buckets = (values[0]!.k as { buckets: { key: number; inertia: { value: number } }[] }).buckets;
    assert.deepEqual(
      buckets.map((bucket) => [bucket.key, bucket.inertia.value]),
      scores.map((score) => [score.k, score.inertia]),
    );
    const lines = chartMarks(marks, 'line');
    assert.equal(lines.length, 1, 'one line: one run');
    assert.deepEqual(
      points(lines[0]!, 'k', 'inertia'),
      scores.map((score) => [score.k, score.inertia]),
    );
    // The fixed-k run tried one k and evaluated none: filtered on it, nothing is drawn.
    const fixed = await vega('aimodel-elbow', [linkFilter(iris)], 'fixed-k-run');
    assert.deepEqual(fixed.values, []);
  });

  test('Scores by k: silhouette, Davies–Bouldin and Calinski–Harabasz of every k, one line each, equal to the run’s kSelection scores', async () => {
    const { values, marks } = await vega('aimodel-scores-by-k', [linkFilter(stations)], 'one-run');
    const scores = stations.kSelection!.scores;
    const buckets = (
      values[0]!.k as { buckets: { key: number; silhouette: { value: number }; davies_bouldin: { value: number }; calinski_harabasz: { value: number } }[] }
    ).buckets;
    assert.deepEqual(
      buckets.map((bucket) => [bucket.key, bucket.silhouette.value, bucket.davies_bouldin.value, bucket.calinski_harabasz.value]),
      scores.map((score) => [score.k, score.silhouette, score.daviesBouldin, score.calinskiHarabasz]),
    );
    const lines = chartMarks(marks, 'line');
    assert.equal(lines.length, 3, 'a line per score');
    const byScore = new Map(lines.map((line) => [String(line.data[0]!.score), points(line, 'k', 'value')]));
    assert.deepEqual(
      byScore.get('Silhouette'),
      scores.map((score) => [score.k, score.silhouette]),
    );
    assert.deepEqual(
      byScore.get('Davies–Bouldin'),
      scores.map((score) => [score.k, score.daviesBouldin]),
    );
    assert.deepEqual(
      byScore.get('Calinski–Harabasz'),
      scores.map((score) => [score.k, score.calinskiHarabasz]),
    );
  });

  test('Inertia by iteration: one line per k and restart, each the inertia of that restart’s iterations in order, nothing averaged', async () => {
    const { marks } = await vega('aimodel-inertia-by-iteration', [linkFilter(stations)], 'one-run');
    const expected = new Map<string, [number, number][]>();
    for (const iteration of stations.iterations!) {
      const key = `k=${iteration.k} restart=${iteration.restart}`;
      expected.set(key, [...(expected.get(key) ?? []), [iteration.iteration, iteration.inertia]]);
    }
    assert.equal(expected.size, 3 * 2, '3 k × 2 restarts in the run');
    const lines = chartMarks(marks, 'line');
    const drawn = new Map(lines.map((line) => [`k=${String(line.data[0]!.k)} restart=${String(line.data[0]!.restart)}`, points(line, 'iteration', 'inertia')]));
    assert.equal(lines.length, expected.size, 'one line per k × restart');
    assert.deepEqual(Object.fromEntries([...drawn].sort()), Object.fromEntries([...expected].sort()));
    // Unfiltered, the other run adds its own line (k=3, one restart) instead of being averaged in.
    const all = await vega('aimodel-inertia-by-iteration', [], 'all-runs');
    assert.equal(chartMarks(all.marks, 'line').length, expected.size + 1);
  });

  test('Cluster sizes: filtered on a run, k bars whose heights are the run’s cluster sizes', async () => {
    for (const run of [iris, stations]) {
      const { marks } = await vega('aimodel-cluster-sizes', [linkFilter(run)], run === iris ? 'iris' : 'stations');
      const [bars, ...others] = chartMarks(marks, 'rect');
      assert.equal(others.length, 0);
      assert.equal(bars!.data.length, run.clusterSizes!.length, 'k bars');
      assert.deepEqual(
        bars!.data.map((datum) => [datum.cluster, datum.entities]),
        run.clusterSizes!.map((size, cluster) => [cluster, size]),
      );
    }
    assert.equal(
      iris.clusterSizes!.reduce((sum, size) => sum + size, 0),
      150,
    );
  });
});
