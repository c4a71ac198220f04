import type { TraceRecorder } from '../../telemetry/trace-recorder';

/**
 * Options of the GraphQL operation trace plugin.
 *
 * Privacy: a document holds the operation's name (as a metric label: plain names only) and type, its
 * duration, outcome and error codes, and the request id. It never holds the caller's identity, the
 * query text, variables, results or error messages (they can carry user data).
 */
export interface GraphqlTracePluginOptions {
  /** Where documents go. Required. The TraceWriter only queues them (the response never waits) and the app flushes it on stop. */
  readonly recorder: TraceRecorder;
  /** service.name / service.version of every document. Required. */
  readonly service: { readonly name: string; readonly version: string };
  /** Record introspection queries (`__schema`, `__type`) too. Default false: Sandbox polls them. */
  readonly includeIntrospection?: boolean;
  /**
   * The share of refused or anonymous operations (src/metrics/refusal.ts) recorded, from 0 to 1.
   * Default 0.01 (TRACE_REFUSED_SAMPLE_RATE): anyone can send them without limit, so they are counted
   * in /metrics and only sampled into the trace.
   */
  readonly refusedSampleRate?: number;
  /**
   * The GraphQL type of a run. Default `ModelRun`: a root field of this type (modelRun, startModelRun,
   * cancelModelRun …) puts its run's id in the operation's document (labels.run_id when it is the only one).
   */
  readonly runTypeName?: string;
  /** Draws the sample: a number in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

/** GraphqlTracePluginOptions.refusedSampleRate's default. */
export const DEFAULT_REFUSED_SAMPLE_RATE = 0.01;

/** GraphqlTracePluginOptions.runTypeName's default. */
export const DEFAULT_RUN_TYPE_NAME = 'ModelRun';
