import type { TraceDocument } from './trace-document';

/** Receives trace documents; the TraceWriter in production. Never awaited by its callers. */
export interface TraceRecorder {
  record(document: TraceDocument): void;
}
