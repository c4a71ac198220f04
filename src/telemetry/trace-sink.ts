import type { TraceDocument } from './trace-document';

export interface SinkResult {
  /** Documents that may succeed later (engine down, overloaded): they go to the spool. */
  readonly retryable: TraceDocument[];
  /** Documents the engine refused for good (e.g. a mapping conflict): counted and logged, not retried. */
  readonly rejected: { document: TraceDocument; reason: string }[];
}

/** Where trace documents are written: Elasticsearch, or rolling files when there is none. */
export interface TraceSink {
  readonly name: 'elasticsearch' | 'file';
  write(documents: readonly TraceDocument[]): Promise<SinkResult>;
  /** Starts the sink's own upkeep (the file sink's retention), when it has any. */
  start?(): void;
  close(): Promise<void>;
}
