/**
 * The modeling trace end to end on a real search engine: `npm run elastic:setup` (the compiled CLI)
 * puts the templates and the runs index in place, the server records two k-means runs and the GraphQL
 * operations it served, and the test reads back what the engine holds: the data stream and its
 * mapping (exactly the template's fields), every document of every run, the run summaries, the
 * graphql-operation documents, and ModelRun.trace paging through them.
 *
 * The engine is OpenSearch 2.19 behind test/support/elastic-proxy.ts (the server's official
 * Elasticsearch 8 client talks to it through that proxy's URL, and nothing else of the proxy reaches
 * the server). OpenSearch has no ILM, so ELASTICSEARCH_ILM=false throughout.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Client } from '@elastic/elasticsearch';
import { DatasetTableRepository } from '../../../src/modules/dataset/dataset-table.repository';
import { ECS_VERSION } from '../../../src/telemetry/trace-document';
import { ecsComponent, ECS_COMPONENT, modelComponent, MODEL_COMPONENT, RUNS_TEMPLATE, TRACE_TEMPLATE } from '../../../src/telemetry/templates';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { searchEngineUrl } from '../../support/search-engine';
import {
  byAction,
  CountingClient,
  dataOf,
  engineClient,
  expectedRunDocumentCount,
  mappedFields,
  pollUntil,
  removeTraceTargets,
  runDocuments,
  searchAll,
  setUpTargets,
  sourceFields,
  traceCounters,
  traceEnv,
  TraceRunTrace,
  traceTargets,
  waitForRunDocuments,
  type RunResult,
  type StoredDocument,
  type TraceEventNode,
} from '../../support/trace-engine';
import { traceSource, type TraceSource } from './trace-source';

const run = promisify(execFile);
interface TracePage {
  modelRun: {
    trace: {
      totalCount: number;
      edges: { cursor: string; node: TraceEventNode }[];
      pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
    };
  } | null;
}
const CLI = path.resolve(__dirname, '../../../src/cli/elastic-setup.js');
const targets = traceTargets('documents');

/** The fields the two component templates map, with their types. */
function templateFields(): Map<string, string> {
  return new Map([...mappedFields(ecsComponent.template.mappings.properties), ...mappedFields(modelComponent.template.mappings.properties)]);
}

