import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import { setupElasticsearch } from '../../../src/telemetry/setup';
import type { TraceDocument } from '../../../src/telemetry/trace-document';
import {
  ECS_COMPONENT,
  ecsComponent,
  ILM_POLICY,
  MODEL_COMPONENT,
  modelComponent,
  RUNS_TEMPLATE,
  runsIndexTemplate,
  TRACE_TEMPLATE,
  traceIndexTemplate,
} from '../../../src/telemetry/templates';
import { everyTracePluginDocument } from '../plugins/trace/trace-plugin-server';
import { everyRunTracerDocument, traceOptions } from './fixtures';
import { leaves, mappingOf, NUMERIC_TYPES, WHOLE_NUMBER_TYPES } from './mappings';
import { TRACE_ACTIONS } from '../../../src/telemetry/trace-actions';

const CHECKED_NAMESPACES = ['aimodel', 'event', 'trace', 'service', 'labels', 'error', 'http', 'ecs'];

/** What a mapped type accepts from JSON (null is always accepted: it is simply not indexed). */
function accepts(type: string, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (NUMERIC_TYPES.has(type)) return typeof value === 'number' && Number.isFinite(value) && (!WHOLE_NUMBER_TYPES.has(type) || Number.isInteger(value));
  if (type === 'boolean') return typeof value === 'boolean';
  if (type === 'date') return typeof value === 'string' && !Number.isNaN(Date.parse(value));
  if (type === 'keyword' || type === 'text' || type === 'match_only_text') return typeof value === 'string';
  return false;
}

async function everyDocument(): Promise<TraceDocument[]> {
  return [...everyRunTracerDocument(), ...(await everyTracePluginDocument())];
}

describe('trace templates', () => {
  it('every field RunTracer and the GraphQL trace plugin write is mapped, with a type that accepts its value', async () => {
    const documents = await everyDocument();
    const actions = new Set(documents.map((document) => document.event.action));
    for (const action of Object.keys(TRACE_ACTIONS)) {
      assert.ok(actions.has(action as TraceDocument['event']['action']), `the sample covers ${action}`);
    }
    const problems = new Set<string>();
    const checked = new Set<string>();
    for (const document of documents) {
      // What is sent: the sink strips _id and _target (bulk metadata) and JSON drops undefined.
      const { _id: _ignoredId, _target: _ignoredTarget, ...body } = JSON.parse(JSON.stringify(document)) as TraceDocument;
      for (const { path, value } of leaves(body)) {
        const namespace = path.split('.')[0]!;
        if (!CHECKED_NAMESPACES.includes(namespace) && namespace !== '@timestamp' && namespace !== 'message') {
          problems.add(`${path}: namespace ${namespace} is not one the documents may use`);
          continue;
        }
        checked.add(path);
        const mapping = mappingOf(path);
        if (!mapping?.type) problems.add(`${path} (${document.event.action}) is not mapped`);
        else if (!accepts(mapping.type, value)) problems.add(`${path} (${document.event.action}) is mapped ${mapping.type} but gets ${JSON.stringify(value)}`);
      }
    }
    assert.deepEqual([...problems], []);
    // The walk reached deep into arrays of objects.
    for (const path of [
      'aimodel.centroids.original',
      'aimodel.input.features.column',
      'aimodel.iteration.cluster_sizes',
      'aimodel.graphql.error_codes',
      'event.category',
      'labels.run_id',
    ]) {
      assert.ok(checked.has(path), `${path} was checked`);
    }
  });

  it('the aimodel object is not dynamic, so a key nobody mapped never becomes a mapping', () => {
    const aimodel = modelComponent.template.mappings.properties.aimodel;
    assert.equal(aimodel.type, 'object');
    assert.equal(aimodel.dynamic, false);
    assert.equal(mappingOf('aimodel.iteration.k_3_inertia'), undefined);
  });

  it('labels.* are mapped as keywords by the dynamic template', () => {
    assert.equal(mappingOf('labels.anything')?.type, 'keyword');
    assert.equal(ecsComponent.template.mappings.properties.labels.type, 'object');
  });

  it('the trace index template makes a data stream above the built-in logs template, composed of both components', () => {
    for (const ilm of [true, false]) {
      const template = traceIndexTemplate(traceOptions('/tmp/unused', { ilm }), ilm);
      assert.deepEqual(template.data_stream, {});
      assert.equal(template.priority, 200);
      assert.deepEqual(template.composed_of, [ECS_COMPONENT, MODEL_COMPONENT]);
      assert.deepEqual(template.index_patterns, ['logs-aimodel.trace-*']);
    }
  });

  it('the index pattern comes from ELASTICSEARCH_TRACE_STREAM: its namespace becomes *', () => {
    assert.deepEqual(traceIndexTemplate(traceOptions('/tmp/unused', { eventsTarget: 'logs-aimodel.trace-default' }), true).index_patterns, [
      'logs-aimodel.trace-*',
    ]);
    assert.deepEqual(traceIndexTemplate(traceOptions('/tmp/unused', { eventsTarget: 'logs-other.stream-prod' }), true).index_patterns, ['logs-other.stream-*']);
  });

  it('the runs index template covers the runs index with the same components', () => {
    const template = runsIndexTemplate(traceOptions('/tmp/unused', { runsIndex: 'aimodel-runs' }));
    assert.deepEqual(template.index_patterns, ['aimodel-runs*']);
    assert.deepEqual(template.composed_of, [ECS_COMPONENT, MODEL_COMPONENT]);
    assert.equal('data_stream' in template, false);
  });

  for (const ilm of [true, false]) {
    it(`setup with ELASTICSEARCH_ILM=${ilm} ${ilm ? 'creates the ILM policy and names it in' : 'creates no ILM policy and leaves it out of'} the trace template`, async () => {
      const calls: { api: string; body: Record<string, unknown> }[] = [];
      const record = (api: string) => (body: Record<string, unknown>) => {
        calls.push({ api, body });
        return Promise.resolve({ acknowledged: true });
      };
      // The search engine is the edge here: a client that records the requests it would send.
      const client = {
        ilm: { putLifecycle: record('ilm.putLifecycle') },
        cluster: { putComponentTemplate: record('cluster.putComponentTemplate') },
        indices: {
          putIndexTemplate: record('indices.putIndexTemplate'),
          exists: () => Promise.resolve(false),
          create: record('indices.create'),
        },
      } as unknown as Client;
      const options = traceOptions('/tmp/unused', { ilm });
      await setupElasticsearch(client, options);

      assert.equal(
        calls.some((call) => call.api === 'ilm.putLifecycle' && call.body.name === ILM_POLICY),
        ilm,
      );
      const trace = calls.find((call) => call.api === 'indices.putIndexTemplate' && call.body.name === TRACE_TEMPLATE);
      const settings = (trace?.body.template as { settings: Record<string, unknown> }).settings;
      assert.deepEqual(settings, ilm ? { 'index.lifecycle.name': ILM_POLICY } : {});
      assert.ok(calls.some((call) => call.api === 'indices.putIndexTemplate' && call.body.name === RUNS_TEMPLATE));
      assert.deepEqual(
        calls.filter((call) => call.api === 'cluster.putComponentTemplate').map((call) => call.body.name),
        [ECS_COMPONENT, MODEL_COMPONENT],
      );
      assert.ok(calls.some((call) => call.api === 'indices.create' && call.body.index === options.runsIndex));
    });
  }
});
