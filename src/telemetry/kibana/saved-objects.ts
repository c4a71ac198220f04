import { DASHBOARD_ID } from '../kibana-link';
import { VEGA_PANELS, type VegaPanelDefinition } from './vega-panels';

/**
 * Kibana 8.x saved objects for the trace: two data views, three aggregation-based visualizations,
 * the per-run Vega-Lite panels (vega-panels.ts) and the "AI modeling" dashboard with a dataset and a
 * run control. Built here (so ids and references stay consistent) and written to
 * kibana/saved-objects.ndjson by `npm run kibana:export`; a test keeps the file current and runs
 * every panel's search against a real search engine.
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

function vegaVisualization(panel: VegaPanelDefinition, traceIndex: string) {
  return {
    type: 'visualization',
    id: panel.id,
    attributes: {
      title: panel.title,
      description: panel.description,
      // Kibana reads the spec as HJSON, of which JSON is a part.
      visState: JSON.stringify({ title: panel.title, type: 'vega', aggs: [], params: { spec: JSON.stringify(panel.spec(traceIndex), null, 2) } }),
      uiStateJSON: '{}',
      version: 1,
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }) },
    },
    references: [],
    coreMigrationVersion: '8.8.0',
    typeMigrationVersion: '8.5.0',
  };
}

/** The dashboard's controls: options lists whose choice becomes a filter on every panel. */
export interface ControlDefinition {
  readonly id: string;
  readonly title: string;
  readonly fieldName: string;
  readonly dataViewId: string;
}

/** Dataset first, then run: chained, the run list holds only the chosen dataset's runs. */
export const CONTROLS: readonly ControlDefinition[] = [
  { id: 'aimodel-control-dataset', title: 'Dataset', fieldName: 'labels.dataset_name', dataViewId: TRACE_DATA_VIEW_ID },
  { id: 'aimodel-control-run', title: 'Run', fieldName: 'labels.run_id', dataViewId: TRACE_DATA_VIEW_ID },
];

function controlGroupInput() {
  const panels = Object.fromEntries(
    CONTROLS.map((control, order) => [
      control.id,
      {
        order,
        width: 'medium',
        grow: true,
        type: 'optionsListControl',
        explicitInput: { id: control.id, title: control.title, dataViewId: control.dataViewId, fieldName: control.fieldName, singleSelect: true },
      },
    ]),
  );
  return {
    controlStyle: 'oneLine',
    chainingSystem: 'HIERARCHICAL',
    showApplySelections: false,
    panelsJSON: JSON.stringify(panels),
    ignoreParentSettingsJSON: JSON.stringify({ ignoreFilters: false, ignoreQuery: false, ignoreTimerange: false, ignoreValidations: false }),
  };
}

/** Every visualization on the dashboard, in panel order: the per-run panels first. */
const DASHBOARD_PANEL_IDS = [...VEGA_PANELS.map((panel) => panel.id), ...PANELS.map((panel) => panel.id)];

function dashboard() {
  return {
    type: 'dashboard',
    id: DASHBOARD_ID,
    attributes: {
      title: 'AI modeling',
      description:
        'Pick a dataset and a run: its elbow, scores by k, inertia per iteration for each k and restart, cluster sizes; runs over time and GraphQL latency and errors.',
      timeRestore: false,
      version: 1,
      optionsJSON: JSON.stringify({ useMargins: true, syncColors: false, hidePanelTitles: false }),
      panelsJSON: JSON.stringify(
        DASHBOARD_PANEL_IDS.map((_id, index) => ({
          version: '8.8.0',
          type: 'visualization',
          gridData: { x: (index % 2) * 24, y: Math.floor(index / 2) * 15, w: 24, h: 15, i: String(index + 1) },
          panelIndex: String(index + 1),
          embeddableConfig: { enhancements: {} },
          panelRefName: `panel_${index + 1}`,
        })),
      ),
      controlGroupInput: controlGroupInput(),
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }) },
    },
    references: [
      ...DASHBOARD_PANEL_IDS.map((id, index) => ({ name: `${index + 1}:panel_${index + 1}`, type: 'visualization', id })),
      // Kibana 8 names a control's data view reference controlGroup_<control id>:optionsListDataView.
      ...CONTROLS.map((control) => ({ name: `controlGroup_${control.id}:optionsListDataView`, type: 'index-pattern', id: control.dataViewId })),
    ],
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
    ...VEGA_PANELS.map((panel) => vegaVisualization(panel, traceDataViewTitle)),
    ...PANELS.map(visualization),
    dashboard(),
  ];
  return `${objects.map((object) => JSON.stringify(object)).join('\n')}\n`;
}
