/**
 * deploy/filebeat.yml against the trace files a real server wrote (the file sink: no
 * ELASTICSEARCH_URL). No Filebeat can run here, so test/support/filebeat.ts applies the file's parser,
 * processors and output routing to every line, and the result is shipped to OpenSearch with the bulk
 * actions Filebeat would send. What is checked: the file has one output; every document kind lands in
 * exactly one intended place, the one the server's own Elasticsearch sink would choose (run summaries
 * in the runs index, replaced in place; the rest in the trace data stream, created once); and what
 * arrives equals what GraphQL reports for the runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import { setupElasticsearch } from '../../../src/telemetry/setup';
import { ECS_VERSION } from '../../../src/telemetry/trace-document';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { globMatches, readFilebeatConfig, ship, type FilebeatConfig, type Shipped } from '../../support/filebeat';
import { searchEngineUrl } from '../../support/search-engine';
import {
  CountingClient,
  dataOf,
  engineClient,
  removeTraceTargets,
  runInput,
  searchAll,
  setUpTargets,
  TraceCancelRun,
  traceOptionsFor,
  TraceStartRun,
  traceTargets,
  type RunResult,
} from '../../support/trace-engine';

// From dist/test/integration/trace to the repository root.
const CONFIG_FILE = path.resolve(__dirname, '../../../../deploy/filebeat.yml');
const targets = traceTargets('filebeat');

interface Line {
  readonly document: { _id: string; _target: 'events' | 'runs'; event: { action: string }; trace?: { id: string }; aimodel?: { run?: { status?: string } } };
  readonly shipped: Shipped;
}

describe('deploy/filebeat.yml on the trace files of a real run', () => {
  let config: FilebeatConfig;
  let client: Client;
  let server: TestServer | undefined;
  let traceDir: string;
  let files: string[];
  let lines: Line[];
  let iris: RunResult;
  let stations: RunResult;

  before(async () => {
    config = readFilebeatConfig(CONFIG_FILE);
    traceDir = mkdtempSync(path.join(tmpdir(), 'aimodel-filebeat-'));
    server = await startTestServer({ TRACE_DIR: traceDir, TRACE_FLUSH_MS: '200' });
    const graphql = new CountingClient(server);
    iris = await graphql.succeeded(await graphql.startRun({ datasetId: 'demo-iris', k: 3, seed: 42 }));
    stations = await graphql.succeeded(await graphql.startRun({ datasetId: 'demo-station-readings', kRange: { min: 2, max: 3 }, seed: 7 }));
    const refused = await graphql.send(TraceStartRun, { input: runInput({ datasetId: 'demo-iris', k: 1 }) });
    assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    dataOf(await graphql.send(TraceCancelRun, { id: iris.id }), 'cancelModelRun');
    // Stopping flushes the trace: the files hold every document.
    await server.stop();
    server = undefined;
    files = readdirSync(traceDir).filter((name) => globMatches(config['filebeat.inputs'][0]!.paths[0]!, name));
    lines = files
      .flatMap((name) => readFileSync(path.join(traceDir, name), 'utf8').split('\n'))
      .filter((line) => line.trim() !== '')
      .map((line) => ({ document: JSON.parse(line) as Line['document'], shipped: ship(config, line) }));

    client = await engineClient();
    const url = await searchEngineUrl();
    await setUpTargets(client, targets, async () => void (await setupElasticsearch(client, traceOptionsFor(url, targets))), { createStream: true });
  });

  after(async () => {
    await server?.stop();
    if (client) {
      await removeTraceTargets(client, targets);
      await client.close();
    }
  });

  test('the file is JSON, hence YAML, with exactly one output, elasticsearch, whose indices rules have conditions', () => {
    assert.deepEqual(
      Object.keys(config).filter((key) => key.startsWith('output.')),
      ['output.elasticsearch'],
    );
    const output = config['output.elasticsearch'];
    assert.equal(output.index, 'logs-aimodel.trace-default');
    assert.deepEqual(
      output.indices.map((rule) => rule.index),
      ['aimodel-runs'],
    );
    assert.equal(config['setup.template.enabled'], false, 'npm run elastic:setup owns the templates');
  });

  test('the input’s glob takes the daily trace files and not the per-run copies under runs/', () => {
    assert.ok(files.length > 0 && files.every((name) => /^trace-\d{4}-\d{2}-\d{2}\.\d+\.ndjson$/.test(name)), files.join(', '));
    assert.ok(readdirSync(path.join(traceDir, 'runs')).length > 0, 'the per-run files exist');
    assert.ok(!globMatches(config['filebeat.inputs'][0]!.paths[0]!, 'runs'), 'the runs folder is not matched');
  });

  test('every document kind goes to exactly one place, the one the server’s own Elasticsearch sink picks: summaries replaced in the runs index, the rest created in the stream', () => {
    const kinds = new Set(lines.map((line) => line.document.event.action));
    for (const action of [
      'run-started',
      'run-claimed',
      'preparation',
      'iteration',
      'k-evaluated',
      'run-succeeded',
      'cluster',
      'run-summary',
      'graphql-operation',
    ]) {
      assert.ok(kinds.has(action), `the files hold ${action} documents`);
    }
    const routes = new Map<string, Set<string>>();
    for (const { document, shipped } of lines) {
      assert.ok(shipped.rulesMatched <= 1, `${document.event.action}: ${shipped.rulesMatched} indices rules match`);
      const expected = document._target === 'runs' ? { index: 'aimodel-runs', action: 'index' } : { index: 'logs-aimodel.trace-default', action: 'create' };
      assert.deepEqual({ index: shipped.index, action: shipped.action }, expected, document.event.action);
      assert.equal(shipped.id, document._id, 'the deterministic _id goes along');
      assert.equal(shipped.source._id, undefined);
      assert.equal(shipped.source._target, undefined, 'the routing field is dropped');
      assert.equal((shipped.source.ecs as { version?: string } | undefined)?.version, ECS_VERSION);
      routes.set(document.event.action, (routes.get(document.event.action) ?? new Set()).add(shipped.index));
    }
    for (const [action, indices] of routes) assert.equal(indices.size, 1, `${action} goes to one index`);
  });

  test('shipped to OpenSearch as Filebeat would, the runs index holds each run’s last summary and the stream each run’s events once', async () => {
    const places = { 'aimodel-runs': targets.runsIndex, 'logs-aimodel.trace-default': targets.stream } as Record<string, string>;
    // Shipped twice, as after a Filebeat restart that re-reads the files: nothing doubles.
    for (let round = 0; round < 2; round += 1) {
      const operations = lines.flatMap(({ shipped }) => [{ [shipped.action]: { _index: places[shipped.index], _id: shipped.id } }, shipped.source]);
      const response = await client.bulk({ operations, refresh: true });
      const failed = response.items.map((item) => Object.values(item)[0]!).filter((item) => item.error && item.status !== 409);
      assert.deepEqual(failed, []);
    }
    for (const run of [iris, stations]) {
      const summaryLines = lines.filter((line) => line.document._target === 'runs' && line.document.trace?.id === run.id);
      assert.ok(summaryLines.length >= 3, 'the run’s summary was written at several steps (so create would keep the first)');
      const [summary, ...others] = await searchAll(client, targets.runsIndex, { term: { 'trace.id': run.id } });
      assert.equal(others.length, 0);
      assert.equal((summary!._source as { aimodel: { run: { status: string } } }).aimodel.run.status, run.status);
      const events = lines.filter((line) => line.document._target === 'events' && line.document.trace?.id === run.id);
      const stored = await searchAll(client, targets.stream, { term: { 'trace.id': run.id } });
      assert.deepEqual(stored.map((document) => document._id).sort(), events.map((line) => line.document._id).sort());
    }
  });
});
