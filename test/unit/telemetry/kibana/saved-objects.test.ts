import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DASHBOARD_ID } from '../../../../src/telemetry/kibana-link';
import { DEFAULT_TRACE_PATTERN, PANELS, savedObjectsNdjson } from '../../../../src/telemetry/kibana/saved-objects';
import { VEGA_PANELS } from '../../../../src/telemetry/kibana/vega-panels';
import { AGGREGATABLE_TYPES, mappingOf } from '../mappings';

// From dist/test/unit/telemetry to the repository root.
const NDJSON_FILE = path.resolve(__dirname, '../../../../../kibana/saved-objects.ndjson');

interface SavedObject {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: { name: string; type: string; id: string }[];
}

interface Aggregation {
  id: string;
  type: string;
  params: { field?: string };
}

function savedObjects(): SavedObject[] {
  return readFileSync(NDJSON_FILE, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line, index) => {
      try {
        return JSON.parse(line) as SavedObject;
      } catch (error) {
        throw new Error(`kibana/saved-objects.ndjson line ${index + 1} is not JSON: ${String(error)}`, { cause: error });
      }
    });
}

const ofType = (type: string) => savedObjects().filter((object) => object.type === type);

/** The fields a KQL query names (`field:value`, `field >= 0` …). */
function kqlFields(query: string): string[] {
  return [...query.matchAll(/([A-Za-z_@][\w.@]*)\s*(?::|<=|>=|<|>)/g)].map((match) => match[1]!);
}

/** The fields a Vega panel's search names: every `field` value and every key of a term filter. */
function searchFields(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) searchFields(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'field' && typeof value === 'string') found.push(value);
      else if (key === 'term' && value && typeof value === 'object') found.push(...Object.keys(value));
      else searchFields(value, found);
    }
  }
  return found;
}

const isVega = (object: SavedObject) => (JSON.parse(object.attributes.visState as string) as { type: string }).type === 'vega';

function vegaSpec(object: SavedObject): { data: { url: { index: string; body: object } } } {
  const visState = JSON.parse(object.attributes.visState as string) as { params: { spec: string } };
  return JSON.parse(visState.params.spec) as { data: { url: { index: string; body: object } } };
}

function visualizationParts(object: SavedObject): { aggs: Aggregation[]; query: string } {
  const visState = JSON.parse(object.attributes.visState as string) as { aggs: Aggregation[] };
  const meta = object.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string };
  const searchSource = JSON.parse(meta.searchSourceJSON) as { query: { query: string; language: string }; indexRefName: string };
  assert.equal(searchSource.query.language, 'kuery');
  assert.ok(
    object.references.some((reference) => reference.name === searchSource.indexRefName),
    `${object.id}: its indexRefName ${searchSource.indexRefName} is among its references`,
  );
  return { aggs: visState.aggs, query: searchSource.query.query };
}

