import type { Page } from '../../datastore/dialects/dialect';
import { pageOfRows, type PageOfRows } from '../../shared/page-of-rows';
import { kibanaRunUrl } from '../../telemetry/kibana-link';
import { AppError } from '../../errors/app-error';
import { UNKNOWN } from '../../shared/unknown-value';
import { MILLISECONDS_TO_NANOSECONDS, type TraceDocument } from '../../telemetry/trace-document';

import type { TraceReader } from '../../telemetry/trace-reader';

/** One document of a run's trace as ModelRun.trace serves it. */
export interface TraceEventRecord {
  readonly id: string;
  readonly timestamp: Date;
  readonly action: string;
  readonly outcome: string | null;
  /** ECS event.duration, in nanoseconds as ECS stores it. */
  readonly durationNs: number | null;
  readonly durationMs: number | null;
  /** The whole ECS document as stored, without the writer's routing fields. */
  readonly document: Record<string, unknown>;
}

/** A run's modeling trace read back from where it went (Elasticsearch or the trace files), and its Kibana link. */
export class RunTraceService {
  constructor(
    private readonly reader: TraceReader,
    private readonly kibanaBaseUrl: string | null,
  ) {}

  /** A page of the run's trace, oldest first, optionally of some actions only. */
  async page(runId: string, actions: readonly string[] | null, page: Page): Promise<PageOfRows<TraceEventRecord>> {
    const { documents } = await this.reader.read(runId, knownActions(actions), page.offset, page.limit);
    return pageOfRows(documents.map(toTraceEvent), page.limit);
  }

  count(runId: string, actions: readonly string[] | null): Promise<number> {
    return this.reader.count(runId, knownActions(actions));
  }

  /** The Kibana dashboard filtered on the run; null without KIBANA_URL. */
  kibanaUrl(runId: string): string | null {
    return this.kibanaBaseUrl ? kibanaRunUrl(this.kibanaBaseUrl, runId) : null;
  }
}

function knownActions(actions: readonly string[] | null): readonly string[] | null {
  // UNKNOWN names what this server cannot name, so no filter can select it.
  if (actions?.includes(UNKNOWN)) throw new AppError('BAD_USER_INPUT', 'actions cannot include UNKNOWN: name the actions to read', { field: 'actions' });
  return actions;
}

function toTraceEvent(document: TraceDocument): TraceEventRecord {
  const { _id, _target: _ignored, ...body } = document;
  return {
    id: _id,
    timestamp: new Date(document['@timestamp']),
    action: document.event.action,
    outcome: document.event.outcome ?? null,
    durationNs: document.event.duration ?? null,
    durationMs: document.event.duration === undefined || document.event.duration === null ? null : document.event.duration / MILLISECONDS_TO_NANOSECONDS,
    document: body,
  };
}
