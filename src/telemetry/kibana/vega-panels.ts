/**
 * The dashboard's per-run panels as Vega-Lite specs (Kibana's Vega visualization). Each spec's data
 * is one explicit search: `%context%` makes Kibana put the dashboard's query, filters and controls in
 * the search's query, `%timefield%` adds the time picker's range on @timestamp, and the body holds
 * only aggregations that Elasticsearch and OpenSearch both have (filter, terms, histogram, max, sum).
 * Series are split by run (trace.id), so an unfiltered dashboard shows one series per run instead of
 * averaging runs together. The tests run every search and render every spec (vega-lite + vega).
 */
export interface VegaPanelDefinition {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** The Vega-Lite spec for a trace index pattern (the data view's title). */
  readonly spec: (traceIndex: string) => VegaLiteSpec;
}

export interface KibanaSearch {
  readonly '%context%': true;
  readonly '%timefield%': string;
  readonly index: string;
  readonly body: { readonly size: 0; readonly aggs: Record<string, unknown> };
}

export interface VegaLiteSpec {
  readonly $schema: string;
  readonly data: { readonly url: KibanaSearch; readonly format: { readonly property: string } };
  readonly [key: string]: unknown;
}

// Kibana 8 bundles Vega-Lite 5: the specs keep to what 5 and 6 both draw.
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
// Runs one panel shows at most when the dashboard is not filtered on one run.
const RUNS = 10;

function search(index: string, action: string, aggs: Record<string, unknown>): KibanaSearch {
  return {
    '%context%': true,
    '%timefield%': '@timestamp',
    index,
    body: {
      size: 0,
      aggs: {
        events: { filter: { term: { 'event.action': action } }, aggs: { runs: { terms: { field: 'trace.id', size: RUNS, order: { _key: 'asc' } }, aggs } } },
      },
    },
  };
}

const ascending = (field: string, size: number) => ({ terms: { field, size, order: { _key: 'asc' } } });

/** k-evaluated: one document per run and k, so max is that document's value. */
function scoresByK(index: string) {
  return {
    url: search(index, 'k-evaluated', {
      k: {
        ...ascending('aimodel.score.k', 100),
        aggs: {
          inertia: { max: { field: 'aimodel.score.inertia' } },
          silhouette: { max: { field: 'aimodel.score.silhouette' } },
          davies_bouldin: { max: { field: 'aimodel.score.davies_bouldin' } },
          calinski_harabasz: { max: { field: 'aimodel.score.calinski_harabasz' } },
        },
      },
    }),
    format: { property: 'aggregations.events.runs.buckets' },
  };
}

const perK = [
  { flatten: ['k.buckets'], as: ['byK'] },
  { calculate: 'datum.key', as: 'run' },
  { calculate: 'datum.byK.key', as: 'k' },
];

const kAxis = { field: 'k', type: 'quantitative', title: 'k (clusters)', axis: { tickMinStep: 1 } };
const runColor = { field: 'run', type: 'nominal', title: 'Run' };

export const VEGA_PANELS: readonly VegaPanelDefinition[] = [
  {
    id: 'aimodel-elbow',
    title: 'Elbow: inertia by k',
    description: 'Inertia of the best restart for every k a run tried (kRange runs), one line per run: look for the bend.',
    spec: (index) => ({
      $schema: SCHEMA,
      title: 'Inertia by k',
      data: scoresByK(index),
      transform: [...perK, { calculate: 'datum.byK.inertia.value', as: 'inertia' }],
      mark: { type: 'line', point: true },
      encoding: { x: kAxis, y: { field: 'inertia', type: 'quantitative', title: 'Inertia' }, color: runColor },
    }),
  },
  {
    id: 'aimodel-scores-by-k',
    title: 'Scores by k',
    description: 'Silhouette (higher is better), Davies–Bouldin (lower is better) and Calinski–Harabasz (higher is better) of every k, one line per run.',
    spec: (index) => ({
      $schema: SCHEMA,
      title: 'Scores by k',
      data: scoresByK(index),
      transform: [
        ...perK,
        { calculate: 'datum.byK.silhouette.value', as: 'Silhouette' },
        { calculate: 'datum.byK.davies_bouldin.value', as: 'Davies–Bouldin' },
        { calculate: 'datum.byK.calinski_harabasz.value', as: 'Calinski–Harabasz' },
        { fold: ['Silhouette', 'Davies–Bouldin', 'Calinski–Harabasz'], as: ['score', 'value'] },
      ],
      mark: { type: 'line', point: true },
      encoding: {
        row: { field: 'score', type: 'nominal', title: null, sort: ['Silhouette', 'Davies–Bouldin', 'Calinski–Harabasz'] },
        x: kAxis,
        y: { field: 'value', type: 'quantitative', title: null },
        color: runColor,
      },
      resolve: { scale: { y: 'independent' } },
    }),
  },
  {
    id: 'aimodel-inertia-by-iteration',
    title: 'Inertia by iteration, per k and restart',
    description: 'How each k-means restart converged: inertia at every iteration, one line per run, k and restart (colour: k).',
    spec: (index) => ({
      $schema: SCHEMA,
      title: 'Inertia by iteration',
      data: {
        url: search(index, 'iteration', {
          k: {
            ...ascending('aimodel.iteration.k', 100),
            aggs: {
              restart: {
                ...ascending('aimodel.iteration.restart', 100),
                aggs: {
                  // One document per run, k, restart and iteration: max is its inertia.
                  iteration: {
                    histogram: { field: 'aimodel.iteration.number', interval: 1, min_doc_count: 1 },
                    aggs: { inertia: { max: { field: 'aimodel.iteration.inertia' } } },
                  },
                },
              },
            },
          },
        }),
        format: { property: 'aggregations.events.runs.buckets' },
      },
      transform: [
        ...perK,
        { flatten: ['byK.restart.buckets'], as: ['byRestart'] },
        { calculate: 'datum.byRestart.key', as: 'restart' },
        { flatten: ['byRestart.iteration.buckets'], as: ['byIteration'] },
        { calculate: 'datum.byIteration.key', as: 'iteration' },
        { calculate: 'datum.byIteration.inertia.value', as: 'inertia' },
      ],
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'iteration', type: 'quantitative', title: 'Iteration', axis: { tickMinStep: 1 } },
        y: { field: 'inertia', type: 'quantitative', title: 'Inertia', scale: { zero: false } },
        color: { field: 'k', type: 'ordinal', title: 'k' },
        detail: [
          { field: 'run', type: 'nominal' },
          { field: 'restart', type: 'ordinal' },
        ],
        tooltip: [
          { field: 'run', type: 'nominal' },
          { field: 'k', type: 'ordinal' },
          { field: 'restart', type: 'ordinal' },
          { field: 'iteration', type: 'quantitative' },
          { field: 'inertia', type: 'quantitative' },
        ],
      },
    }),
  },
  {
    id: 'aimodel-cluster-sizes',
    title: 'Cluster sizes',
    description: 'Entities per cluster of every succeeded run, bars side by side per run.',
    spec: (index) => ({
      $schema: SCHEMA,
      title: 'Cluster sizes',
      data: {
        url: search(index, 'cluster', {
          cluster: { ...ascending('aimodel.cluster.id', 1000), aggs: { size: { sum: { field: 'aimodel.cluster.size' } } } },
        }),
        format: { property: 'aggregations.events.runs.buckets' },
      },
      transform: [
        { flatten: ['cluster.buckets'], as: ['byCluster'] },
        { calculate: 'datum.key', as: 'run' },
        { calculate: 'datum.byCluster.key', as: 'cluster' },
        { calculate: 'datum.byCluster.size.value', as: 'entities' },
      ],
      mark: 'bar',
      encoding: {
        x: { field: 'cluster', type: 'ordinal', title: 'Cluster' },
        xOffset: { field: 'run', type: 'nominal' },
        y: { field: 'entities', type: 'quantitative', title: 'Entities' },
        color: runColor,
      },
    }),
  },
];