describe('trace templates and documents on the search engine', () => {
  let engineUrl: string;
  let client: Client;
  let server: TestServer;
  let graphql: CountingClient;
  let iris: RunResult;
  let stations: RunResult;
  let setupOutput: string[] = [];

  before(async () => {
    engineUrl = await searchEngineUrl();
    client = await engineClient();
    // `npm run elastic:setup` is `node dist/src/cli/elastic-setup.js`; run it twice (it must be idempotent).
    const env = { ...process.env, ...traceEnv(engineUrl, targets), DATA_DIR: targets.traceDir };
    const setup = async () => {
      setupOutput = [(await run(process.execPath, [CLI], { env })).stdout];
    };
    // The data stream is not created here: it must appear with the server's first document.
    await setUpTargets(client, targets, setup, { createStream: false });
    setupOutput.push((await run(process.execPath, [CLI], { env })).stdout);

    server = await startTestServer(traceEnv(engineUrl, targets));
    graphql = new CountingClient(server);
    const irisId = await graphql.startRun({ datasetId: 'demo-iris', k: 3, seed: 42 });
    const stationsId = await graphql.startRun({ datasetId: 'demo-station-readings', kRange: { min: 2, max: 4 }, seed: 7 });
    iris = await graphql.succeeded(irisId);
    stations = await graphql.succeeded(stationsId);

    // Flush: nothing queued in the server, and the engine holds every document of both runs and of
    // every operation sent so far (no GraphQL is sent while waiting, so that number stands still).
    await pollUntil(
      () => traceCounters(server),
      (counters) => counters.queued === 0,
      'the trace queue emptying',
    );
    await waitForRunDocuments(client, targets, [iris, stations]);
    const operations = graphql.total();
    await pollUntil(
      async () => {
        await client.indices.refresh({ index: targets.stream });
        return (await client.count({ index: targets.stream, query: { term: { 'event.action': 'graphql-operation' } } })).count;
      },
      (count) => count >= operations,
      `the engine holding the ${operations} graphql-operation documents`,
    );
    await client.indices.refresh({ index: [targets.stream, targets.runsIndex] });
  });

  after(async () => {
    await server?.stop();
    if (client) {
      await removeTraceTargets(client, targets);
      await client.close();
    }
  });

  test('elastic:setup creates the component templates, the index templates and the runs index, and a second run changes nothing it must not', async () => {
    assert.match(setupOutput[0]!, new RegExp(`component templates ${ECS_COMPONENT}, ${MODEL_COMPONENT}`));
    assert.match(setupOutput[0]!, new RegExp(`index templates ${TRACE_TEMPLATE}, ${RUNS_TEMPLATE}`));
    assert.match(setupOutput[0]!, new RegExp(`index ${targets.runsIndex}\\n`));
    assert.doesNotMatch(setupOutput[0]!, /ILM/, 'ELASTICSEARCH_ILM=false: no policy');
    // The runs index exists after the first run, so the second one does not create it again.
    assert.doesNotMatch(setupOutput[1]!, new RegExp(`index ${targets.runsIndex}\\n`));

    const byName = new Map<string, unknown>();
    for (const name of [ECS_COMPONENT, MODEL_COMPONENT]) {
      const [stored] = (await client.cluster.getComponentTemplate({ name })).component_templates;
      byName.set(name, stored?.component_template.template.mappings);
    }
    assert.deepEqual(
      mappedFields((byName.get(ECS_COMPONENT) as { properties?: never })?.properties),
      mappedFields(ecsComponent.template.mappings.properties as never),
    );
    assert.deepEqual(
      mappedFields((byName.get(MODEL_COMPONENT) as { properties?: never })?.properties),
      mappedFields(modelComponent.template.mappings.properties as never),
    );

    const template = (await client.indices.getIndexTemplate({ name: TRACE_TEMPLATE })).index_templates[0]!.index_template;
    assert.deepEqual(template.index_patterns, ['logs-aimodel.trace-*']);
    assert.deepEqual(template.composed_of, [ECS_COMPONENT, MODEL_COMPONENT]);
    assert.ok(template.data_stream, 'the trace template makes data streams');

    assert.equal(await client.indices.exists({ index: targets.runsIndex }), true);
  });

  test('the trace data stream exists with a backing index, created from the trace template by the first document', async () => {
    const { data_streams: streams } = await client.indices.getDataStream({ name: targets.stream });
    assert.equal(streams.length, 1);
    assert.equal(streams[0]!.name, targets.stream);
    assert.equal(streams[0]!.template, TRACE_TEMPLATE);
    assert.ok(streams[0]!.indices.length >= 1);
    assert.match(streams[0]!.indices[0]!.index_name, /^\.ds-/);
  });

  test('the live mapping of the data stream has the template types and no field the template does not map (labels.* come from its dynamic template)', async () => {
    const mappings = await client.indices.getMapping({ index: targets.stream });
    const expected = templateFields();
    for (const [index, { mappings: mapping }] of Object.entries(mappings)) {
      const live = mappedFields(mapping.properties);
      for (const [field, type] of Object.entries({
        '@timestamp': 'date',
        'aimodel.iteration.inertia': 'double',
        'aimodel.iteration.number': 'integer',
        'aimodel.run.id': 'keyword',
        'aimodel.run.duration_ms': 'long',
        'aimodel.score.silhouette': 'double',
        'aimodel.cluster.size': 'long',
        'aimodel.graphql.duration_ms': 'double',
        'event.duration': 'long',
        'event.action': 'keyword',
        'trace.id': 'keyword',
      })) {
        assert.equal(live.get(field), type, `${index}: ${field}`);
      }
      const outside = [...live.keys()].filter((field) => !expected.has(field));
      const unexpected = outside.filter((field) => !field.startsWith('labels.'));
      assert.deepEqual(unexpected, [], `${index}: fields mapped outside the template`);
      for (const label of outside) assert.equal(live.get(label), 'keyword', `${index}: ${label} (labels_as_keywords)`);
      assert.deepEqual(outside.sort(), ['labels.dataset_id', 'labels.dataset_name', 'labels.request_id', 'labels.run_id']);
      // Everything the template maps is there, with the template's type.
      for (const [field, type] of expected) if (field !== 'labels') assert.equal(live.get(field), type, `${index}: ${field}`);
    }
  });

  test('every field the server wrote into the trace and the runs index is a mapped field (nothing is silently unindexed under aimodel)', async () => {
    const documents = await searchAll(client, targets.stream);
    const runs = await searchAll(client, targets.runsIndex);
    for (const [target, stored] of [
      [targets.stream, documents],
      [targets.runsIndex, runs],
    ] as const) {
      const mappings = await client.indices.getMapping({ index: target });
      const live = new Set<string>();
      for (const { mappings: mapping } of Object.values(mappings)) for (const field of mappedFields(mapping.properties).keys()) live.add(field);
      const written = new Set<string>();
      for (const document of stored) sourceFields(document._source, '', written);
      assert.deepEqual([...written].filter((field) => !live.has(field)).sort(), [], `${target}: written but not mapped`);
    }
  });

  for (const which of ['iris k=3', 'station_readings kRange 2..4'] as const) {
    test(`the ${which} run: run-started, preparation, one iteration document per recorded iteration, run-succeeded with a duration, cluster sizes summing to the clustered rows, outcomes-published`, async () => {
      const result = which === 'iris k=3' ? iris : stations;
      const documents = await runDocuments(client, targets, result.id);
      const actions = byAction(documents);
      assert.equal(new Set(documents.map((document) => document._id)).size, documents.length, 'no _id twice');
      assert.equal(documents.length, expectedRunDocumentCount(result));
      for (const source of documents.map((document) => traceSource(document._source))) {
        assert.equal(source.trace?.id, result.id);
        assert.equal(source.labels?.run_id, result.id);
        assert.equal(source.event.kind, 'event');
        assert.ok(!Number.isNaN(Date.parse(source['@timestamp'])));
      }

      const started = only(actions, 'run-started');
      assert.deepEqual(started.event.type, ['start']);
      assert.equal(started.aimodel.run?.id, result.id);
      assert.deepEqual(Object.keys(started.aimodel), ['run'], 'run-started has no input profile');

      const preparation = only(actions, 'preparation');
      const { rows_read: rowsRead, rows_dropped: rowsDropped } = preparation.aimodel.preparation!;
      assert.equal(rowsRead, which === 'iris k=3' ? 150 : 20_000);
      assert.ok(preparation.event.duration! >= 0);
      // The input profile the run computed over every row it read: what the database's own aggregates give.
      const featureColumns = started.aimodel.run.feature_columns!;
      const profile = await new DatasetTableRepository(server.app.datastore).profile(started.aimodel.run.table!, featureColumns);
      const features = preparation.aimodel.input!.features;
      assert.deepEqual(
        features.map((feature) => feature.column),
        featureColumns,
      );
      if (which !== 'iris k=3')
        assert.ok(
          features.some((feature) => feature.nulls > 0),
          'station_readings has NULLs',
        );
      for (const [index, feature] of features.entries()) {
        const expected = profile[index]!;
        assert.deepEqual(
          { column: feature.column, count: feature.count, nulls: feature.nulls, min: feature.min, max: feature.max },
          { column: expected.column, count: expected.count, nulls: expected.nulls, min: expected.min, max: expected.max },
        );
        assert.ok(relativeDifference(feature.mean, expected.mean!) <= 1e-9, `${feature.column} mean ${feature.mean} vs ${expected.mean}`);
        assert.ok(relativeDifference(feature.stddev, expected.stddev!) <= 1e-9, `${feature.column} stddev ${feature.stddev} vs ${expected.stddev}`);
      }

      const iterations = actions.get('iteration') ?? [];
      assert.ok(result.iterations && result.iterations.length > 0);
      assert.equal(iterations.length, result.progress.iteration, 'every iteration the run went through');
      assert.equal(iterations.length, result.iterations.length, 'as many as ModelRun.iterations records');
      const key = (k: number, restart: number, number: number) => `${k}/${restart}/${number}`;
      const stored = new Map(
        iterations.map((document) => {
          const iteration = traceSource(document._source).aimodel.iteration!;
          return [key(iteration.k, iteration.restart, iteration.number), iteration.inertia];
        }),
      );
      assert.deepEqual([...stored.keys()].sort(), result.iterations.map((iteration) => key(iteration.k, iteration.restart, iteration.iteration)).sort());
      for (const iteration of result.iterations) assert.equal(stored.get(key(iteration.k, iteration.restart, iteration.iteration)), iteration.inertia);

      const evaluated = actions.get('k-evaluated') ?? [];
      if (which === 'iris k=3') assert.equal(evaluated.length, 0);
      else {
        assert.deepEqual(evaluated.map((document) => traceSource(document._source).aimodel.score?.k).sort(), [2, 3, 4]);
        for (const document of evaluated) {
          const recorded = traceSource(document._source).aimodel.score!;
          const score = result.kSelection!.scores.find((entry) => entry.k === recorded.k)!;
          assert.equal(recorded.silhouette, score.silhouette);
          assert.equal(recorded.davies_bouldin, score.daviesBouldin);
        }
      }

      const succeeded = only(actions, 'run-succeeded');
      assert.deepEqual(succeeded.event.type, ['end']);
      assert.equal(succeeded.event.outcome, 'success');
      assert.ok(result.durationMs !== null);
      assert.equal(succeeded.event.duration, result.durationMs * 1_000_000, 'event.duration in nanoseconds');
      assert.equal(succeeded.aimodel.run?.status, 'SUCCEEDED');
      assert.equal(succeeded.aimodel.metrics?.chosen_k, which === 'iris k=3' ? 3 : result.kSelection!.chosenK);
      assert.equal(succeeded.aimodel.metrics?.inertia, result.metrics!.inertia);

      const clusters = actions.get('cluster') ?? [];
      assert.equal(clusters.length, result.clusterSizes!.length);
      assert.deepEqual(
        clusters
          .map((document) => traceSource(document._source).aimodel.cluster!)
          .sort((a, b) => a.id - b.id)
          .map((cluster) => cluster.size),
        result.clusterSizes,
      );
      const clustered = clusters.reduce((sum, document) => sum + traceSource(document._source).aimodel.cluster!.size, 0);
      assert.equal(clustered, rowsRead - rowsDropped, 'cluster sizes sum to the clustered rows');

      const published = only(actions, 'outcomes-published');
      assert.equal(published.aimodel.outcomes?.rows, clustered);
      assert.equal(published.event.outcome, 'success');

      assert.deepEqual(
        [...actions.keys()].sort(),
        [
          'cluster',
          'iteration',
          ...(which === 'iris k=3' ? [] : ['k-evaluated']),
          'outcomes-published',
          'preparation',
          'run-claimed',
          'run-started',
          'run-succeeded',
        ].sort(),
      );
    });
  }

  test('the runs index holds one summary document per run, SUCCEEDED, with its duration', async () => {
    const summaries = await searchAll(client, targets.runsIndex);
    assert.deepEqual(summaries.map((summary) => summary._id).sort(), [iris.id, stations.id].sort());
    for (const result of [iris, stations]) {
      const summary = traceSource(summaries.find((document) => document._id === result.id)!._source);
      assert.equal(summary.event.action, 'run-summary');
      assert.equal(summary.aimodel.run?.status, 'SUCCEEDED');
      assert.equal(summary.event.outcome, 'success');
      assert.equal(summary.aimodel.run?.duration_ms, result.durationMs);
      assert.equal(summary.trace?.id, result.id);
      assert.equal(summary.aimodel.metrics?.inertia, result.metrics!.inertia);
    }
  });

  test('every document in the trace stream and the runs index, run events, run summaries and GraphQL operations alike, carries ecs.version', async () => {
    const stored = [...(await searchAll(client, targets.stream)), ...(await searchAll(client, targets.runsIndex))];
    const actions = new Set(stored.map((document) => traceSource(document._source).event.action));
    for (const action of ['run-started', 'iteration', 'k-evaluated', 'run-succeeded', 'cluster', 'run-summary', 'graphql-operation']) {
      assert.ok(actions.has(action), `a ${action} document was read back`);
    }
    const versions = new Map<string, number>();
    for (const document of stored) {
      const version = String((document._source as { ecs?: { version?: unknown } }).ecs?.version);
      versions.set(version, (versions.get(version) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(versions), { [ECS_VERSION]: stored.length });
  });

  test('one graphql-operation document per operation sent, by operation name and outcome, without query text or variables', async () => {
    const sent = new Map(graphql.sent);
    const documents = await searchAll(client, targets.stream, { term: { 'event.action': 'graphql-operation' } });
    const seen = new Map<string, { success: number; failure: number }>();
    for (const source of documents.map((document) => traceSource(document._source))) {
      const { operation_name: name, operation_type: type, error_codes: codes, duration_ms: durationMs } = source.aimodel.graphql!;
      const entry = seen.get(name) ?? { success: 0, failure: 0 };
      entry[source.event.outcome as 'success' | 'failure'] += 1;
      seen.set(name, entry);
      assert.equal(type, name === 'TraceStartRun' ? 'mutation' : 'query');
      assert.deepEqual(codes, []);
      assert.ok(durationMs >= 0);
      assert.ok(source.event.duration! >= 0);
      assert.equal(source.http!.request.id, source.labels!.request_id);
      const text = JSON.stringify(source);
      assert.doesNotMatch(text, /demo-iris|demo-station-readings|startModelRun\(|modelRun\(/, 'no variables, no query text');
    }
    assert.deepEqual(Object.fromEntries([...seen].sort()), Object.fromEntries([...sent].sort()));
    assert.ok((sent.get('TraceStartRun')?.success ?? 0) === 2);
  });

  test('ModelRun.trace pages through the run’s documents oldest first, and filters them by action', async () => {
    const stored = await runDocuments(client, targets, iris.id);
    const nodes: TraceEventNode[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: TracePage = dataOf(await server.graphql(TraceRunTrace, { id: iris.id, actions: null, first: 7, after }), 'ModelRun.trace');
      const connection = page.modelRun!.trace;
      assert.equal(connection.pageInfo.hasPreviousPage, pages > 0);
      assert.equal(connection.totalCount, stored.length, 'totalCount: the engine’s count of the run’s documents');
      assert.ok(connection.edges.length <= 7);
      nodes.push(...connection.edges.map((edge) => edge.node));
      pages += 1;
      if (!connection.pageInfo.hasNextPage) break;
      assert.equal(connection.edges.length, 7);
      after = connection.pageInfo.endCursor;
    }
    assert.equal(pages, Math.ceil(stored.length / 7));
    assert.equal(new Set(nodes.map((node) => node.id)).size, nodes.length, 'no document on two pages');
    assert.deepEqual(nodes.map((node) => node.id).sort(), stored.map((document) => document._id).sort());
    for (let index = 1; index < nodes.length; index += 1) assert.ok(nodes[index - 1]!.timestamp <= nodes[index]!.timestamp, 'oldest first');
    for (const node of nodes) {
      const source = traceSource(stored.find((entry) => entry._id === node.id)!._source);
      assert.equal(node.action, source.event.action.replace(/-/g, '_').toUpperCase());
      assert.equal(traceSource(node.document).trace?.id, iris.id);
      assert.deepEqual(node.document.aimodel, source.aimodel);
    }
    const succeeded = nodes.find((node) => node.action === 'RUN_SUCCEEDED')!;
    assert.equal(succeeded.durationNs, iris.durationMs! * 1_000_000);
    assert.equal(succeeded.durationMs, iris.durationMs);
    assert.equal(succeeded.outcome, 'SUCCESS');

    const filtered = dataOf(
      await server.graphql(TraceRunTrace, { id: stations.id, actions: ['K_EVALUATED', 'RUN_SUCCEEDED'], first: 50, after: null }),
      'filtered trace',
    );
    const edges = filtered.modelRun!.trace.edges;
    assert.deepEqual(edges.map((edge) => edge.node.action).sort(), ['K_EVALUATED', 'K_EVALUATED', 'K_EVALUATED', 'RUN_SUCCEEDED']);
    assert.equal(filtered.modelRun!.trace.pageInfo.hasNextPage, false);
    assert.equal(filtered.modelRun!.trace.totalCount, 4);
  });
});

function relativeDifference(actual: number, expected: number): number {
  return actual === expected ? 0 : Math.abs(actual - expected) / Math.max(Math.abs(actual), Math.abs(expected));
}

/** The source of the one document of `action`. */
function only(actions: Map<string, StoredDocument[]>, action: string): TraceSource {
  const documents = actions.get(action) ?? [];
  assert.equal(documents.length, 1, `exactly one ${action} document, got ${documents.length}`);
  return traceSource(documents[0]!._source);
}
