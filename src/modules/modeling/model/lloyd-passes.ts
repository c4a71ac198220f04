import { ASSIGN, ASSIGN_NONE, INERTIA, RowsTally, SOURCE, chunkCount, chunkRows, type SharedLloydArrays } from './lloyd-arrays';
import { rowsPass } from './lloyd-kernel';

// How one rows pass is shared between thread 0 and the helpers, without changing a bit of the result.
// The rows are cut into chunks that any thread claims in order (a helper the OS leaves without a core
// then delays a pass by one chunk). Each row's assignment depends on that row alone; the sums and the
// inertia are one loop in row order, so thread 0 alone runs them, chunk after chunk as the chunks are
// done: in the same pass as the assignment when it claimed the chunk itself, right behind the helper
// (whose chunk is still in the shared cache) otherwise. One pass and one barrier per iteration.

const PENDING = 0;
const DONE = 1;
const FAILED = 2;

/** The next chunk for this thread, or ≥ chunks when all are taken. */
function claim(s: SharedLloydArrays): number {
  return Atomics.add(s.claims, 0, 1);
}

/** Blocks until chunk `chunk` is no longer pending (spinning first: a chunk takes tens of microseconds). */
function waitForChunk(done: Int32Array, chunk: number): number {
  for (let spin = 0; spin < 2_000; spin++) {
    const state = Atomics.load(done, chunk);
    if (state !== PENDING) return state;
  }
  for (;;) {
    const state = Atomics.load(done, chunk);
    if (state !== PENDING) return state;
    Atomics.wait(done, chunk, PENDING);
  }
}

/** Adds rows [from, to) to the sums of their (new) clusters, in row order. */
function addRows(x: Float64Array, d: number, assignments: Int32Array, from: number, to: number, sums: Float64Array): void {
  for (let i = from; i < to; i++) {
    const xb = i * d;
    const cb = assignments[i]! * d;
    for (let j = 0; j < d; j++) sums[cb + j]! += x[xb + j]!;
  }
}

/**
 * Thread 0's share of a rows pass over `threads` threads (1 when no helper takes part): every chunk
 * the helpers have not claimed, and the sums (when assigning) and the inertia of every row, in row
 * order. Returns that inertia (NaN-free only when params[INERTIA]).
 */
export function firstThreadRows(x: Float64Array, rows: number, columns: number, s: SharedLloydArrays, threads: number): number {
  const tally = new RowsTally(s.k);
  const assigning = s.params[ASSIGN] !== ASSIGN_NONE;
  const sums = assigning ? s.sums : undefined;
  if (sums) sums.fill(0);
  if (threads <= 1) {
    const inertia = rowsPass(x, columns, s, 0, rows, tally, sums);
    tally.publish(s, 0);
    return inertia;
  }
  const inertia = s.params[INERTIA] === 1;
  const target = s.assignments[1 - s.params[SOURCE]!]!;
  const squared = s.squaredDistances;
  const size = chunkRows(rows);
  const chunks = chunkCount(rows);
  const done = s.chunkDone;
  let total = 0;
  let claiming = true;
  for (let next = 0; next < chunks; next++) {
    const from = next * size;
    const to = Math.min(rows, from + size);
    let fused = false;
    // Until chunk `next` is done: claim chunks; the one that is `next` gets its sums in the same pass.
    while (Atomics.load(done, next) === PENDING) {
      const chunk = claiming ? claim(s) : chunks;
      if (chunk >= chunks) {
        claiming = false;
        if (waitForChunk(done, next) === FAILED) return total; // the helper's error is raised by LloydThreads.run
        break;
      }
      if (chunk === next) {
        rowsPass(x, columns, s, from, to, tally, sums);
        fused = true;
        break;
      }
      rowsPass(x, columns, s, chunk * size, Math.min(rows, (chunk + 1) * size), tally);
      Atomics.store(done, chunk, DONE);
    }
    if (sums && !fused) addRows(x, columns, target, from, to, sums);
    if (inertia) for (let i = from; i < to; i++) total += squared[i]!;
  }
  tally.publish(s, 0);
  return total;
}

/** A helper's share of a rows pass (lloyd-helper.worker.ts): the chunks it claims, each marked done (or failed) for thread 0. */
export function helperRows(x: Float64Array, rows: number, columns: number, s: SharedLloydArrays, thread: number): void {
  const tally = new RowsTally(s.k);
  const size = chunkRows(rows);
  const chunks = chunkCount(rows);
  const done = s.chunkDone;
  for (let chunk = claim(s); chunk < chunks; chunk = claim(s)) {
    try {
      rowsPass(x, columns, s, chunk * size, Math.min(rows, (chunk + 1) * size), tally);
    } catch (error) {
      Atomics.store(done, chunk, FAILED);
      Atomics.notify(done, chunk);
      throw error;
    }
    Atomics.store(done, chunk, DONE);
    Atomics.notify(done, chunk);
  }
  tally.publish(s, thread);
}
