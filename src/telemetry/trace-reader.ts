import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Client } from '@elastic/elasticsearch';
import type { TraceOptions } from './options';
import type { TraceDocument } from './trace-document';
import { AppError } from '../errors/app-error';
import { runFile } from './trace-files';

// Elasticsearch's default index.max_result_window: from + size beyond it is refused.
const MAX_RESULT_WINDOW = 10_000;

export interface TracePage {
  /** `limit + 1` documents at most, oldest first, so the caller knows whether more follow. */
  readonly documents: TraceDocument[];
}

/** Reads a run's trace back: from Elasticsearch when configured, from the NDJSON files otherwise. */
export interface TraceReader {
  read(runId: string, actions: readonly string[] | null, offset: number, limit: number): Promise<TracePage>;
  /** How many documents `read` pages through for these arguments. */
  count(runId: string, actions: readonly string[] | null): Promise<number>;
}

export class ElasticsearchTraceReader implements TraceReader {
  constructor(
    private readonly client: Client,
    private readonly options: TraceOptions,
  ) {}

  async read(runId: string, actions: readonly string[] | null, offset: number, limit: number): Promise<TracePage> {
    if (offset + limit + 1 > MAX_RESULT_WINDOW) {
      throw new AppError('BAD_USER_INPUT', `A run's trace can be paged through its first ${MAX_RESULT_WINDOW} documents; narrow it with actions`, {
        field: 'after',
      });
    }
    try {
      return await this.search(runId, actions, offset, limit);
    } catch (error) {
      // The engine's address and its own words stay in the log, not in the response.
      throw new AppError('TRACE_UNAVAILABLE', 'The trace cannot be read: the search engine did not answer', undefined, { cause: error });
    }
  }

  async count(runId: string, actions: readonly string[] | null): Promise<number> {
    try {
      const response = await this.client.count({ index: this.options.eventsTarget, query: runQuery(runId, actions), ignore_unavailable: true });
      return response.count;
    } catch (error) {
      throw new AppError('TRACE_UNAVAILABLE', 'The trace cannot be read: the search engine did not answer', undefined, { cause: error });
    }
  }

  private async search(runId: string, actions: readonly string[] | null, offset: number, limit: number): Promise<TracePage> {
    const response = await this.client.search<Omit<TraceDocument, '_id' | '_target'>>({
      index: this.options.eventsTarget,
      query: runQuery(runId, actions),
      // event.sequence orders a run's documents as they were recorded; from + size reaches 10,000 documents.
      sort: [{ 'event.sequence': { order: 'asc', unmapped_type: 'long' } }, { '@timestamp': 'asc' }],
      from: offset,
      size: limit + 1,
      ignore_unavailable: true,
    });
    return { documents: response.hits.hits.map((hit) => ({ ...(hit._source as object), _id: hit._id, _target: 'events' }) as TraceDocument) };
  }
}

function runQuery(runId: string, actions: readonly string[] | null): object {
  const filter: object[] = [{ term: { 'trace.id': runId } }];
  // null: every action; an empty list: none (terms of nothing matches no document).
  if (actions !== null) filter.push({ terms: { 'event.action': actions } });
  return { bool: { filter } };
}

/** How FileTraceReader opens a file: node:fs by default; tests count what is opened and read. */
export interface TraceFileAccess {
  createReadStream(file: string): NodeJS.ReadableStream;
}

const NODE_FILES: TraceFileAccess = { createReadStream: (file) => createReadStream(file) };

/**
 * Reads the run's own trace file (trace-files.ts), whatever the size of the other trace: reading
 * one run costs that run's documents. A run traced before run files existed, or whose file the
 * retention deleted, reads as an empty trace.
 */
export class FileTraceReader implements TraceReader {
  constructor(
    private readonly directory: string,
    private readonly files: TraceFileAccess = NODE_FILES,
  ) {}

  async read(runId: string, actions: readonly string[] | null, offset: number, limit: number): Promise<TracePage> {
    const file = runFile(this.directory, runId);
    if (!file) return { documents: [] };
    const documents: TraceDocument[] = [];
    const seen = new Set<string>();
    let skipped = 0;
    const input = this.files.createReadStream(file);
    const lines = createInterface({ input, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        const document = parse(line);
        if (document?._target !== 'events' || document.trace?.id !== runId) continue;
        // A document is written once; a line twice (a write retried) is read once.
        if (seen.has(document._id)) continue;
        seen.add(document._id);
        if (actions !== null && !actions.includes(document.event.action)) continue;
        if (skipped < offset) {
          skipped += 1;
          continue;
        }
        documents.push(document);
        if (documents.length > limit) break;
      }
    } catch (error) {
      // A run without a file yet (or any more) has no trace to read.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    } finally {
      // Closing the interface leaves its stream open: destroy it, or every page leaks a descriptor.
      lines.close();
      (input as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
    return { documents };
  }

  async count(runId: string, actions: readonly string[] | null): Promise<number> {
    // One run's file, read to its end: the same filtering as read, no page limit.
    return (await this.read(runId, actions, 0, Number.MAX_SAFE_INTEGER - 1)).documents.length;
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
