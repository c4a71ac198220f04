import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { CONTROL, Phase, waitForChange, type HelperData } from '../model/lloyd-threads';
import { helperPass, type SharedLloydArrays } from '../model/parallel-lloyd';

// A helper thread of the threaded k-means engine (model/lloyd-threads.ts): it waits for thread 0 to
// start a pass, runs its share on shared memory, reports it done, until told to exit. It never uses
// its event loop while working, and reports any error through shared memory and its port (thread 0
// is blocked in Atomics.wait and would not see an 'error' event).
const { control, port, index, threads, values, rows, columns } = workerData as HelperData;
let arrays: SharedLloydArrays | undefined;
// From 0, not the current value: thread 0 may have started the first phase before this thread ran.
let seen = 0;
for (;;) {
  seen = waitForChange(control, CONTROL.GENERATION, seen);
  const phase = Atomics.load(control, CONTROL.PHASE);
  if (phase === Phase.Exit) break;
  try {
    if (phase === Phase.Setup) {
      // (receiveMessageOnPort is synchronous: thread 0 posted the arrays before starting this phase)
      arrays = receiveMessageOnPort(port)!.message as SharedLloydArrays;
    } else {
      helperPass(phase, values, rows, columns, arrays!, index, threads);
    }
  } catch (error) {
    const failure = error as Error;
    port.postMessage({ name: failure.name, message: failure.message });
    Atomics.store(control, CONTROL.FAILED, 1);
  }
  Atomics.add(control, CONTROL.DONE, 1);
  Atomics.notify(control, CONTROL.DONE);
}
port.close();
