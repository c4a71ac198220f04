import { DASHBOARD_ID } from '../kibana-link';

/**
 * Kibana 8.x saved objects for the trace: two data views, six aggregation-based visualizations and
 * the "AI modeling" dashboard. Built here (so ids and references stay consistent) and written to
 * kibana/saved-objects.ndjson by `npm run kibana:export`; a test keeps the file current and runs
 * every panel's aggregation against a real search engine.
 */
export const TRACE_DATA_VIEW_ID = 'aimodel-trace-data-view';
export const RUNS_DATA_VIEW_ID = 'aimodel-runs-data-view';

export interface KibanaAggregation {
  readonly id: string;
  readonly enabled: true;
  readonly type: 'count' | 'avg' | 'max' | 'sum' | 'percentiles' | 'date_histogram' | 'histogram' | 'terms';
  readonly schema: 'metric' | 'segment' | 'group';
  readonly params: Record<string, unknown>;
}

export interface PanelDefinition {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly chart: 'line' | 'histogram';
  readonly dataViewId: string;
  /** KQL the panel is filtered on (its saved search), e.g. `event.action:"iteration"`. */
  readonly query: string;
  readonly aggs: readonly KibanaAggregation[];
}

const metric = (id: string, type: 'count' | 'avg' | 'max' | 'sum', field?: string, label?: string): KibanaAggregation => ({
  id,
  enabled: true,
  type,
  schema: 'metric',
  params: field ? { field, ...(label ? { customLabel: label } : {}) } : {},
});

export const PANELS: readonly PanelDefinition[] = [
  {
    id: 'aimodel-runs-over-time',
    title: 'Model runs over time by status',
    description: 'Runs created per interval, split by their current status (run summaries).',
    chart: 'histogram',
    dataViewId: RUNS_DATA_VIEW_ID,
    query: '',
    aggs: [
      metric('1', 'count'),
      { id: '2', enabled: true, type: 'date_histogram', schema: 'segment', params: { field: '@timestamp', interval: 'auto', min_doc_count: 1 } },
      { id: '3', enabled: true, type: 'terms', schema: 'group', params: { field: 'aimodel.run.status', size: 5, order: 'desc', orderBy: '1' } },
    ],
  },
  {
    id: 'aimodel-run-duration',
    title: 'Run duration (ms)',
    description: 'Average and longest run duration per interval (run summaries of finished runs).',
    chart: 'line',
    dataViewId: RUNS_DATA_VIEW_ID,
    query: 'aimodel.run.duration_ms >= 0',
    aggs: [
      metric('1', 'avg', 'aimodel.run.duration_ms', 'Average duration (ms)'),
      metric('2', 'max', 'aimodel.run.duration_ms', 'Longest duration (ms)'),
      { id: '3', enabled: true, type: 'date_histogram', schema: 'segment', params: { field: '@timestamp', interval: 'auto', min_doc_count: 1 } },
    ],
  },
  {
    id: 'aimodel-inertia-by-iteration',
    title: 'Inertia by iteration, per run',
    description: 'How each run converged: inertia at every k-means iteration, one line per run (trace.id).',
    chart: 'line',
    dataViewId: TRACE_DATA_VIEW_ID,
    query: 'event.action:"iteration"',
    aggs: [
      metric('1', 'avg', 'aimodel.iteration.inertia', 'Inertia'),
      { id: '2', enabled: true, type: 'histogram', schema: 'segment', params: { field: 'aimodel.iteration.number', interval: 1, min_doc_count: true } },
      { id: '3', enabled: true, type: 'terms', schema: 'group', params: { field: 'trace.id', size: 10, order: 'desc', orderBy: '_key' } },
    ],
  },
  {
    id: 'aimodel-scores-by-k',
    title: 'Silhouette and Davies–Bouldin by k',
    description: 'The scores of every k tried by runs with a kRange (higher silhouette and lower Davies–Bouldin are better).',
    chart: 'line',
    dataViewId: TRACE_DATA_VIEW_ID,
    query: 'event.action:"k-evaluated"',
    aggs: [
      metric('1', 'avg', 'aimodel.score.silhouette', 'Silhouette'),
      metric('2', 'avg', 'aimodel.score.davies_bouldin', 'Davies–Bouldin'),
      { id: '3', enabled: true, type: 'histogram', schema: 'segment', params: { field: 'aimodel.score.k', interval: 1, min_doc_count: true } },
    ],
  },
  {
    id: 'aimodel-cluster-sizes',
    title: 'Cluster sizes of a run',
    description: 'Entities per cluster; filter the dashboard on one trace.id (ModelRun.kibanaUrl does).',
    chart: 'histogram',
    dataViewId: TRACE_DATA_VIEW_ID,
    query: 'event.action:"cluster"',
    aggs: [
      metric('1', 'sum', 'aimodel.cluster.size', 'Entities'),
      { id: '2', enabled: true, type: 'terms', schema: 'segment', params: { field: 'aimodel.cluster.id', size: 50, order: 'asc', orderBy: '_key' } },
    ],
  },
  {
    id: 'aimodel-graphql-latency-errors',
    title: 'GraphQL operation latency and errors',
    description: 'Average and 95th-percentile latency per interval, split by outcome (success or failure) for the error rate.',
    chart: 'line',
    dataViewId: TRACE_DATA_VIEW_ID,
    query: 'event.action:"graphql-operation"',
    aggs: [
      metric('1', 'avg', 'aimodel.graphql.duration_ms', 'Average latency (ms)'),
      { id: '2', enabled: true, type: 'percentiles', schema: 'metric', params: { field: 'aimodel.graphql.duration_ms', percents: [95] } },
      metric('3', 'count'),
      { id: '4', enabled: true, type: 'date_histogram', schema: 'segment', params: { field: '@timestamp', interval: 'auto', min_doc_count: 1 } },
      { id: '5', enabled: true, type: 'terms', schema: 'group', params: { field: 'event.outcome', size: 2, order: 'desc', orderBy: '3' } },
    ],
  },
];