describe('Kibana saved objects', () => {
  it('the Vega panels search the trace data view’s index pattern, with the dashboard context and its time field', () => {
    const vega = ofType('visualization').filter(isVega);
    assert.deepEqual(vega.map((object) => object.id).sort(), VEGA_PANELS.map((panel) => panel.id).sort());
    for (const object of vega) {
      const url = vegaSpec(object).data.url as unknown as Record<string, unknown>;
      assert.equal(url.index, DEFAULT_TRACE_PATTERN);
      assert.equal(url['%context%'], true);
      assert.equal(url['%timefield%'], '@timestamp');
      assert.equal((url.body as Record<string, unknown>).query, undefined, 'no body query beside %context%');
    }
  });

  it('the dashboard has a dataset and a run control, each referencing the trace data view and a mapped keyword field', () => {
    const [dashboard] = ofType('dashboard');
    const group = dashboard!.attributes.controlGroupInput as { panelsJSON: string; chainingSystem: string };
    assert.equal(group.chainingSystem, 'HIERARCHICAL');
    const controls = JSON.parse(group.panelsJSON) as Record<
      string,
      { order: number; type: string; explicitInput: { fieldName: string; dataViewId: string; title: string } }
    >;
    assert.deepEqual(
      Object.values(controls)
        .sort((a, b) => a.order - b.order)
        .map((control) => [control.type, control.explicitInput.title, control.explicitInput.fieldName]),
      [
        ['optionsListControl', 'Dataset', 'labels.dataset_name'],
        ['optionsListControl', 'Run', 'labels.run_id'],
      ],
    );
    for (const [id, control] of Object.entries(controls)) {
      assert.equal(mappingOf(control.explicitInput.fieldName)?.type, 'keyword');
      const reference = dashboard!.references.find((entry) => entry.name === `controlGroup_${id}:optionsListDataView`);
      assert.equal(reference?.id, control.explicitInput.dataViewId);
      assert.equal(reference?.type, 'index-pattern');
      assert.ok(ofType('index-pattern').some((view) => view.id === control.explicitInput.dataViewId));
    }
  });

  it('kibana/saved-objects.ndjson is exactly what savedObjectsNdjson() builds', () => {
    const onDisk = readFileSync(NDJSON_FILE, 'utf8');
    assert.ok(onDisk === savedObjectsNdjson(), 'kibana/saved-objects.ndjson is out of date: run `npm run kibana:export`');
  });

  it('every line parses and every object has a type, an id and references', () => {
    const objects = savedObjects();
    assert.ok(objects.length > 0);
    for (const object of objects) {
      assert.equal(typeof object.type, 'string');
      assert.equal(typeof object.id, 'string');
      assert.ok(Array.isArray(object.references));
    }
    assert.equal(new Set(objects.map((object) => `${object.type}/${object.id}`)).size, objects.length, 'ids are unique');
  });

  it('every visualization references a data view that is in the file', () => {
    const dataViews = new Set(ofType('index-pattern').map((object) => object.id));
    const visualizations = ofType('visualization').filter((object) => !isVega(object));
    assert.equal(visualizations.length, PANELS.length);
    for (const visualization of visualizations) {
      const views = visualization.references.filter((reference) => reference.type === 'index-pattern');
      assert.ok(views.length > 0, `${visualization.id} references a data view`);
      for (const view of views) assert.ok(dataViews.has(view.id), `${visualization.id} references missing data view ${view.id}`);
      visualizationParts(visualization);
    }
  });

  it('the dashboard has one panel per visualization, and each panel reference resolves to that visualization', () => {
    const [dashboard, ...others] = ofType('dashboard');
    assert.equal(others.length, 0);
    assert.equal(dashboard!.id, DASHBOARD_ID);
    const panels = JSON.parse(dashboard!.attributes.panelsJSON as string) as { panelIndex: string; panelRefName: string; type: string }[];
    const visualizations = ofType('visualization');
    assert.equal(panels.length, visualizations.length);
    const referenced = new Set<string>();
    for (const panel of panels) {
      // Kibana 8 stores a panel's reference under "<panelIndex>:<panelRefName>".
      const reference = dashboard!.references.find((candidate) => candidate.name === `${panel.panelIndex}:${panel.panelRefName}`);
      assert.ok(reference, `panel ${panel.panelIndex}: no reference named ${panel.panelIndex}:${panel.panelRefName}`);
      assert.equal(reference.type, panel.type);
      assert.ok(
        visualizations.some((visualization) => visualization.id === reference.id),
        `panel ${panel.panelIndex} points at a visualization in the file`,
      );
      referenced.add(reference.id);
    }
    assert.equal(referenced.size, visualizations.length, 'every visualization is on the dashboard once');
    assert.equal(new Set(panels.map((panel) => panel.panelIndex)).size, panels.length);
  });

  it('every field a panel aggregates on or filters on is mapped with an aggregatable type', () => {
    const problems: string[] = [];
    let fields = 0;
    for (const visualization of ofType('visualization').filter((object) => !isVega(object))) {
      const { aggs, query } = visualizationParts(visualization);
      const named = [
        ...aggs.filter((agg) => agg.params.field !== undefined).map((agg) => ({ field: agg.params.field!, where: `agg ${agg.id} (${agg.type})` })),
        ...kqlFields(query).map((field) => ({ field, where: `query ${JSON.stringify(query)}` })),
      ];
      for (const { field, where } of named) {
        fields += 1;
        const type = mappingOf(field)?.type;
        if (!type || !AGGREGATABLE_TYPES.has(type)) problems.push(`${visualization.id}, ${where}: ${field} is ${type ?? 'not mapped'}`);
      }
    }
    for (const visualization of ofType('visualization').filter(isVega)) {
      for (const field of searchFields(vegaSpec(visualization).data.url.body)) {
        fields += 1;
        const type = mappingOf(field)?.type;
        if (!type || !AGGREGATABLE_TYPES.has(type)) problems.push(`${visualization.id}, its search: ${field} is ${type ?? 'not mapped'}`);
      }
    }
    assert.ok(fields >= 25, `the panels name ${fields} fields`);
    assert.deepEqual(problems, []);
  });
});
