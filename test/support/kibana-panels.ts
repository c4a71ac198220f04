/**
 * TESTS ONLY: turns the dashboard's aggregation-based visualizations (the saved objects of
 * src/telemetry/kibana/saved-objects.ts) into the Elasticsearch search Kibana would send for them,
 * so a test can run every panel against a real engine without a Kibana.
 *
 * It follows Kibana's AggConfigs → esaggs request for the vislib line/histogram charts:
 *  - bucket aggregations nest in the order the visState lists them; the metrics go innermost
 *    (Kibana's getRequestAggs() moves metrics to the end);
 *  - `count` is no aggregation (the bucket's doc_count);
 *  - terms `orderBy: '<metric id>'` orders by that metric (`_count` for a count), `'_key'` by key;
 *  - histogram `min_doc_count: true` is Kibana's "show empty buckets", i.e. ES min_doc_count 0;
 *  - date_histogram `interval: 'auto'`: Kibana picks an interval from the time picker's range; the
 *    tests' data spans minutes, so it becomes fixed_interval 1m. A calendar unit ('m','h','d','w',
 *    'M','y') becomes calendar_interval 1<unit>, anything else (e.g. '30s') a fixed_interval;
 *  - the query is KQL, of exactly the forms the panels use: `field:"value"`, `field >= number`
 *    (also >, <=, <), or empty; several clauses (panel query, dashboard query) are ANDed as filters.
 *
 * Anything else (another agg type, a param it does not know, other KQL) throws, so a panel added
 * with something this translator cannot check fails the test instead of passing unchecked.
 */
import assert from 'node:assert/strict';
import type { KibanaAggregation } from '../../src/telemetry/kibana/saved-objects';

export interface SavedVisualization {
  readonly id: string;
  readonly title: string;
  readonly aggs: readonly KibanaAggregation[];
  readonly query: string;
  /** The title (index pattern) of the data view the visualization references. */
  readonly indexPattern: string;
}

interface SavedObject {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: { name: string; type: string; id: string }[];
}

/** The aggregation-based visualizations of a saved-objects NDJSON export, each with its data view's index pattern resolved. */
export function savedVisualizations(ndjson: string): Map<string, SavedVisualization> {
  const objects = ndjson
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SavedObject);
  const dataViews = new Map(objects.filter((object) => object.type === 'index-pattern').map((object) => [object.id, String(object.attributes.title)]));
  const visualizations = new Map<string, SavedVisualization>();
  for (const object of objects.filter((entry) => entry.type === 'visualization')) {
    const visState = JSON.parse(String(object.attributes.visState)) as { type: string; aggs: KibanaAggregation[] };
    if (visState.type === 'vega') continue; // its own search: test/support/kibana-vega.ts
    const meta = object.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string };
    const searchSource = JSON.parse(meta.searchSourceJSON) as { query: { query: string; language: string }; indexRefName: string };
    if (searchSource.query.language !== 'kuery') throw new Error(`${object.id}: query language ${searchSource.query.language}, not kuery`);
    const reference = object.references.find((entry) => entry.name === searchSource.indexRefName);
    const indexPattern = reference ? dataViews.get(reference.id) : undefined;
    if (!indexPattern) throw new Error(`${object.id}: its data view (${reference?.id ?? searchSource.indexRefName}) is not in the export`);
    visualizations.set(object.id, {
      id: object.id,
      title: String(object.attributes.title),
      aggs: visState.aggs,
      query: searchSource.query.query,
      indexPattern,
    });
  }
  return visualizations;
}

/** One KQL clause of the forms the panels use, as Kibana's KQL compiler writes it. */
export function kqlToQuery(kql: string): object {
  const text = kql.trim();
  if (text === '') return { match_all: {} };
  const phrase = /^([\w.@]+)\s*:\s*"((?:[^"\\]|\\.)*)"$/.exec(text);
  if (phrase) return { bool: { should: [{ match_phrase: { [phrase[1]!]: phrase[2]!.replace(/\\(.)/g, '$1') } }], minimum_should_match: 1 } };
  const range = /^([\w.@]+)\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)$/.exec(text);
  if (range) {
    const operator = { '>=': 'gte', '<=': 'lte', '>': 'gt', '<': 'lt' }[range[2] as '>=' | '<=' | '>' | '<'];
    return { bool: { should: [{ range: { [range[1]!]: { [operator]: Number(range[3]) } } }], minimum_should_match: 1 } };
  }
  throw new Error(`KQL the panel translator does not support: ${kql}`);
}

