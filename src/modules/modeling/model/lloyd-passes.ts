import { ASSIGN, ASSIGN_NONE, INERTIA, chunkCount, chunkRows, chunkSums, type SharedLloydArrays } from './lloyd-arrays';
import type { RowsKernel } from './lloyd-rows-kernel';

// A rows pass in chunks fixed by the job's shape (chunkRows), the same bits on any number of threads:
// any thread claims the next chunk, assigns its rows into that chunk's own sums, and thread 0 adds the
// chunks' sums and squared distances in chunk order. Each thread reads only its own chunks of the
// matrix (docs/model-runs.md, "Computing").

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

/** The rows [from, to) of chunk `chunk`. */
function chunkRange(rows: number, columns: number, s: SharedLloydArrays, chunk: number): [number, number] {
  const size = chunkRows(rows, s.k, columns);
  return [chunk * size, Math.min(rows, (chunk + 1) * size)];
}

/** Chunk `chunk`'s rows, assigned, into that chunk's zeroed sums when the pass assigns. */
function chunkPass(kernel: RowsKernel, rows: number, columns: number, s: SharedLloydArrays, chunk: number, tally: ReturnType<RowsKernel['tally']>): void {
  const sums = s.params[ASSIGN] !== ASSIGN_NONE ? chunkSums(s, chunk).fill(0) : undefined;
  kernel.rows(...chunkRange(rows, columns, s, chunk), tally, sums);
}

/**
 * Thread 0 only, chunk after chunk in order once each is done: the chunk's sums added to the centroid
 * sums (an assigning pass), and its squared distances to `total` (params[INERTIA]); returns the total.
 */
function addChunk(kernel: RowsKernel, rows: number, columns: number, s: SharedLloydArrays, chunk: number, total: number): number {
  if (s.params[ASSIGN] !== ASSIGN_NONE) {
    const part = chunkSums(s, chunk);
    for (let i = 0; i < part.length; i++) s.sums[i]! += part[i]!;
  }
  return s.params[INERTIA] === 1 ? kernel.addSquared(total, ...chunkRange(rows, columns, s, chunk)) : total;
}

/**
 * One thread's share of a shared rows pass: the chunks it claims; thread 0 also adds every chunk's
 * sums and squared distances in chunk order. Returns that inertia (thread 0, params[INERTIA]) or 0.
 * Stops early when another thread failed on a chunk (LloydThreads.run raises that thread's error).
 */
function sharedRows(kernel: RowsKernel, rows: number, columns: number, s: SharedLloydArrays, thread: number): number {
  const tally = kernel.tally(thread);
  const following = thread === 0 && (s.params[ASSIGN] !== ASSIGN_NONE || s.params[INERTIA] === 1);
  const chunks = chunkCount(rows, s.k, columns);
  const done = s.chunkDone;
  let total = 0;
  let next = 0; // the next chunk thread 0 adds to the sums and the inertia
  let claiming = true;
  while (claiming || (following && next < chunks)) {
    if (following && next < chunks && Atomics.load(done, next) !== PENDING) {
      if (Atomics.load(done, next) === FAILED) return total;
      total = addChunk(kernel, rows, columns, s, next, total);
      next++;
      continue;
    }
    const chunk = claiming ? claim(s) : chunks;
    if (chunk < chunks) {
      try {
        chunkPass(kernel, rows, columns, s, chunk, tally);
      } catch (error) {
        Atomics.store(done, chunk, FAILED);
        Atomics.notify(done, chunk);
        throw error;
      }
      Atomics.store(done, chunk, DONE);
      Atomics.notify(done, chunk);
      continue;
    }
    claiming = false;
    if (following && next < chunks && waitForChunk(done, next) === FAILED) return total;
  }
  tally.publish(s, thread);
  return total;
}

/**
 * Thread 0's share of a rows pass over `threads` threads (1 when no helper takes part). The caller
 * zeroes the sums before an assigning pass starts. Returns the inertia of the pass, in row order (params[INERTIA]).
 */
export function firstThreadRows(kernel: RowsKernel, rows: number, columns: number, s: SharedLloydArrays, threads: number): number {
  if (threads > 1) return sharedRows(kernel, rows, columns, s, 0);
  const tally = kernel.tally(0);
  let total = 0;
  for (let chunk = 0, chunks = chunkCount(rows, s.k, columns); chunk < chunks; chunk++) {
    chunkPass(kernel, rows, columns, s, chunk, tally);
    total = addChunk(kernel, rows, columns, s, chunk, total);
  }
  tally.publish(s, 0);
  return total;
}

/** A helper's share of a rows pass (lloyd-helper.worker.ts): thread = its slot. */
export function helperRows(kernel: RowsKernel, rows: number, columns: number, s: SharedLloydArrays, thread: number): void {
  sharedRows(kernel, rows, columns, s, thread);
}
