import { Client } from '@elastic/elasticsearch';
import type { TraceOptions } from './options';
import type { TraceDocument } from './trace-document';
import type { SinkResult, TraceSink } from './trace-sink';

/** Statuses worth retrying later: overload and server-side trouble. A 4xx other than these is final. */
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

export function createElasticsearchClient(options: TraceOptions): Client {
  return new Client({
    node: options.elasticsearchUrl!,
    auth: options.apiKey ? { apiKey: options.apiKey } : options.username ? { username: options.username, password: options.password ?? '' } : undefined,
    // The writer retries through its spool; the client should fail fast instead of stalling the flush.
    maxRetries: 1,
    requestTimeout: 10_000,
  });
}

/**
 * Writes through the official client's bulk helper. Trace events are `create`d in the data stream
 * with their deterministic _id, so a replay of a document already stored answers 409 and counts as
 * done; run summaries are `index`ed by run id, replacing the previous state.
 */
export class ElasticsearchSink implements TraceSink {
  readonly name = 'elasticsearch' as const;

  constructor(
    private readonly client: Client,
    private readonly options: TraceOptions,
  ) {}

  async write(documents: readonly TraceDocument[]): Promise<SinkResult> {
    if (documents.length === 0) return { retryable: [], rejected: [] };
    const retryable: TraceDocument[] = [];
    const rejected: SinkResult['rejected'] = [];
    const byId = new Map(documents.map((document) => [document._id, document]));
    try {
      await this.client.helpers.bulk<TraceDocument>({
        datasource: [...documents],
        onDocument: ({ _id, _target, ...body }) =>
          _target === 'runs' ? [{ index: { _index: this.options.runsIndex, _id } }, body] : [{ create: { _index: this.options.eventsTarget, _id } }, body],
        onDrop: (dropped) => {
          const action = dropped.operation as unknown as Record<string, { _id?: string }>;
          const original = byId.get(String(Object.values(action)[0]?._id));
          if (!original || dropped.status === 409) return; // 409: already stored (a replay, or a retry that had succeeded)
          if (RETRYABLE.has(dropped.status)) retryable.push(original);
          else rejected.push({ document: original, reason: `${dropped.status} ${JSON.stringify(dropped.error).slice(0, 300)}` });
        },
        flushBytes: 5_000_000,
        concurrency: 1,
        retries: 0,
        refreshOnCompletion: false,
      });
    } catch {
      // The engine is unreachable (or the request failed whole): everything not yet settled may succeed later.
      const settled = new Set([...retryable, ...rejected.map((entry) => entry.document)].map((document) => document._id));
      return { retryable: documents.filter((document) => !settled.has(document._id)), rejected };
    }
    return { retryable, rejected };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
