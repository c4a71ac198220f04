import { MIN_SKIP, nearestTwo, PAD, type FastLloydOptions, type FastLloydStep } from './fast-lloyd';
import { Phase, type LloydThreads } from './lloyd-threads';

/**
 * The 'fast' engine on several threads (LloydThreads: this thread and helpers over shared memory),
 * BIT-IDENTICAL to the one-thread engine (fast-lloyd.ts) and so to ml-kmeans 7 from the same initial
 * centroids. Each value is computed by the same expression, in the same order, as there:
 *
 *  - Rows pass (rows split into contiguous ranges, one per thread; thread 0 then takes the chunks a
 *    helper has not reached yet): the assignment of each row is independent of every other row — the
 *    same nearestTwo() scan and the same Hamerly test with the same margins decide it, whichever
 *    thread runs it. Per-thread count deltas and "changed" flags are merged by thread 0.
 *  - Sums: every sum is still ONE sequential loop over all rows in row order, starting from 0, adding
 *    x[i][j] for the rows of cluster c — exactly the one-thread sum. Thread 0's rows come first, so it
 *    starts every cluster's sums from 0 while it assigns them in the rows pass (the row is in cache
 *    then); the sums pass continues them over the other rows, in row order, split by (cluster, column):
 *    each thread owns contiguous column ranges of some of the changed clusters. (When thread 0 had
 *    every row there is no sums pass at all: one pass over the matrix per iteration.) Sums of clusters
 *    that did not change are computed but not used: their centroid is kept, as in the one-thread
 *    engine. Thread 0 then divides, measures the movement and tests convergence as the one-thread
 *    engine does (k × columns work).
 *  - Inertia (trackInertia): each thread computes the squared distances of its rows (recomputed only
 *    for clusters that changed, the others kept, as in the one-thread engine) into a shared array;
 *    thread 0 adds its own rows in row order during the pass and then the others' rows in row order,
 *    so the total is the one row-order sum. This pass is fused with the next iteration's assignment
 *    (both need the updated centroids and the row's values), which is why the assignments are double
 *    buffered: step t reports assignments[t] while the pass writes assignments[t + 1].
 *
 * The exact shortcut for unchanged clusters (same rows in the same order ⇒ same sums, same mean) and
 * the bounds' safety margins carry over unchanged, so pruning still only skips work whose outcome is
 * certain. Two barriers per iteration (a rows pass and a sums pass, with or without inertia), no copy
 * of the matrix: per restart, 2 × 4 + 8 + 8 + 8 = 32 bytes per row of shared state (assignments twice,
 * bounds, squared distances) instead of 28 on one thread.
 *
 * How many threads share a pass is decided per pass (LloydThreads.begin: the helpers booted by then),
 * and every split above gives the same bits for any thread count, so helpers may join mid-run.
 */

// params[] slots, written by thread 0 before each pass.
const ASSIGN = 0;
const INERTIA = 1;
const SOURCE = 2;
const MAX_MOVE = 3;
const SECOND_MOVE = 4;
const MAX_MOVE_INDEX = 5;
const USE_BOUNDS = 6;
/** The sums pass continues the sums that thread 0 started in the rows pass, from this row on. */
const SUMS_FROM = 7;
const PARAMS = 8;

// params[ASSIGN]
const ASSIGN_NONE = 0;
const ASSIGN_FIRST = 1;
const ASSIGN_FULL = 2;
const ASSIGN_BOUNDS = 3;

/** The per-restart shared arrays (all on SharedArrayBuffers); sent to the helpers once per restart. */
export interface SharedLloydArrays {
  readonly k: number;
  readonly params: Float64Array;
  /** Current centroids, k × columns (written by thread 0 between passes). */
  readonly centroids: Float64Array;
  readonly half: Float64Array;
  readonly move: Float64Array;
  /** 1 for the clusters whose rows' squared distances the inertia pass must recompute. */
  readonly previousChanged: Uint8Array;
  readonly assignments: readonly [Int32Array, Int32Array];
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  readonly squaredDistances: Float64Array;
  readonly sums: Float64Array;
  /** Per thread, k entries each. */
  readonly countDeltas: Int32Array;
  readonly changedBy: Uint8Array;
  readonly columnFrom: Int32Array;
  readonly columnTo: Int32Array;
  /** Per thread: distances computed to assign its rows. */
  readonly computed: Float64Array;
  /** Per helper slot: chunks of its rows claimed from the front (by it, bits 16–31) and from the back (by thread 0, bits 0–15). */
  readonly claims: Int32Array;
}

