import { ASSIGN, ASSIGN_NONE, INERTIA, SOURCE, chunkCount, chunkRows, type SharedLloydArrays } from './lloyd-arrays';
import type { RowsKernel } from './lloyd-rows-kernel';

// How one rows pass is shared between thread 0 and the helpers, without changing a bit of the result.
// The rows are cut into chunks that any thread claims in order (a helper the OS leaves without a core
// then delays a pass by one chunk). Each row's assignment depends on that row alone. Each sum is one
// loop in row order: every thread owns some columns of the sums and adds them chunk after chunk as
// the chunks are done, in the same pass as the assignment for a chunk it claimed itself, right behind
// the thread that assigned it otherwise (the chunk still in cache). Thread 0 also adds the inertia in
// row order. One pass and one barrier per iteration.

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

/** Thread t's columns of the sums, of `threads`. */
const firstColumn = (columns: number, threads: number, thread: number) => Math.floor((columns * thread) / threads);

/**
 * One thread's share of a shared rows pass: the chunks it claims, and its columns of the sums (when
 * assigning) over every row in row order; thread 0 also the inertia. Returns that inertia (thread 0,
 * params[INERTIA]) or 0. Stops early when another thread failed on a chunk (LloydThreads.run raises
 * that thread's error).
 */
function sharedRows(kernel: RowsKernel, rows: number, d: number, s: SharedLloydArrays, thread: number, threads: number): number {
  const tally = kernel.tally(thread);
  const sums = s.params[ASSIGN] !== ASSIGN_NONE ? kernel.threadSums(thread) : undefined;
  const inertia = thread === 0 && s.params[INERTIA] === 1;
  const target = s.assignments[1 - s.params[SOURCE]!]!;
  const from = firstColumn(d, threads, thread);
  const to = firstColumn(d, threads, thread + 1);
  const following = sums !== undefined && from < to;
  const size = chunkRows(rows);
  const chunks = chunkCount(rows);
  const done = s.chunkDone;
  const run = (chunk: number, fused: boolean) => {
    try {
      kernel.rows(chunk * size, Math.min(rows, (chunk + 1) * size), tally, fused ? sums : undefined, from, to);
    } catch (error) {
      Atomics.store(done, chunk, FAILED);
      Atomics.notify(done, chunk);
      throw error;
    }
    Atomics.store(done, chunk, DONE);
    Atomics.notify(done, chunk);
  };
  let total = 0;
  let next = 0; // the next chunk to add to this thread's sums and inertia
  let claiming = true;
  while (claiming || (next < chunks && (following || inertia))) {
    if (next < chunks && (following || inertia) && Atomics.load(done, next) !== PENDING) {
      if (Atomics.load(done, next) === FAILED) return total;
      // Chunk `next` was assigned by another thread: add it now.
      const rowFrom = next * size;
      const rowTo = Math.min(rows, rowFrom + size);
      if (following) kernel.addRows(target, rowFrom, rowTo, sums, from, to);
      if (inertia) total = kernel.addSquared(total, rowFrom, rowTo);
      next++;
      continue;
    }
    const chunk = claiming ? claim(s) : chunks;
    if (chunk < chunks) {
      const fused = chunk === next && (following || inertia);
      run(chunk, fused && following);
      if (fused) {
        if (inertia) total = kernel.addSquared(total, chunk * size, Math.min(rows, (chunk + 1) * size));
        next++;
      }
      continue;
    }
    claiming = false;
    if (next < chunks && (following || inertia) && waitForChunk(done, next) === FAILED) return total;
  }
  if (following) for (let c = 0; c < s.k; c++) s.sums.set(sums.subarray(c * d + from, c * d + to), c * d + from);
  tally.publish(s, thread);
  return total;
}

/**
 * Thread 0's share of a rows pass over `threads` threads (1 when no helper takes part). The caller
 * zeroes the sums before the pass starts (with one thread). Returns the inertia of the pass, in row order (params[INERTIA]).
 */
export function firstThreadRows(kernel: RowsKernel, rows: number, columns: number, s: SharedLloydArrays, threads: number): number {
  if (threads > 1) return sharedRows(kernel, rows, columns, s, 0, threads);
  const tally = kernel.tally(0);
  const inertia = kernel.rows(0, rows, tally, s.params[ASSIGN] !== ASSIGN_NONE ? s.sums : undefined, 0, columns);
  tally.publish(s, 0);
  return inertia;
}

/** A helper's share of a rows pass (lloyd-helper.worker.ts): thread = its slot, threads = the pass's thread count. */
export function helperRows(kernel: RowsKernel, rows: number, columns: number, s: SharedLloydArrays, thread: number, threads: number): void {
  sharedRows(kernel, rows, columns, s, thread, threads);
}
