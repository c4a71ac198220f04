import { appendFile, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { TraceDocument } from './trace-document';
import type { SinkResult, TraceSink } from './trace-sink';

/**
 * Rolling NDJSON files, one document a line, for the embedded default (no Elasticsearch):
 * `trace-YYYY-MM-DD.N.ndjson` under the trace folder, a new file each UTC day and past `maxBytes`.
 * Filebeat can ship them as they are (see the README); ModelRun.trace reads them back.
 */
export class FileSink implements TraceSink {
  readonly name = 'file' as const;
  private current: { day: string; sequence: number; file: string; bytes: number } | undefined;

  constructor(
    private readonly directory: string,
    private readonly maxBytes: number,
  ) {}

  async write(documents: readonly TraceDocument[]): Promise<SinkResult> {
    if (documents.length === 0) return { retryable: [], rejected: [] };
    const text = documents.map((document) => JSON.stringify(document)).join('\n') + '\n';
    try {
      const file = await this.fileFor(Buffer.byteLength(text));
      await appendFile(file, text);
      return { retryable: [], rejected: [] };
    } catch {
      return { retryable: [...documents], rejected: [] };
    }
  }

  async close(): Promise<void> {}

  private async fileFor(bytes: number): Promise<string> {
    const day = new Date().toISOString().slice(0, 10);
    if (!this.current || this.current.day !== day) {
      await mkdir(this.directory, { recursive: true });
      // Continue today's newest file after a restart instead of starting over at .0. (A file rolls
      // before the write that would take it past maxBytes, so an older file is usually below it too:
      // the newest is the one with the highest sequence, not the first one below maxBytes.)
      const prefix = `trace-${day}.`;
      const sequence = Math.max(
        0,
        ...(await readdir(this.directory))
          .filter((name) => name.startsWith(prefix) && name.endsWith('.ndjson'))
          .map((name) => Number(name.slice(prefix.length, -'.ndjson'.length)))
          .filter((value) => Number.isInteger(value)),
      );
      const file = this.fileName(day, sequence);
      this.current = { day, sequence, file, bytes: await stat(file).then((info) => info.size, () => 0) };
    }
    if (this.current.bytes > 0 && this.current.bytes + bytes > this.maxBytes) {
      this.current.sequence += 1;
      this.current.bytes = 0;
      this.current.file = this.fileName(day, this.current.sequence);
    }
    this.current.bytes += bytes;
    return this.current.file;
  }

  private fileName(day: string, sequence: number): string {
    return path.join(this.directory, `trace-${day}.${sequence}.ndjson`);
  }
}