const BUCKET_TYPES = new Set(['date_histogram', 'histogram', 'terms']);
const METRIC_TYPES = new Set(['count', 'avg', 'max', 'sum', 'percentiles']);

function knownParams(agg: KibanaAggregation, allowed: readonly string[]): void {
  const unknown = Object.keys(agg.params).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) throw new Error(`agg ${agg.id} (${agg.type}): params the translator does not support: ${unknown.join(', ')}`);
}

function metricAgg(agg: KibanaAggregation): object | null {
  switch (agg.type) {
    case 'count':
      knownParams(agg, ['customLabel']);
      return null;
    case 'avg':
    case 'max':
    case 'sum':
      knownParams(agg, ['field', 'customLabel']);
      return { [agg.type]: { field: agg.params.field } };
    case 'percentiles':
      knownParams(agg, ['field', 'percents', 'customLabel']);
      return { percentiles: { field: agg.params.field, percents: agg.params.percents } };
    default:
      throw new Error(`agg ${agg.id}: ${agg.type} is not a metric this translator supports`);
  }
}

const CALENDAR_UNITS = new Set(['m', 'h', 'd', 'w', 'M', 'y']);

function bucketAgg(agg: KibanaAggregation, metrics: readonly KibanaAggregation[]): object {
  const params = agg.params;
  switch (agg.type) {
    case 'date_histogram': {
      knownParams(agg, ['field', 'interval', 'min_doc_count']);
      const interval = String(params.interval);
      const spacing =
        interval === 'auto' ? { fixed_interval: '1m' } : CALENDAR_UNITS.has(interval) ? { calendar_interval: `1${interval}` } : { fixed_interval: interval };
      return { date_histogram: { field: params.field, ...spacing, time_zone: 'UTC', min_doc_count: params.min_doc_count ?? 1 } };
    }
    case 'histogram': {
      knownParams(agg, ['field', 'interval', 'min_doc_count']);
      // Kibana's histogram min_doc_count is a boolean, "show empty buckets".
      return { histogram: { field: params.field, interval: params.interval, min_doc_count: params.min_doc_count === true ? 0 : 1 } };
    }
    case 'terms': {
      knownParams(agg, ['field', 'size', 'order', 'orderBy']);
      const direction = params.order === 'asc' ? 'asc' : 'desc';
      let order: object;
      if (params.orderBy === '_key') order = { _key: direction };
      else {
        const by = metrics.find((metric) => metric.id === params.orderBy);
        if (!by) throw new Error(`agg ${agg.id}: orderBy ${String(params.orderBy)} names no metric`);
        if (by.type === 'percentiles') throw new Error(`agg ${agg.id}: ordering by percentiles is not supported`);
        order = by.type === 'count' ? { _count: direction } : { [by.id]: direction };
      }
      return { terms: { field: params.field, size: params.size, order } };
    }
    default:
      throw new Error(`agg ${agg.id}: ${agg.type} is not a bucket aggregation this translator supports`);
  }
}

export interface PanelRequest {
  readonly index: string;
  readonly body: { size: 0; track_total_hits: true; query: object; aggs: Record<string, object> };
  readonly buckets: readonly KibanaAggregation[];
  readonly metrics: readonly KibanaAggregation[];
}

/**
 * The search for one visualization. `filters` are extra KQL clauses (the dashboard's query bar, e.g.
 * `trace.id:"…"`); `timeRange` adds Kibana's time filter on @timestamp (default: the last 90 days,
 * as the run links open the dashboard).
 */
