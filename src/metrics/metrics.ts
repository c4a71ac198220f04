import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import type { StatementEvent } from '../datastore/contracts';
import type { PoolState } from '../datastore/pool';
import type { TraceCounters } from '../telemetry/trace-writer';
import type { Refusal } from './refusal';

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

  constructor(poolState: () => PoolState, traceCounters: () => TraceCounters) {
    collectDefaultMetrics({ register: this.registry });
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

  observeRefusedRequest(code: Refusal): void {
    this.refusedRequests.inc({ code });
  }

  observeGraphqlRequest(operation: string, type: string, outcome: 'ok' | 'error', seconds: number): void {
    this.graphqlRequests.inc({ operation, type, outcome });
    this.graphqlSeconds.observe({ operation, type }, seconds);
  }
}
