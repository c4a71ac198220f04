import type { TraceOptions } from './options';

/**
 * The index templates, component templates and ILM policy of the trace. Every field the app writes is
 * mapped here; the `aimodel` namespace is not dynamic, so a field nobody mapped is kept in _source but
 * never becomes a new mapping (the per-index limit of 1,000 fields stays far away).
 */
const keyword = { type: 'keyword' } as const;
const double = { type: 'double' } as const;
const long = { type: 'long' } as const;
const integer = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const date = { type: 'date' } as const;

export const ECS_COMPONENT = 'aimodel-ecs';
export const MODEL_COMPONENT = 'aimodel-model';
export const TRACE_TEMPLATE = 'aimodel-trace';
export const RUNS_TEMPLATE = 'aimodel-runs';
export const ILM_POLICY = 'aimodel-trace';

/** The ECS fields the documents use (ECS 8.x types). */
export const ecsComponent = {
  template: {
    mappings: {
      dynamic_templates: [{ labels_as_keywords: { path_match: 'labels.*', mapping: keyword } }],
      properties: {
        '@timestamp': date,
        message: { type: 'text' },
        labels: { type: 'object' },
        event: {
          properties: {
            kind: keyword,
            category: keyword,
            type: keyword,
            action: keyword,
            outcome: keyword,
            duration: long,
            sequence: long,
          },
        },
        service: { properties: { name: keyword, version: keyword } },
        ecs: { properties: { version: keyword } },
        trace: { properties: { id: keyword } },
        error: { properties: { code: keyword, message: { type: 'match_only_text' } } },
        http: { properties: { request: { properties: { id: keyword } } } },
        user: { properties: { id: keyword, name: keyword } },
      },
    },
  },
  _meta: { description: 'ECS fields of the AI modeling API trace' },
};

/** The model data, under the project's namespace `aimodel`. */
export const modelComponent = {
  template: {
    mappings: {
      properties: {
        aimodel: {
          type: 'object',
          dynamic: false,
          properties: {
            run: {
              properties: {
                id: keyword,
                status: keyword,
                dataset_id: keyword,
                dataset_name: keyword,
                table: keyword,
                feature_columns: keyword,
                k: integer,
                k_min: integer,
                k_max: integer,
                initialization: keyword,
                n_init: integer,
                max_iterations: integer,
                tolerance: double,
                seed: long,
                attempts: integer,
                missing: keyword,
                scaling: keyword,
                publish_outcomes: bool,
                created_at: date,
                started_at: date,
                finished_at: date,
                duration_ms: long,
              },
            },
            input: {
              properties: {
                features: {
                  properties: { column: keyword, count: long, nulls: long, non_numeric: long, min: double, max: double, mean: double, stddev: double },
                },
              },
            },
            preparation: { properties: { rows_read: long, rows_dropped: long, scaling: keyword, read_ms: double, prepare_ms: double } },
            iteration: { properties: { k: integer, restart: integer, number: integer, centroid_shift: double, inertia: double, cluster_sizes: long } },
            score: {
              properties: {
                k: integer,
                inertia: double,
                silhouette: double,
                davies_bouldin: double,
                calinski_harabasz: double,
                iterations: integer,
                converged: bool,
              },
            },
            metrics: {
              properties: {
                inertia: double,
                silhouette: double,
                silhouette_sampled: bool,
                silhouette_sample_size: long,
                davies_bouldin: double,
                calinski_harabasz: double,
                iterations: integer,
                converged: bool,
                chosen_k: integer,
                read_ms: double,
                prepare_ms: double,
                cluster_ms: double,
                score_ms: double,
                save_ms: double,
                publish_ms: double,
              },
            },
            centroids: { properties: { cluster: integer, original: double, scaled: double } },
            cluster: { properties: { id: integer, size: long, centroid: double } },
            outcomes: { properties: { rows: long, duration_ms: double } },
            graphql: { properties: { operation_name: keyword, operation_type: keyword, error_codes: keyword, duration_ms: double } },
          },
        },
      },
    },
  },
  _meta: { description: 'Model data of the AI modeling API trace (namespace aimodel)' },
};

/** Hot for a week or 50 GB per backing index, deleted after 90 days. */
export const ilmPolicy = {
  phases: {
    hot: { actions: { rollover: { max_age: '7d', max_primary_shard_size: '50gb' } } },
    delete: { min_age: '90d', actions: { delete: {} } },
  },
};

export function traceIndexTemplate(options: TraceOptions, withIlm: boolean) {
  return {
    // Above the stack's built-in logs-*-* template (priority 100).
    index_patterns: [`${options.eventsTarget.replace(/-[^-]+$/, '')}-*`],
    data_stream: {},
    priority: 200,
    composed_of: [ECS_COMPONENT, MODEL_COMPONENT],
    template: { settings: withIlm ? { 'index.lifecycle.name': ILM_POLICY } : {} },
    _meta: { description: 'AI modeling API trace events (data stream)' },
  };
}

export function runsIndexTemplate(options: TraceOptions) {
  return {
    index_patterns: [`${options.runsIndex}*`],
    priority: 200,
    composed_of: [ECS_COMPONENT, MODEL_COMPONENT],
    _meta: { description: 'AI modeling API run summaries, one document per run' },
  };
}