export function panelRequest(
  visualization: SavedVisualization,
  filters: readonly string[] = [],
  timeRange: { gte: string; lte: string } | null = { gte: 'now-90d', lte: 'now' },
): PanelRequest {
  for (const agg of visualization.aggs) {
    if (!agg.enabled) throw new Error(`agg ${agg.id} is disabled; the translator expects only enabled aggs`);
    if (!BUCKET_TYPES.has(agg.type) && !METRIC_TYPES.has(agg.type)) throw new Error(`agg ${agg.id}: unsupported type ${agg.type}`);
  }
  const buckets = visualization.aggs.filter((agg) => BUCKET_TYPES.has(agg.type));
  const metrics = visualization.aggs.filter((agg) => METRIC_TYPES.has(agg.type));
  if (buckets.length === 0) throw new Error(`${visualization.id}: no bucket aggregation`);

  const metricAggs: Record<string, object> = {};
  for (const metric of metrics) {
    const request = metricAgg(metric);
    if (request) metricAggs[metric.id] = request;
  }
  // Innermost first: the last bucket holds the metrics; every outer bucket holds the next one. A
  // terms ordered by a metric also gets that metric directly under it when it is not innermost.
  let inner: Record<string, object> = metricAggs;
  for (let index = buckets.length - 1; index >= 0; index -= 1) {
    const bucket = buckets[index]!;
    const request = bucketAgg(bucket, metrics) as Record<string, unknown>;
    const orderMetric = bucket.type === 'terms' && bucket.params.orderBy !== '_key' ? metricAggs[String(bucket.params.orderBy)] : undefined;
    const children = { ...inner, ...(orderMetric ? { [String(bucket.params.orderBy)]: orderMetric } : {}) };
    if (Object.keys(children).length > 0) request.aggs = children;
    inner = { [bucket.id]: request };
  }

  const clauses = [visualization.query, ...filters].filter((clause) => clause.trim() !== '').map(kqlToQuery);
  if (timeRange) clauses.push({ range: { '@timestamp': { ...timeRange, format: 'strict_date_optional_time' } } });
  return {
    index: visualization.indexPattern,
    body: { size: 0, track_total_hits: true, query: { bool: { filter: clauses } }, aggs: inner },
    buckets,
    metrics,
  };
}

export interface PanelRow {
  /** The key of every bucket agg on the way, by agg id (date_histogram: epoch ms). */
  readonly keys: Record<string, string | number>;
  /** doc_count of the innermost bucket. */
  readonly count: number;
  /** Every metric by agg id: a number (or null), count = doc_count, percentiles = { "95.0": … }. */
  readonly metrics: Record<string, number | null | Record<string, number | null>>;
}

/** A bucket of a bucket agg's response; its sub-aggregations are under their agg ids. */
interface Bucket {
  readonly key: string | number;
  readonly doc_count: number;
  readonly [aggId: string]: unknown;
}

/** A metric agg's response: `value`, or `values` for percentiles. */
interface MetricResult {
  readonly value: number | null;
  readonly values: Record<string, number | null>;
}

/** The response as the table Kibana's tabify makes of it: one row per innermost bucket. */
export function panelRows(request: PanelRequest, aggregations: Record<string, unknown>): PanelRow[] {
  const rows: PanelRow[] = [];
  const walk = (container: Record<string, unknown>, depth: number, keys: Record<string, string | number>) => {
    const bucketAgg = request.buckets[depth]!;
    for (const bucket of (container[bucketAgg.id] as { buckets: Bucket[] }).buckets) {
      const here = { ...keys, [bucketAgg.id]: bucket.key };
      if (depth + 1 < request.buckets.length) {
        walk(bucket, depth + 1, here);
        continue;
      }
      const metrics: PanelRow['metrics'] = {};
      for (const metric of request.metrics) {
        if (metric.type === 'count') metrics[metric.id] = bucket.doc_count;
        else if (metric.type === 'percentiles') metrics[metric.id] = (bucket[metric.id] as MetricResult).values;
        else metrics[metric.id] = (bucket[metric.id] as MetricResult).value;
      }
      rows.push({ keys: here, count: bucket.doc_count, metrics });
    }
  };
  walk(aggregations, 0, {});
  return rows;
}

/** The KQL query of the dashboard link's app state (`_a=(query:(language:kuery,query:'…'))`). */
export function kqlOf(url: string): { dashboard: string; query: string; language: string } {
  const { hash } = new URL(url);
  const match = /^#\/view\/([^?]+)\?(.*)$/.exec(hash);
  assert.ok(match, `a dashboard view link: ${hash}`);
  const appState = new URLSearchParams(match[2]!.replace(/\+/g, '%2B')).get('_a');
  assert.ok(appState, 'the link has app state');
  const query = /^\(query:\(language:(\w+),query:'([^']*)'\)\)$/.exec(appState);
  assert.ok(query, `app state holds a query: ${appState}`);
  return { dashboard: match[1]!, language: query[1]!, query: query[2]! };
}