function dataView(id: string, title: string, name: string) {
  return {
    type: 'index-pattern',
    id,
    attributes: { title, name, timeFieldName: '@timestamp' },
    references: [],
    coreMigrationVersion: '8.8.0',
    typeMigrationVersion: '8.0.0',
  };
}

function visualization(panel: PanelDefinition) {
  return {
    type: 'visualization',
    id: panel.id,
    attributes: {
      title: panel.title,
      description: panel.description,
      visState: JSON.stringify({
        title: panel.title,
        type: panel.chart,
        aggs: panel.aggs,
        params: { addTooltip: true, addLegend: true, legendPosition: 'right', type: panel.chart },
      }),
      uiStateJSON: '{}',
      version: 1,
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({
          query: { query: panel.query, language: 'kuery' },
          filter: [],
          indexRefName: 'kibanaSavedObjectMeta.searchSourceJSON.index',
        }),
      },
    },
    references: [{ name: 'kibanaSavedObjectMeta.searchSourceJSON.index', type: 'index-pattern', id: panel.dataViewId }],
    coreMigrationVersion: '8.8.0',
    typeMigrationVersion: '8.5.0',
  };
}

function dashboard() {
  return {
    type: 'dashboard',
    id: DASHBOARD_ID,
    attributes: {
      title: 'AI modeling',
      description: 'Model runs, their convergence and scores, cluster sizes, and GraphQL latency and errors.',
      timeRestore: false,
      version: 1,
      optionsJSON: JSON.stringify({ useMargins: true, syncColors: false, hidePanelTitles: false }),
      panelsJSON: JSON.stringify(
        PANELS.map((_panel, index) => ({
          version: '8.8.0',
          type: 'visualization',
          gridData: { x: (index % 2) * 24, y: Math.floor(index / 2) * 15, w: 24, h: 15, i: String(index + 1) },
          panelIndex: String(index + 1),
          embeddableConfig: { enhancements: {} },
          panelRefName: `panel_${index + 1}`,
        })),
      ),
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }) },
    },
    references: PANELS.map((panel, index) => ({ name: `${index + 1}:panel_${index + 1}`, type: 'visualization', id: panel.id })),
    coreMigrationVersion: '8.8.0',
    typeMigrationVersion: '8.7.0',
  };
}

/** The data views' index patterns for the default ELASTICSEARCH_TRACE_STREAM and ELASTICSEARCH_RUNS_INDEX. */
export const DEFAULT_TRACE_PATTERN = 'logs-aimodel.trace-*';
export const DEFAULT_RUNS_PATTERN = 'aimodel-runs*';

/** The saved objects as Kibana's import API takes them: one JSON object a line. */
export function savedObjectsNdjson(traceDataViewTitle = DEFAULT_TRACE_PATTERN, runsDataViewTitle = DEFAULT_RUNS_PATTERN): string {
  const objects = [
    dataView(TRACE_DATA_VIEW_ID, traceDataViewTitle, 'AI modeling trace'),
    dataView(RUNS_DATA_VIEW_ID, runsDataViewTitle, 'AI modeling runs'),
    ...PANELS.map(visualization),
    dashboard(),
  ];
  return `${objects.map((object) => JSON.stringify(object)).join('\n')}\n`;
}
