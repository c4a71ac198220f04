import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { SharedLloydArrays } from '../model/lloyd-arrays';
import { helperRows } from '../model/lloyd-passes';
import { rowsKernel, type RowsKernel } from '../model/lloyd-rows-kernel';
import { CONTROL, Phase, waitForChange, type HelperData } from '../model/lloyd-threads';

// A helper thread of the Lloyd engine (model/lloyd-threads.ts): says READY once booted, then runs its
// share of every pass from the generation it joined at, until told to exit. Errors go back through
// shared memory and its port: thread 0 is blocked in Atomics.wait and would not see an 'error' event.
const { control, port, index, values, rows, columns } = workerData as HelperData;
let arrays: SharedLloydArrays | undefined;
let kernel: RowsKernel | undefined;
// Generations up to this one began before we were ready: not ours (see LloydThreads.begin).
let seen = Atomics.load(control, CONTROL.GENERATION);
Atomics.store(control, CONTROL.READY_AT + index, 1);
Atomics.notify(control, CONTROL.READY_AT + index); // (waitUntilReady)
while (Atomics.load(control, CONTROL.PHASE) !== Phase.Exit) {
  seen = waitForChange(control, CONTROL.GENERATION, seen);
  const phase = Atomics.load(control, CONTROL.PHASE);
  if (phase === Phase.Exit) break;
  const joinedAt = Atomics.load(control, CONTROL.JOINED_AT + index);
  if (joinedAt === 0 || joinedAt > seen) continue;
  try {
    // The arrays of the current restart: the last message thread 0 posted (receiveMessageOnPort is synchronous).
    for (let message = receiveMessageOnPort(port); message; message = receiveMessageOnPort(port)) {
      arrays = message.message as SharedLloydArrays;
      kernel = rowsKernel(values, columns, arrays); // over the same memories as thread 0's
    }
    if (phase === Phase.Rows) helperRows(kernel!, rows, columns, arrays!, Atomics.load(control, CONTROL.SLOT_AT + index));
  } catch (error) {
    const failure = error as Error;
    port.postMessage({ name: failure.name, message: failure.message });
    Atomics.store(control, CONTROL.FAILED, 1);
  }
  Atomics.add(control, CONTROL.DONE, 1);
  Atomics.notify(control, CONTROL.DONE);
}
port.close();
