import { createHash } from 'node:crypto';
import type { TraceAction, TraceOutcome } from './trace-actions';

/**
 * A trace document in the Elastic Common Schema (ECS 8): `@timestamp`, `event.*`, `service.*`,
 * `trace.id` (a run's documents share its id), `labels`, and the model data under the project's own
 * namespace `aimodel.*` with fixed, mapped fields (templates.ts) — never keys made up per iteration.
 */
export interface TraceDocument {
  /** Deterministic: a replayed document overwrites nothing and is never indexed twice. */
  readonly _id: string;
  /** Where it goes: the trace data stream, or the run-summary index (updated in place). */
  readonly _target: 'events' | 'runs';
  readonly '@timestamp': string;
  readonly event: {
    readonly kind: 'event' | 'metric' | 'state';
    readonly category: readonly string[];
    readonly type: readonly string[];
    readonly action: TraceAction;
    readonly outcome?: TraceOutcome;
    /** Nanoseconds, as ECS defines it. */
    readonly duration?: number;
    readonly sequence?: number;
  };
  readonly service: { readonly name: string; readonly version: string };
  /** ECS_VERSION on every document, as ECS requires. */
  readonly ecs: { readonly version: string };
  readonly trace?: { readonly id: string };
  readonly labels?: Readonly<Record<string, string>>;
  readonly message?: string;
  readonly [namespace: string]: unknown;
}

/** A stable id from the parts that make a document unique (run id, action, sequence …). */
export function documentId(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 32);
}

/** event.action of a GraphQL operation's document (src/plugins/trace), which is not one of a run's own events. */
export const GRAPHQL_OPERATION_ACTION = 'graphql-operation';

/** The ECS version the documents follow: the one @elastic/ecs-pino-format writes on the ECS log lines. */
export const ECS_VERSION = '8.10.0';

export const MILLISECONDS_TO_NANOSECONDS = 1_000_000;
