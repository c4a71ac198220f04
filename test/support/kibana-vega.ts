/**
 * TESTS ONLY: the dashboard's Vega panels without a Kibana. From a saved-objects export it takes each
 * Vega visualization's spec, turns its `data.url` into the search Kibana would send (`%context%` →
 * the dashboard's filters in a bool `must`, `%timefield%` → a range on that field, as Kibana's Vega
 * data loader does), and renders the spec with vega-lite + vega from the search's results.
 */
import assert from 'node:assert/strict';
import type { KibanaSearch, VegaLiteSpec } from '../../src/telemetry/kibana/vega-panels';
import { kqlToQuery } from './kibana-panels';

export interface SavedVegaPanel {
  readonly id: string;
  readonly title: string;
  readonly spec: VegaLiteSpec;
}

/** The Vega visualizations of a saved-objects NDJSON export. */
export function savedVegaPanels(ndjson: string): Map<string, SavedVegaPanel> {
  const panels = new Map<string, SavedVegaPanel>();
  for (const line of ndjson.split('\n').filter((entry) => entry.trim() !== '')) {
    const object = JSON.parse(line) as { type: string; id: string; attributes: { title: string; visState?: string } };
    if (object.type !== 'visualization') continue;
    const visState = JSON.parse(object.attributes.visState!) as { type: string; params: { spec?: string } };
    if (visState.type !== 'vega') continue;
    panels.set(object.id, { id: object.id, title: object.attributes.title, spec: JSON.parse(visState.params.spec!) as VegaLiteSpec });
  }
  return panels;
}

/** A dashboard filter: KQL from the query bar (ModelRun.kibanaUrl's), or a filter as a control writes it. */
export type DashboardFilter = string | object;

/** The search Kibana sends for a spec's `data.url`, on the dashboard's filters and time range. */
export function vegaSearch(
  spec: VegaLiteSpec,
  filters: readonly DashboardFilter[],
  timeRange: { gte: string; lte: string },
): { index: string; body: Record<string, unknown> } {
  const url: KibanaSearch = spec.data.url;
  const { '%context%': context, '%timefield%': timeField, index, body } = url;
  assert.equal(context, true, 'the search takes the dashboard context');
  assert.equal((body as Record<string, unknown>).query, undefined, 'Kibana refuses a body query beside %context%');
  const must: object[] = filters.map((filter) => (typeof filter === 'string' ? kqlToQuery(filter) : filter));
  must.push({ range: { [timeField]: { ...timeRange, format: 'strict_date_optional_time' } } });
  return { index, body: { ...body, query: { bool: { must, filter: [], should: [], must_not: [] } } } };
}

/** What the spec's `format.property` picks out of the search response: the rows the chart gets. */
export function vegaValues(spec: VegaLiteSpec, response: unknown): Record<string, unknown>[] {
  let value: unknown = response;
  for (const key of spec.data.format.property.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  assert.ok(Array.isArray(value), `${spec.data.format.property} is an array in the response`);
  return value as Record<string, unknown>[];
}

/** One mark of the scenegraph: its type, its name (group marks excepted) and the data of its items. */
export interface DrawnMark {
  readonly marktype: string;
  readonly role: string;
  readonly data: Record<string, unknown>[];
}

interface SceneNode {
  marktype?: string;
  role?: string;
  items?: (SceneNode & { datum?: Record<string, unknown> })[];
}

/** Renders the spec with `values` in place of its Elasticsearch data: the SVG, and every mark drawn. */
export async function renderVega(spec: VegaLiteSpec, values: readonly Record<string, unknown>[]): Promise<{ svg: string; marks: DrawnMark[] }> {
  // ESM with top-level await: loaded with import(), never required.
  const vegaLite = await import('vega-lite');
  const vega = await import('vega');
  const { data: _search, ...rest } = spec;
  const compiled = vegaLite.compile({ ...rest, data: { values: [...values] } } as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  await view.runAsync();
  const svg = await view.toSVG();
  const marks: DrawnMark[] = [];
  const walk = (node: SceneNode) => {
    if (node.marktype && node.marktype !== 'group') {
      marks.push({ marktype: node.marktype, role: node.role ?? '', data: (node.items ?? []).map((item) => item.datum ?? {}) });
      return;
    }
    for (const item of node.items ?? []) walk(item);
  };
  walk((view.scenegraph() as unknown as { root: SceneNode }).root);
  view.finalize();
  return { svg, marks };
}

/** The marks of the chart itself (not axes, legends or titles). */
export function chartMarks(marks: readonly DrawnMark[], marktype: string): DrawnMark[] {
  return marks.filter((mark) => mark.marktype === marktype && mark.role === 'mark');
}
