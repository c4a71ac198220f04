import type { IterationEvent, KScore, ModelingJobInput, ModelingJobOutput } from '../model';

/** What the main thread sends a modeling worker (once, as workerData). */
export interface WorkerRequest {
  readonly input: ModelingJobInput;
  /** Int32Array over a SharedArrayBuffer: the main thread stores 1 to cancel. */
  readonly cancelFlag: Int32Array;
}

/** What a modeling worker posts back. */
export type WorkerMessage =
  | { readonly type: 'iteration'; readonly event: IterationEvent & { readonly k: number } }
  | { readonly type: 'k-evaluated'; readonly score: KScore }
  | { readonly type: 'done'; readonly output: ModelingJobOutput }
  | { readonly type: 'failed'; readonly error: { readonly name: string; readonly reason?: string; readonly message: string } };
