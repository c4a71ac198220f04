import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  ModelInputError,
  RunCancelledError,
  type IterationEvent,
  type KScore,
  type ModelInputReason,
  type ModelingJobInput,
  type ModelingJobOutput,
} from '../model';
import { toError } from '../../../shared/to-error';
import type { WorkerMessage, WorkerRequest } from './messages';

export interface WorkerJobHooks {
  onIteration?(event: IterationEvent & { readonly k: number }): void;
  onKEvaluated?(score: KScore): void;
}

export interface WorkerJob {
  readonly result: Promise<ModelingJobOutput>;
  /** Asks the worker to stop; it does within one iteration and the result rejects with RunCancelledError. */
  cancel(): void;
}

const WORKER_FILE = path.join(__dirname, 'modeling.worker.js');

/**
 * Runs one modeling job on a new worker thread. The input values are transferred, not copied (shared,
 * when on a SharedArrayBuffer): the caller must not use `input.values` afterwards. Errors come back as
 * the model's own error classes.
 */
export function runInWorker(input: ModelingJobInput, hooks: WorkerJobHooks = {}): WorkerJob {
  const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
  const request: WorkerRequest = { input, cancelFlag };
  const shared = input.values.buffer instanceof SharedArrayBuffer;
  const worker = new Worker(WORKER_FILE, { workerData: request, transferList: shared ? [] : [input.values.buffer] });
  const result = new Promise<ModelingJobOutput>((resolve, reject) => {
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      action();
      void worker.terminate();
    };
    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'iteration':
          hooks.onIteration?.(message.event);
          break;
        case 'k-evaluated':
          hooks.onKEvaluated?.(message.score);
          break;
        case 'done':
          settle(() => resolve(message.output));
          break;
        case 'failed':
          settle(() => reject(rebuildError(message.error)));
          break;
      }
    });
    // An uncaught exception in the worker: an Error unless the worker threw something else.
    worker.once('error', (error: unknown) => settle(() => reject(toError(error))));
    worker.once('exit', (code) => settle(() => reject(new Error(`the modeling worker exited with code ${code} before finishing`))));
  });
  return {
    result,
    cancel: () => Atomics.store(cancelFlag, 0, 1),
  };
}

function rebuildError(error: { name: string; reason?: string; message: string }): Error {
  if (error.name === 'RunCancelledError') return new RunCancelledError();
  if (error.name === 'ModelInputError') return new ModelInputError(error.reason as ModelInputReason, error.message);
  return new Error(error.message);
}