const shared = {
  f64: (length: number) => new Float64Array(new SharedArrayBuffer(length * 8)),
  i32: (length: number) => new Int32Array(new SharedArrayBuffer(length * 4)),
  u8: (length: number) => new Uint8Array(new SharedArrayBuffer(length)),
};

function allocate(rows: number, columns: number, k: number, threads: number, useBounds: boolean, trackInertia: boolean): SharedLloydArrays {
  return {
    k,
    params: shared.f64(PARAMS),
    centroids: shared.f64(k * columns),
    half: shared.f64(k),
    move: shared.f64(k),
    previousChanged: shared.u8(k),
    assignments: [shared.i32(rows), shared.i32(rows)],
    upper: shared.f64(useBounds ? rows : 0),
    lower: shared.f64(useBounds ? rows : 0),
    squaredDistances: shared.f64(trackInertia ? rows : 0),
    sums: shared.f64(k * columns),
    countDeltas: shared.i32(threads * k),
    changedBy: shared.u8(threads * k),
    columnFrom: shared.i32(threads * k),
    columnTo: shared.i32(threads * k),
    computed: shared.f64(threads),
    claims: shared.i32(threads),
  };
}

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

/** What one thread's share of a rows pass changed: count deltas, changed clusters, distances computed. */
class RowsTally {
  readonly deltas: Int32Array;
  readonly changed: Uint8Array;
  computed = 0;
  constructor(k: number) {
    this.deltas = new Int32Array(k);
    this.changed = new Uint8Array(k);
  }
  publish(s: SharedLloydArrays, thread: number): void {
    s.countDeltas.set(this.deltas, thread * s.k);
    s.changedBy.set(this.changed, thread * s.k);
    s.computed[thread] = this.computed;
  }
}

/**
 * A helper's rows are processed in chunks claimed one at a time: the helper from the front, thread 0
 * from the back once its own rows are done. So a helper that the OS leaves without a core (the
 * machine is shared) delays a pass by one chunk, not by its whole share; which thread assigns a row
 * does not change anything it computes.
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

/** A helper's share of a rows pass (slot ≥ 1 of `threads`): its rows, chunk by chunk from the front. */
function helperRows(x: Float64Array, rows: number, columns: number, s: SharedLloydArrays, slot: number, threads: number): void {
  const tally = new RowsTally(s.k);
  claimedRows(x, rows, columns, s, slot, threads, true, tally);
  tally.publish(s, slot);
}

/** The rows pass over the chunks of `slot`'s rows this thread claims, from the front (the slot's helper) or the back (thread 0). */
function claimedRows(x: Float64Array, rows: number, columns: number, s: SharedLloydArrays, slot: number, threads: number, fromFront: boolean, tally: RowsTally): void {
  const from = rowFrom(rows, threads, slot);
  const to = rowFrom(rows, threads, slot + 1);
  const size = chunkRows(to - from);
  const chunks = Math.ceil((to - from) / size);
  for (let chunk = claim(s.claims, slot, chunks, fromFront); chunk >= 0; chunk = claim(s.claims, slot, chunks, fromFront)) {
    rowsPass(x, columns, s, from + chunk * size, Math.min(to, from + (chunk + 1) * size), tally);
  }
}

/** Thread 0's share of a rows pass: its rows in order (returning their row-order inertia sum), then whatever the helpers have not claimed yet, from the back. */
function firstThreadRows(x: Float64Array, rows: number, columns: number, s: SharedLloydArrays, threads: number): number {
  const tally = new RowsTally(s.k);
  // Thread 0's own rows come first in row order: it starts every cluster's sums over them (see the file comment).
  const assigning = s.params[ASSIGN] !== ASSIGN_NONE;
  if (assigning) s.sums.fill(0);
  const inertia = rowsPass(x, columns, s, 0, rowFrom(rows, threads, 1), tally, assigning ? s.sums : undefined);
  for (let slot = 1; slot < threads; slot++) claimedRows(x, rows, columns, s, slot, threads, false, tally);
  tally.publish(s, 0);
  return inertia;
}

/**
 * The rows pass over rows [from, to): the inertia distances of the last update (when
 * params[INERTIA]), then the assignment (params[ASSIGN]) from assignments[SOURCE] into the other
 * buffer. Returns the row-order sum of the squared distances of these rows.
 */
