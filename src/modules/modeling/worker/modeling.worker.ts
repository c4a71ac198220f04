import { parentPort, workerData } from 'node:worker_threads';
import { ModelInputError, runModelingJob } from '../model';
import type { WorkerMessage, WorkerRequest } from './messages';

// A worker thread runs one modeling job, so k-means never blocks the server's event loop. It checks
// the shared cancel flag between iterations (the model's shouldCancel hook).
const { input, cancelFlag } = workerData as WorkerRequest;
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);

try {
  const output = runModelingJob(input, {
    onIteration: (event) => post({ type: 'iteration', event }),
    onKEvaluated: (score) => post({ type: 'k-evaluated', score }),
    shouldCancel: () => Atomics.load(cancelFlag, 0) === 1,
  });
  // The big arrays move to the main thread instead of being copied.
  const moved = [output.keptRowIndexes?.buffer, output.assignments.buffer, output.distances.buffer].filter((buffer) => buffer !== undefined);
  post({ type: 'done', output }, moved as ArrayBuffer[]);
} catch (error) {
  const failure = error as Error;
  post({
    type: 'failed',
    error: { name: failure.name, reason: error instanceof ModelInputError ? error.reason : undefined, message: failure.message },
  });
}
