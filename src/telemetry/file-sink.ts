import { appendFile, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { sweepTraceFiles, type RetentionPolicy } from './file-retention';
import type { TraceDocument } from './trace-document';
import { RUNS_FOLDER, runFile } from './trace-files';
import type { SinkResult, TraceSink } from './trace-sink';

export interface FileSinkRetention extends RetentionPolicy {
  /** How often the policy is applied after the sweep at start. Default: every hour. */
  readonly intervalMs?: number;
  /** A sweep that failed (it is tried again at the next interval). */
  readonly onError?: (error: unknown) => void;
  readonly now?: () => Date;
}

const HOUR_MS = 60 * 60 * 1000;

/**
 * Rolling NDJSON files, one document a line, for the embedded default (no Elasticsearch):
 * `trace-YYYY-MM-DD.N.ndjson` under the trace folder, a new file each UTC day and past `maxBytes`.
 * deploy/filebeat.yml ships them to Elasticsearch as they are. Each run's events also go to its own file
 * (trace-files.ts), which is all ModelRun.trace reads. With `retention`, old files are deleted at
 * start and periodically (file-retention.ts).
 */
export class FileSink implements TraceSink {
  readonly name = 'file' as const;
  private current: { day: string; sequence: number; file: string; bytes: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly directory: string,
    private readonly maxBytes: number,
    private readonly retention?: FileSinkRetention,
  ) {}

  /** Applies the retention policy now and then every `intervalMs`. */
  start(): void {
    if (!this.retention || this.timer) return;
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.retention.intervalMs ?? HOUR_MS);
    this.timer.unref();
  }

  /** One pass of the retention policy; returns the deleted paths (none without a policy, or when it failed). */
  sweep(): Promise<string[]> {
    const retention = this.retention;
    if (!retention) return Promise.resolve([]);
    const pass = this.sweeping.then(() => sweepTraceFiles(this.directory, retention, (retention.now ?? (() => new Date()))(), this.current?.file));
    this.sweeping = pass.catch(() => undefined);
    return pass.catch((error: unknown) => {
      retention.onError?.(error);
      return [];
    });
  }

  async write(documents: readonly TraceDocument[]): Promise<SinkResult> {
    if (documents.length === 0) return { retryable: [], rejected: [] };
    const text = documents.map((document) => JSON.stringify(document)).join('\n') + '\n';
    try {
      const file = await this.fileFor(Buffer.byteLength(text));
      await appendFile(file, text);
    } catch {
      return { retryable: [...documents], rejected: [] };
    }
    // Already in the daily file: a run file that cannot be written is reported, not retried (that
    // would write the daily lines twice).
    return { retryable: [], rejected: await this.writeRunFiles(documents) };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  private async writeRunFiles(documents: readonly TraceDocument[]): Promise<SinkResult['rejected']> {
    const byRun = new Map<string, TraceDocument[]>();
    for (const document of documents) {
      const runId = document.trace?.id;
      if (document._target !== 'events' || !runId || runFile(this.directory, runId) === null) continue;
      byRun.set(runId, [...(byRun.get(runId) ?? []), document]);
    }
    if (byRun.size === 0) return [];
    const rejected: SinkResult['rejected'] = [];
    await mkdir(path.join(this.directory, RUNS_FOLDER), { recursive: true }).catch(() => undefined);
    for (const [runId, ofRun] of byRun) {
      try {
        await appendFile(runFile(this.directory, runId)!, ofRun.map((document) => JSON.stringify(document)).join('\n') + '\n');
      } catch (error) {
        const reason = `the run's trace file could not be written: ${error instanceof Error ? error.message : String(error)}`;
        rejected.push(...ofRun.map((document) => ({ document, reason })));
      }
    }
    return rejected;
  }

  private async fileFor(bytes: number): Promise<string> {
    const day = new Date().toISOString().slice(0, 10);
    if (this.current?.day !== day) {
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
      this.current = {
        day,
        sequence,
        file,
        bytes: await stat(file).then(
          (info) => info.size,
          () => 0,
        ),
      };
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