function rowsPass(x: Float64Array, columns: number, s: SharedLloydArrays, from: number, to: number, tally: RowsTally, prefixSums?: Float64Array): number {
  const d = columns;
  const { k, params, centroids, half, move, previousChanged, upper, lower, squaredDistances } = s;
  const assign = params[ASSIGN]!;
  const inertia = params[INERTIA] === 1;
  const useBounds = params[USE_BOUNDS] === 1;
  const sourceIndex = params[SOURCE]!;
  const source = s.assignments[sourceIndex]!;
  const target = s.assignments[1 - sourceIndex]!;
  const maxMove = params[MAX_MOVE]!;
  const secondMove = params[SECOND_MOVE]!;
  const maxMoveIndex = params[MAX_MOVE_INDEX]!;
  const eta = (d + 8) * 2 ** -52;
  const up = 1 + eta;
  const down = 1 - eta;
  const { deltas, changed } = tally;
  const nearest = new Float64Array(3);
  // With the inertia fused in, every upper bound is valid for the current centroids (exact for the
  // rows of changed clusters, unchanged centroid for the others), as after the one-thread inertia pass.
  const upperTight = inertia;
  let inertiaSum = 0;
  let computed = 0;
  for (let i = from; i < to; i++) {
    const a = source[i]!;
    let u = 0;
    if (inertia) {
      if (previousChanged[a]) {
        const xb = i * d;
        const cb = a * d;
        let sum = 0;
        for (let j = 0; j < d; j++) {
          const t = x[xb + j]! - centroids[cb + j]!;
          sum += t * t;
        }
        squaredDistances[i] = sum;
        if (useBounds) upper[i] = Math.sqrt(sum) * up + PAD;
      }
      inertiaSum += squaredDistances[i]!;
    }
    if (assign === ASSIGN_NONE) continue;
    if (assign !== ASSIGN_BOUNDS) {
      nearestTwo(x, d, k, centroids, i, nearest);
      const best = nearest[0]!;
      if (assign === ASSIGN_FIRST) deltas[best]!++;
      else if (best !== a) {
        deltas[a]!--;
        deltas[best]!++;
        changed[a] = 1;
        changed[best] = 1;
      }
      target[i] = best;
      if (prefixSums) {
        const xb = i * d;
        const cb = best * d;
        for (let j = 0; j < d; j++) prefixSums[cb + j]! += x[xb + j]!;
      }
      if (useBounds) {
        upper[i] = Math.sqrt(nearest[1]!) * up + PAD;
        const l = Math.sqrt(nearest[2]!) * down - PAD;
        lower[i] = l > 0 ? l : 0;
      }
      continue;
    }
    // Hamerly's test first, one distance to tighten u next, a full scan last (as assignWithBounds).
    u = upper[i]!;
    if (!upperTight) u = (u + move[a]!) * up;
    let l = (lower[i]! - (a === maxMoveIndex ? secondMove : maxMove)) * down;
    if (!(l > 0)) l = 0;
    const sa = half[a]!;
    const m = sa > l ? sa : l;
    let scan = !(m > MIN_SKIP && u * up < m * down);
    if (scan && !upperTight) {
      const xb = i * d;
      const cb = a * d;
      let sum = 0;
      for (let j = 0; j < d; j++) {
        const t = x[xb + j]! - centroids[cb + j]!;
        sum += t * t;
      }
      computed++;
      u = Math.sqrt(sum) * up + PAD;
      scan = !(m > MIN_SKIP && u * up < m * down);
    }
    let best = a;
    if (scan) {
      nearestTwo(x, d, k, centroids, i, nearest);
      computed += k;
      best = nearest[0]!;
      if (best !== a) {
        deltas[a]!--;
        deltas[best]!++;
        changed[a] = 1;
        changed[best] = 1;
      }
      u = Math.sqrt(nearest[1]!) * up + PAD;
      l = Math.sqrt(nearest[2]!) * down - PAD;
      if (!(l > 0)) l = 0;
    }
    target[i] = best;
    if (prefixSums) {
      const xb = i * d;
      const cb = best * d;
      for (let j = 0; j < d; j++) prefixSums[cb + j]! += x[xb + j]!;
    }
    upper[i] = u;
    lower[i] = l;
  }
  tally.computed += assign === ASSIGN_FIRST || assign === ASSIGN_FULL ? (to - from) * k : computed;
  return inertiaSum;
}

