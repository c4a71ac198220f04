import { appendFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TraceDocument } from './trace-document';

/**
 * Documents the search engine could not take, kept on disk as NDJSON until it can. Writes are
 * serialised through one promise chain, so an append never interleaves with a replay's rewrite.
 */
export class Spool {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly file: string;

  constructor(directory: string) {
    this.file = path.join(directory, 'spool.ndjson');
  }

  append(documents: readonly TraceDocument[]): Promise<void> {
    if (documents.length === 0) return Promise.resolve();
    return this.serialised(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      await appendFile(this.file, documents.map((document) => JSON.stringify(document)).join('\n') + '\n');
    });
  }

  async size(): Promise<number> {
    return stat(this.file).then(
      (info) => info.size,
      () => 0,
    );
  }

  /**
   * Hands the spooled documents to `send` in batches; what it returns as still failing is kept,
   * the rest is removed. The file is replaced atomically (write then rename).
   */
  replay(batchSize: number, send: (batch: TraceDocument[]) => Promise<TraceDocument[]>): Promise<{ sent: number; kept: number }> {
    return this.serialised(async () => {
      const text = await readFile(this.file, 'utf8').catch(() => '');
      // A line cut short (the process stopped in the middle of an append) cannot be recovered; it is
      // skipped rather than failing every replay from then on.
      const documents = text.split('\n').flatMap((line) => {
        if (line.trim() === '') return [];
        try {
          return [JSON.parse(line) as TraceDocument];
        } catch {
          return [];
        }
      });
      if (text === '') return { sent: 0, kept: 0 };
      const kept: TraceDocument[] = [];
      for (let start = 0; start < documents.length; start += batchSize) {
        const batch = documents.slice(start, start + batchSize);
        // Once the engine fails again, keep the rest without trying it.
        if (kept.length > 0) kept.push(...batch);
        else kept.push(...(await send(batch)));
      }
      const temporary = `${this.file}.tmp`;
      await writeFile(temporary, kept.map((document) => JSON.stringify(document)).join('\n') + (kept.length > 0 ? '\n' : ''));
      await rename(temporary, this.file);
      return { sent: documents.length - kept.length, kept: kept.length };
    });
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
