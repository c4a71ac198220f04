import type { ModelRunRecord } from './run.record';

/**
 * What one request has published (RunService.publish), made with the request's context: its last
 * publish. An alias asking for the same run again, with no other publish of the request between, is
 * given that answer; one that goes back to a run after another was published publishes it again.
 */
export class RequestPublishes {
  private last: { readonly runId: string; readonly answer: Promise<ModelRunRecord> } | null = null;

  /** The answer of this request's last publish when it was of `runId`. */
  repeated(runId: string): Promise<ModelRunRecord> | undefined {
    return this.last?.runId === runId ? this.last.answer : undefined;
  }

  published(runId: string, answer: Promise<ModelRunRecord>): void {
    this.last = { runId, answer };
  }
}
