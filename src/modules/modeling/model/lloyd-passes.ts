import { ASSIGN, ASSIGN_NONE, RowsTally, type SharedLloydArrays } from './lloyd-arrays';
import { rowsPass, sumsPass } from './lloyd-kernel';
import { Phase } from './lloyd-threads';

// How one pass is shared between thread 0 and the helpers. No split changes a bit of the result:
// each row's assignment depends on that row alone, and each sum is one loop in row order (split by
// cluster and column, never by rows), so helpers may join at any pass.

/**
 * Thread 0's share of a rows pass, relative to an even split: smaller, because it also adds its rows
 * to the sums as it assigns them (and takes the chunks a late helper has not reached).
 */
const FIRST_SHARE = 0.85;

/** The contiguous rows of thread t (of `threads`): [rowFrom(t), rowFrom(t + 1)). */
export function rowFrom(rows: number, threads: number, thread: number): number {
  if (thread <= 0) return 0;
  if (thread >= threads) return rows;
  const head = Math.floor((rows * FIRST_SHARE) / threads);
  return head + Math.floor(((rows - head) * (thread - 1)) / (threads - 1));
}

/**
 * A helper's rows are claimed chunk by chunk: by the helper from the front, by thread 0 from the back
 * once its own rows are done. A helper the OS leaves without a core (the machine is shared) then
 * delays a pass by one chunk, not by its whole share.
 */
function chunkRows(rows: number): number {
  return Math.max(2048, Math.ceil(rows / 30_000));
}

function claim(claims: Int32Array, slot: number, chunks: number, fromFront: boolean): number {
  for (;;) {
    const word = Atomics.load(claims, slot);
    const front = word >>> 16;
    const back = word & 0xffff;
    if (front + back >= chunks) return -1;
    if (Atomics.compareExchange(claims, slot, word, word + (fromFront ? 0x10000 : 1)) === word) return fromFront ? front : chunks - 1 - back;
  }
}

/** The rows pass over the chunks of `slot`'s rows this thread claims, from the front (the slot's helper) or the back (thread 0). */
function claimedRows(
  x: Float64Array,
  rows: number,
  columns: number,
  s: SharedLloydArrays,
  slot: number,
  threads: number,
  fromFront: boolean,
  tally: RowsTally,
): void {
  const from = rowFrom(rows, threads, slot);
  const to = rowFrom(rows, threads, slot + 1);
  const size = chunkRows(to - from);
  const chunks = Math.ceil((to - from) / size);
  for (let chunk = claim(s.claims, slot, chunks, fromFront); chunk >= 0; chunk = claim(s.claims, slot, chunks, fromFront)) {
    rowsPass(x, columns, s, from + chunk * size, Math.min(to, from + (chunk + 1) * size), tally);
  }
}

/** Thread 0's share of a rows pass: its rows in order (returning their row-order inertia sum), then whatever the helpers have not claimed yet. */
export function firstThreadRows(x: Float64Array, rows: number, columns: number, s: SharedLloydArrays, threads: number): number {
  const tally = new RowsTally(s.k);
  // Thread 0's rows come first in row order, so it starts every cluster's sums while the row is in cache.
  const assigning = s.params[ASSIGN] !== ASSIGN_NONE;
  if (assigning) s.sums.fill(0);
  const inertia = rowsPass(x, columns, s, 0, rowFrom(rows, threads, 1), tally, assigning ? s.sums : undefined);
  for (let slot = 1; slot < threads; slot++) claimedRows(x, rows, columns, s, slot, threads, false, tally);
  tally.publish(s, 0);
  return inertia;
}

/** Thread 0's sums share, then the share of any helper that has not started its own yet: one scan for each. */
export function firstThreadSums(x: Float64Array, rows: number, columns: number, s: SharedLloydArrays, threads: number): void {
  sumsPass(x, rows, columns, s, 0);
  for (let slot = 1; slot < threads; slot++) if (Atomics.compareExchange(s.claims, slot, 0, 2) === 0) sumsPass(x, rows, columns, s, slot);
}

/** A helper's share of a pass (lloyd-helper.worker.ts): thread = its slot, threads = the pass's thread count. */
export function helperPass(phase: number, x: Float64Array, rows: number, columns: number, s: SharedLloydArrays, thread: number, threads: number): void {
  if (phase === Phase.Rows) {
    const tally = new RowsTally(s.k);
    claimedRows(x, rows, columns, s, thread, threads, true, tally);
    tally.publish(s, thread);
  }
  // A helper's sums share is claimed whole (claims[slot]: 0 → 1), unless thread 0 took it first.
  else if (phase === Phase.Sums && Atomics.compareExchange(s.claims, thread, 0, 1) === 0) sumsPass(x, rows, columns, s, thread);
}

/**
 * Splits the sums work — count[c] rows × 1 column per (cluster, column) of every changed cluster, in
 * (cluster, column) order — into `threads` nearly equal contiguous parts: thread t gets columns
 * [from[t·k + c], to[t·k + c]) of cluster c (empty when from = to).
 */
export function splitSums(counts: Int32Array, changed: Uint8Array, columns: number, threads: number, from: Int32Array, to: Int32Array): void {
  const k = counts.length;
  from.fill(0);
  to.fill(0);
  let total = 0;
  for (let c = 0; c < k; c++) if (changed[c]) total += counts[c]! * columns;
  let position = 0;
  for (let c = 0; c < k; c++) {
    if (!changed[c]) continue;
    const weight = counts[c]!;
    let owner = -1;
    for (let j = 0; j < columns; j++) {
      const middle = position + weight * (j + 0.5);
      const t = total > 0 ? Math.min(threads - 1, Math.floor((middle * threads) / total)) : 0;
      if (t !== owner) {
        owner = t;
        from[t * k + c] = j;
      }
      to[t * k + c] = j + 1;
    }
    position += weight * columns;
  }
}