/**
 * The sums pass of one thread: for each cluster c it owns columns [columnFrom, columnTo) of, the sums
 * Σ x[i][j] over the rows of c IN ROW ORDER from 0 — the one-thread engine's loop restricted to them.
 */
export function sumsPass(x: Float64Array, rows: number, columns: number, s: SharedLloydArrays, thread: number): void {
  const d = columns;
  const { k, sums } = s;
  const assignments = s.assignments[s.params[SOURCE]!]!;
  const from = s.columnFrom.slice(thread * k, (thread + 1) * k);
  const to = s.columnTo.slice(thread * k, (thread + 1) * k);
  let any = false;
  for (let c = 0; c < k; c++) if (from[c]! < to[c]!) any = true;
  if (!any) return;
  for (let i = s.params[SUMS_FROM]!; i < rows; i++) {
    const c = assignments[i]!;
    const f = from[c]!;
    const t = to[c]!;
    if (f === t) continue;
    const xb = i * d;
    const cb = c * d;
    for (let j = f; j < t; j++) sums[cb + j]! += x[xb + j]!;
  }
}

/**
 * Thread 0's sums share, then the share of any helper that has not started its own yet (a helper
 * that has not been given a core by then): one scan for each, in row order all the same.
 */
function sumsOfFirstThread(x: Float64Array, rows: number, columns: number, s: SharedLloydArrays, threads: number): void {
  sumsPass(x, rows, columns, s, 0);
  for (let slot = 1; slot < threads; slot++) if (Atomics.compareExchange(s.claims, slot, 0, 2) === 0) sumsPass(x, rows, columns, s, slot);
}

/** Runs a helper's share of a pass (called by lloyd-helper.worker.ts): thread = its slot, threads = the pass's thread count. */
export function helperPass(phase: number, x: Float64Array, rows: number, columns: number, s: SharedLloydArrays, thread: number, threads: number): void {
  if (phase === Phase.Rows) helperRows(x, rows, columns, s, thread, threads);
  // A helper's sums share is claimed whole (claims[slot]: 0 → 1), unless thread 0 took it first (see sumsOfFirstThread).
  else if (phase === Phase.Sums && Atomics.compareExchange(s.claims, thread, 0, 1) === 0) sumsPass(x, rows, columns, s, thread);
}

/**
 * The threaded equivalent of fastLloydGenerator (which validates the arguments and delegates here when
 * given helper threads). Yields the same steps, bit for bit.
 */
