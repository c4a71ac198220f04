import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import type { StatementEvent } from '../datastore/contracts';
import type { PoolState } from '../datastore/pool';
import { withTimeout } from '../shared/with-timeout';
import type { TraceCounters } from '../telemetry/trace-writer';
import type { Refusal } from './refusal';

/** The statuses a model run ends with: model_runs_total has a sample for each from the start. */
const RUN_ENDINGS = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;

// A scrape waits at most this long for the queue count; past it, the last count read is served.
const QUEUE_COUNT_TIMEOUT_MS = 2_000;

/**
 * The server's Prometheus metrics, on a registry of its own (not prom-client's global one), so two
 * apps in one process — as in tests — never share counters.
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly statements = new Counter({
    name: 'db_statements_total',
    help: 'SQL statements run, by dialect, kind (select, upsert, ddl, catalog, …) and outcome',
    labelNames: ['dialect', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly statementSeconds = new Histogram({
    name: 'db_statement_duration_seconds',
    help: 'SQL statement duration, including the wait for the driver',
    labelNames: ['dialect', 'kind'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly graphqlRequests = new Counter({
    name: 'graphql_requests_total',
    help: 'GraphQL requests, by operation name, operation type and outcome',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly graphqlSeconds = new Histogram({
    name: 'graphql_request_duration_seconds',
    help: 'GraphQL request duration from receipt to response',
    labelNames: ['operation', 'type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly responseCache = new Counter({
    name: 'graphql_response_cache_total',
    help: 'GraphQL operations by what the response cache did: hit (answered without executing: a kept answer, or the one the same query executing meanwhile gave), miss (executed; kept unless it had an error or a write came meanwhile), bypass (a mutation, a field it never keeps, no role, or the cache off)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private readonly refusedRequests = new Counter({
    name: 'graphql_refused_or_anonymous_requests_total',
    help: 'GraphQL requests refused (credentials, role, rate limit, query limits, unreadable) or served without credentials (ANONYMOUS), by code; their trace documents are only sampled (TRACE_REFUSED_SAMPLE_RATE)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  private readonly redisFailures = new Counter({
    name: 'redis_failures_total',
    help: 'Redis commands that failed or timed out, by use (rate_limit: the local limit counted instead; publish, subscribe, connection)',
    labelNames: ['use'] as const,
    registers: [this.registry],
  });

  // Counted by the process that wrote the run's terminal state (each ending is written once across
  // replicas): sum over replicas for the fleet.
  private readonly runsEnded = new Counter({
    name: 'model_runs_total',
    help: 'Model runs that ended in this server process, by terminal status (SUCCEEDED, FAILED, CANCELLED); sum over replicas',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  private readonly runSeconds = new Histogram({
    name: 'model_run_duration_seconds',
    help: 'Model run duration from its start (claim) to its end, by terminal status; runs cancelled or failed while queued are not observed',
    labelNames: ['status'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });

  private readonly runRows = new Histogram({
    name: 'model_run_rows',
    help: 'Rows a model run read from its dataset, by terminal status; runs that ended before reading are not observed',
    labelNames: ['status'] as const,
    buckets: [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000],
    registers: [this.registry],
  });

  /**
   * `queuedRuns`: the QUEUED runs of the queue every replica shares (the database), counted when
   * scraped; every replica reports the same value (take max, not sum, over replicas).
   */
  constructor(poolState: () => PoolState, traceCounters: () => TraceCounters, queuedRuns: () => Promise<number>) {
    collectDefaultMetrics({ register: this.registry });
    for (const status of RUN_ENDINGS) this.runsEnded.inc({ status }, 0);
    const queueDepth = new Gauge({
      name: 'model_run_queue_depth',
      help: 'Model runs QUEUED in the queue all replicas share (a COUNT when scraped; the last count while the database does not answer)',
      registers: [this.registry],
      async collect() {
        try {
          queueDepth.set(await withTimeout(queuedRuns(), QUEUE_COUNT_TIMEOUT_MS, () => new Error('queue count timed out')));
        } catch {
          // Unreachable or unprepared database: /readyz and the logs say so; the scrape still answers.
        }
      },
    });
    const trace = new Counter({
      name: 'trace_documents_total',
      help: 'Trace documents by what became of them: indexed, spooled (engine unavailable), replayed from the spool, dropped',
      labelNames: ['outcome'] as const,
      registers: [this.registry],
      collect() {
        const counters = traceCounters();
        trace.reset();
        for (const outcome of ['indexed', 'spooled', 'replayed', 'dropped'] as const) trace.inc({ outcome }, counters[outcome]);
      },
    });
    const queued = new Gauge({
      name: 'trace_queue_documents',
      help: 'Trace documents waiting in memory to be written',
      registers: [this.registry],
      collect() {
        queued.set(traceCounters().queued);
      },
    });
    const pool = new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state (in_use, idle, waiting callers, max)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const state = poolState();
        pool.set({ state: 'in_use' }, state.inUse);
        pool.set({ state: 'idle' }, state.idle);
        pool.set({ state: 'waiting' }, state.waiting);
        pool.set({ state: 'max' }, state.max);
      },
    });
  }

  observeStatement = (event: StatementEvent): void => {
    this.statements.inc({ dialect: event.dialect, kind: event.kind, outcome: event.outcome });
    this.statementSeconds.observe({ dialect: event.dialect, kind: event.kind }, event.seconds);
  };

  /** `code`: a Refusal (refusal.ts), a fixed set of values. */
  observeRedisFailure = (use: 'rate_limit' | 'publish' | 'subscribe' | 'connection'): void => {
    this.redisFailures.inc({ use });
  };

  observeResponseCache = (result: 'hit' | 'miss' | 'bypass'): void => {
    this.responseCache.inc({ result });
  };

  observeRefusedRequest(code: Refusal): void {
    this.refusedRequests.inc({ code });
  }

  /** A run ended in this process: `seconds` from its start (null if it never started), `rows` read (null if none were). */
  observeRunEnded(status: string, seconds: number | null, rows: number | null): void {
    this.runsEnded.inc({ status });
    if (seconds !== null) this.runSeconds.observe({ status }, seconds);
    if (rows !== null) this.runRows.observe({ status }, rows);
  }

  observeGraphqlRequest(operation: string, type: string, outcome: 'ok' | 'error', seconds: number): void {
    this.graphqlRequests.inc({ operation, type, outcome });
    this.graphqlSeconds.observe({ operation, type }, seconds);
  }
}
