import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Client } from '@elastic/elasticsearch';
import type { TraceOptions } from './options';
import type { TraceDocument } from './trace-document';
import { AppError } from '../errors/app-error';

// Elasticsearch's default index.max_result_window: from + size beyond it is refused.
const MAX_RESULT_WINDOW = 10_000;

export interface TracePage {
  /** `limit + 1` documents at most, oldest first, so the caller knows whether more follow. */
  readonly documents: TraceDocument[];
}

/** Reads a run's trace back: from Elasticsearch when configured, from the NDJSON files otherwise. */
export interface TraceReader {
  read(runId: string, actions: readonly string[] | null, offset: number, limit: number): Promise<TracePage>;
}

export class ElasticsearchTraceReader implements TraceReader {
  constructor(
    private readonly client: Client,
    private readonly options: TraceOptions,
  ) {}

  async read(runId: string, actions: readonly string[] | null, offset: number, limit: number): Promise<TracePage> {
    if (offset + limit + 1 > MAX_RESULT_WINDOW) {
      throw new AppError('BAD_USER_INPUT', `A run's trace can be paged through its first ${MAX_RESULT_WINDOW} documents; narrow it with actions`, { field: 'after' });
    }
    try {
      return await this.search(runId, actions, offset, limit);
    } catch (error) {
      // The engine's address and its own words stay in the log, not in the response.
      throw new AppError('TRACE_UNAVAILABLE', 'The trace cannot be read: the search engine did not answer', undefined, { cause: error });
    }
  }

  private async search(runId: string, actions: readonly string[] | null, offset: number, limit: number): Promise<TracePage> {
    const filter: object[] = [{ term: { 'trace.id': runId } }];
    if (actions?.length) filter.push({ terms: { 'event.action': actions } });
    const response = await this.client.search<Omit<TraceDocument, '_id' | '_target'>>({
      index: this.options.eventsTarget,
      query: { bool: { filter } },
      // event.sequence orders a run's documents as they were recorded; from + size reaches 10,000 documents.
      sort: [{ 'event.sequence': { order: 'asc', unmapped_type: 'long' } }, { '@timestamp': 'asc' }],
      from: offset,
      size: limit + 1,
      ignore_unavailable: true,
    });
    return { documents: response.hits.hits.map((hit) => ({ ...(hit._source as object), _id: hit._id, _target: 'events' }) as TraceDocument) };
  }
}

/**
 * Scans the trace files for the run's documents. Fine for the embedded default's volumes; a large
 * installation ships the files to Elasticsearch (README: Filebeat) and reads from there.
 */
export class FileTraceReader implements TraceReader {
  constructor(private readonly directory: string) {}

  async read(runId: string, actions: readonly string[] | null, offset: number, limit: number): Promise<TracePage> {
    const files = (await readdir(this.directory).catch(() => [] as string[])).filter((name) => /^trace-.*\.ndjson$/.test(name)).sort(byDayThenSequence);
    const documents: TraceDocument[] = [];
    let skipped = 0;
    for (const name of files) {
      const input = createReadStream(path.join(this.directory, name));
      const lines = createInterface({ input, crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line.includes(runId)) continue;
        const document = parse(line);
        if (!document || document._target !== 'events' || document.trace?.id !== runId) continue;
        if (actions?.length && !actions.includes(document.event.action)) continue;
        if (skipped < offset) {
          skipped += 1;
          continue;
        }
        documents.push(document);
        if (documents.length > limit) {
          // Closing the interface leaves its stream open: destroy it, or every page leaks a descriptor.
          lines.close();
          input.destroy();
          return { documents };
        }
      }
    }
    return { documents };
  }
}

/** A line cut short (the process stopped in the middle of a write) is skipped, not fatal to every read. */
function parse(line: string): TraceDocument | null {
  try {
    return JSON.parse(line) as TraceDocument;
  } catch {
    return null;
  }
}

function byDayThenSequence(a: string, b: string): number {
  const parse = (name: string) => /^trace-(\d{4}-\d{2}-\d{2})\.(\d+)\.ndjson$/.exec(name) ?? ['', name, '0'];
  const [, dayA, sequenceA] = parse(a);
  const [, dayB, sequenceB] = parse(b);
  return dayA! === dayB! ? Number(sequenceA) - Number(sequenceB) : dayA! < dayB! ? -1 : 1;
}