export function* parallelLloydGenerator(pool: LloydThreads, initialCentroids: readonly ArrayLike<number>[], options: FastLloydOptions): Generator<FastLloydStep, void, undefined> {
  const { values: x, rows: n, columns: d } = pool.matrix;
  const threads = pool.threads; // (the arrays are sized for all; each pass uses those ready, see LloydThreads.begin)
  const k = initialCentroids.length;
  const { maxIterations, tolerance } = options;
  const useBounds = options.useBounds ?? true;
  const trackInertia = options.trackInertia ?? false;
  const s = allocate(n, d, k, threads, useBounds, trackInertia);
  initialCentroids.forEach((centroid, c) => {
    if (centroid.length !== d) throw new RangeError(`initial centroid ${c} has ${centroid.length} values, expected ${d}`);
    for (let j = 0; j < d; j++) s.centroids[c * d + j] = centroid[j]!;
  });
  const { params, centroids, sums, half, move } = s;
  params[USE_BOUNDS] = useBounds ? 1 : 0;
  params[MAX_MOVE_INDEX] = -1;
  pool.setup(s);

  const counts = new Int32Array(k);
  const changed = new Uint8Array(k);
  const shifts = new Float64Array(k);
  const next = new Float64Array(k * d);
  const eta = (d + 8) * 2 ** -52;
  let current = 0;
  let computed = 0;
  let inertiaOfThread0 = 0;
  /** Threads of the last rows pass: its split of the rows, and whose deltas to merge. */
  let rowsThreads = 1;

  const rowsPassOn = (assign: number, inertia: boolean) => {
    params[ASSIGN] = assign;
    params[INERTIA] = inertia ? 1 : 0;
    params[SOURCE] = current;
    rowsThreads = pool.begin();
    s.claims.fill(0);
    pool.run(Phase.Rows, () => {
      inertiaOfThread0 = firstThreadRows(x, n, d, s, rowsThreads);
    });
  };
  /** After an assigning rows pass: counts, changed flags and distances, and the new assignments become current. */
  const mergeAssignment = (first: boolean) => {
    if (first) counts.fill(0);
    changed.fill(first ? 1 : 0);
    computed = 0;
    for (let t = 0; t < rowsThreads; t++) {
      computed += s.computed[t]!;
      for (let c = 0; c < k; c++) {
        counts[c]! += s.countDeltas[t * k + c]!;
        if (s.changedBy[t * k + c]) changed[c] = 1;
      }
    }
    current = 1 - current;
  };
  const inertiaTotal = () => {
    let total = inertiaOfThread0;
    const squared = s.squaredDistances;
    for (let i = rowFrom(n, rowsThreads, 1); i < n; i++) total += squared[i]!;
    return total;
  };

  let iteration = 1;
  rowsPassOn(ASSIGN_FIRST, false);
  mergeAssignment(true);
  for (;;) {
    // The sums of the changed clusters over the rows after thread 0's own, continuing from where the
    // rows pass left them, split by (cluster, column) between the threads.
    params[SUMS_FROM] = rowFrom(n, rowsThreads, 1);
    if (params[SUMS_FROM]! < n) {
      const sumsThreads = pool.begin();
      splitSums(counts, changed, d, sumsThreads, s.columnFrom, s.columnTo);
      params[SOURCE] = current;
      s.claims.fill(0);
      pool.run(Phase.Sums, () => sumsOfFirstThread(x, n, d, s, sumsThreads));
    }

    // Means, movements and convergence (as LloydState.updateCentroids).
    let converged = true;
    let maxMove = 0;
    let secondMove = 0;
    let maxMoveIndex = -1;
    for (let c = 0; c < k; c++) {
      const cb = c * d;
      const count = counts[c]!;
      let shift = 0;
      for (let j = 0; j < d; j++) {
        next[cb + j] = changed[c] && count ? sums[cb + j]! / count : centroids[cb + j]!;
        const t = next[cb + j]! - centroids[cb + j]!;
        shift += t * t;
      }
      shifts[c] = shift;
      if (shift > tolerance) converged = false;
      const moved = Math.sqrt(shift) * (1 + eta) + PAD;
      move[c] = moved;
      if (!(moved <= maxMove)) {
        secondMove = maxMove;
        maxMove = moved;
        maxMoveIndex = c;
      } else if (!(moved <= secondMove)) {
        secondMove = moved;
      }
    }
    params[MAX_MOVE] = maxMove;
    params[SECOND_MOVE] = secondMove;
    params[MAX_MOVE_INDEX] = maxMoveIndex;
    centroids.set(next);
    const last = converged || iteration >= maxIterations;
    const nextAssign = last ? ASSIGN_NONE : useBounds ? ASSIGN_BOUNDS : ASSIGN_FULL;
    if (nextAssign === ASSIGN_BOUNDS) halfDistancesToNearestCentroid(centroids, d, k, eta, half);

    let inertia = Number.NaN;
    if (trackInertia) {
      // This iteration's inertia, fused with the next iteration's assignment (into the other buffer).
      s.previousChanged.set(changed);
      rowsPassOn(nextAssign, true);
      inertia = inertiaTotal();
    }
    yield {
      iterations: iteration,
      converged,
      clusters: s.assignments[current]!,
      centroids: centroids.slice(),
      clusterSizes: counts.slice(),
      centroidShifts: shifts.slice(),
      inertia,
      distanceComputations: computed,
    };
    if (last) return;
    if (!trackInertia) rowsPassOn(nextAssign, false);
    mergeAssignment(false);
    iteration++;
  }
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

/** As LloydState.halfDistancesToNearestCentroid. */
function halfDistancesToNearestCentroid(centroids: Float64Array, d: number, k: number, eta: number, half: Float64Array): void {
  half.fill(Infinity);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let sum = 0;
      for (let j = 0; j < d; j++) {
        const t = centroids[a * d + j]! - centroids[b * d + j]!;
        sum += t * t;
      }
      const lower = Math.sqrt(sum) * (1 - eta) - PAD;
      const h = (lower > 0 ? lower : 0) / 2;
      if (h < half[a]!) half[a] = h;
      if (h < half[b]!) half[b] = h;
    }
  }
}
