/**
 * Where the modeling trace goes and how it is buffered. Every option states its default; the config
 * module fills them from the environment (ELASTICSEARCH_*, TRACE_*).
 *
 * Privacy: trace documents carry run parameters, scores, centroids and dataset/table names, and for
 * GraphQL operations the operation name, type, outcome and error codes. They never carry row values,
 * entity keys, query text, variables, connection strings or credentials.
 */
export interface TraceOptions {
  /** ELASTICSEARCH_URL. Default: none — documents go to rolling NDJSON files under `fileDirectory`. */
  readonly elasticsearchUrl: string | null;
  /** ELASTICSEARCH_API_KEY, or ELASTICSEARCH_USERNAME + ELASTICSEARCH_PASSWORD. Default: none. Never logged. */
  readonly apiKey: string | null;
  readonly username: string | null;
  readonly password: string | null;
  /** ELASTICSEARCH_TRACE_STREAM. Default `logs-aimodel.trace-default` (a data stream: logs-<dataset>-<namespace>). */
  readonly eventsTarget: string;
  /** ELASTICSEARCH_RUNS_INDEX. Default `aimodel-runs`: one document per run, updated as it progresses. */
  readonly runsIndex: string;
  /** ELASTICSEARCH_SETUP. Default false: create templates, the ILM policy and the runs index at start. */
  readonly setupAtStart: boolean;
  /** ELASTICSEARCH_ILM. Default true: create the ILM policy and attach it to the trace data stream. */
  readonly ilm: boolean;
  /** TRACE_DIR. Default `<DATA_DIR>/trace`: the NDJSON files (no Elasticsearch) and the spool (with it). */
  readonly fileDirectory: string;
  /** TRACE_QUEUE_LIMIT. Default 10,000 documents held in memory; beyond that they go straight to the spool. */
  readonly queueLimit: number;
  /** TRACE_FLUSH_MS. Default 1,000: the queue is written at least this often. */
  readonly flushIntervalMs: number;
  /** TRACE_BATCH_SIZE. Default 500 documents per bulk request; a full batch is written at once. */
  readonly batchSize: number;
  /** TRACE_SPOOL_MAX_BYTES. Default 1 GiB: beyond it, documents the engine cannot take are dropped (and counted). */
  readonly spoolMaxBytes: number;
  /** TRACE_FILE_MAX_BYTES. Default 50 MiB: a trace file rolls over past this size (and every UTC day). */
  readonly fileMaxBytes: number;
  /**
   * TRACE_FILE_RETENTION_DAYS. Default 14: trace files (daily and per-run) last written longer ago are
   * deleted, at start and every hour; 0 keeps them.
   */
  readonly fileRetentionDays: number;
  /**
   * TRACE_FILE_MAX_TOTAL_BYTES. Default 1 GiB: past it, the trace files last written longest ago are
   * deleted (the file being written stays); 0 sets no cap.
   */
  readonly fileMaxTotalBytes: number;
  /**
   * TRACE_REFUSED_SAMPLE_RATE. Default 0.01: the share of refused or anonymous GraphQL operations
   * (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED, the query limits, no credentials) whose document is
   * written; all are counted in /metrics (graphql_refused_or_anonymous_requests_total).
   */
  readonly refusedSampleRate: number;
  /** service.name and service.version in every document. */
  readonly serviceName: string;
  readonly serviceVersion: string;
}
