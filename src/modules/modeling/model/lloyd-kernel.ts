// The arithmetic of Lloyd's passes, run by thread 0 and by the helper threads alike. Every value is
// computed with ml-kmeans 7's expression, in its order (Σ_j (x_j − c_j)², j ascending; sums in row
// order from 0), so any split of the rows between threads gives the same bits as ml-kmeans.

/** Absolute widening of every bound, so that an underflowed distance cannot make a bound unsafe. */
export const PAD = 1e-150;
/** Below this a bound never lets a row skip its scan. */
export const MIN_SKIP = 1e-140;

/**
 * Relative widening η of every bound: larger than the rounding error of a squared distance over
 * `columns` values (≈ (columns + 2)·2⁻⁵³), of its square root and of one add. With it the bounds hold
 * for the exact distances between the stored vectors, which is what makes skipping a row safe.
 */
export function boundMargin(columns: number): number {
  return (columns + 8) * 2 ** -52;
}

// params[] slots, written by thread 0 before each pass.
export const ASSIGN = 0;
export const INERTIA = 1;
export const SOURCE = 2;
export const MAX_MOVE = 3;
export const SECOND_MOVE = 4;
export const MAX_MOVE_INDEX = 5;
export const USE_BOUNDS = 6;
/** The sums pass continues the sums that thread 0 started in the rows pass, from this row on. */
export const SUMS_FROM = 7;
const PARAMS = 8;

// params[ASSIGN]
export const ASSIGN_NONE = 0;
export const ASSIGN_FIRST = 1;
export const ASSIGN_FULL = 2;
export const ASSIGN_BOUNDS = 3;

/** The arrays of one restart, on SharedArrayBuffers so that the helper threads work on them in place. */
export interface SharedLloydArrays {
  readonly k: number;
  readonly params: Float64Array;
  /** Current centroids, k × columns (written by thread 0 between passes). */
  readonly centroids: Float64Array;
  /** Per centroid: half the distance to its nearest other centroid, rounded down. */
  readonly half: Float64Array;
  /** Per centroid: the distance it moved in the last update, rounded up. */
  readonly move: Float64Array;
  /** 1 for the clusters whose rows' squared distances the inertia pass must recompute. */
  readonly previousChanged: Uint8Array;
  /** Double-buffered: a pass reads assignments[SOURCE] and writes the other one. */
  readonly assignments: readonly [Int32Array, Int32Array];
  /** Hamerly's bounds per row: on the distance to its centroid, and to every other centroid. */
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

export function allocateLloydArrays(rows: number, columns: number, k: number, threads: number, useBounds: boolean, trackInertia: boolean): SharedLloydArrays {
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

/** What one thread's share of a rows pass changed: count deltas, changed clusters, distances computed. */
export class RowsTally {
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
 * The rows pass over rows [from, to): the inertia distances of the last update (when
 * params[INERTIA]), then the assignment (params[ASSIGN]) from assignments[SOURCE] into the other
 * buffer, adding each row to `prefixSums` when given. Returns the row-order sum of the squared
 * distances of these rows.
 */
export function rowsPass(x: Float64Array, columns: number, s: SharedLloydArrays, from: number, to: number, tally: RowsTally, prefixSums?: Float64Array): number {
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
  const eta = boundMargin(d);
  const up = 1 + eta;
  const down = 1 - eta;
  const { deltas, changed } = tally;
  const nearest = new Float64Array(3);
  // With the inertia fused in, every upper bound is valid for the current centroids: exact for the
  // rows of changed clusters, and the same centroid for the others.
  const upperTight = inertia;
  let inertiaSum = 0;
  let computed = 0;
  for (let i = from; i < to; i++) {
    const a = source[i]!;
    let u = 0;
    if (inertia) {
      // A cluster no row entered or left has the same rows and centroid: its rows' distances are kept.
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
    // Hamerly's test first, one distance to tighten u next, a full scan last. The test is strict
    // with the margin on both sides, so a row whose nearest centroid ties (or nearly ties) with
    // another is always scanned, and ties go to the lower index as in ml-kmeans. NaN fails it too.
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
 * Σ x[i][j] over the rows of c from params[SUMS_FROM] on, in row order.
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
 * Means, movements and the convergence test, as ml-kmeans: a changed cluster's centroid becomes its
 * sums / count, any other keeps its centroid (so does an empty one); converged ⇔ no centroid's
 * squared movement > tolerance. Also the movement bounds of the next rows pass (params).
 */
export function updateCentroids(s: SharedLloydArrays, columns: number, counts: Int32Array, changed: Uint8Array, next: Float64Array, shifts: Float64Array, tolerance: number): boolean {
  const d = columns;
  const { k, params, centroids, sums, move } = s;
  const up = 1 + boundMargin(d);
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
    const moved = Math.sqrt(shift) * up + PAD;
    move[c] = moved;
    // (also taken on NaN, so a NaN movement poisons the bounds and forces full scans)
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
  return converged;
}

/** half[c] = (lower bound of the distance from centroid c to its nearest other centroid) / 2; Infinity when k = 1. */
export function halfDistancesToNearestCentroid(centroids: Float64Array, d: number, k: number, half: Float64Array): void {
  const down = 1 - boundMargin(d);
  half.fill(Infinity);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let sum = 0;
      for (let j = 0; j < d; j++) {
        const t = centroids[a * d + j]! - centroids[b * d + j]!;
        sum += t * t;
      }
      const lower = Math.sqrt(sum) * down - PAD;
      const h = (lower > 0 ? lower : 0) / 2;
      if (h < half[a]!) half[a] = h;
      if (h < half[b]!) half[b] = h;
    }
  }
}

/**
 * The nearest centroid of row i as ml-nearest-vector finds it — strict <, from Number.MAX_VALUE, in
 * index order — and the second smallest squared distance, into out = [best index, best, second best].
 * Four centroids are accumulated side by side, each still summed j = 0, 1, …
 */
export function nearestTwo(x: Float64Array, d: number, k: number, centroids: Float64Array, i: number, out: Float64Array): void {
  const xb = i * d;
  let best = -1;
  let bestDistance = Number.MAX_VALUE;
  let secondDistance = Infinity;
  let c = 0;
  for (const k4 = k - (k % 4); c < k4; c += 4) {
    const b0 = c * d;
    const b1 = b0 + d;
    const b2 = b1 + d;
    const b3 = b2 + d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < d; j++) {
      const v = x[xb + j]!;
      const t0 = v - centroids[b0 + j]!;
      const t1 = v - centroids[b1 + j]!;
      const t2 = v - centroids[b2 + j]!;
      const t3 = v - centroids[b3 + j]!;
      s0 += t0 * t0;
      s1 += t1 * t1;
      s2 += t2 * t2;
      s3 += t3 * t3;
    }
    if (s0 < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = s0;
      best = c;
    } else if (s0 < secondDistance) secondDistance = s0;
    if (s1 < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = s1;
      best = c + 1;
    } else if (s1 < secondDistance) secondDistance = s1;
    if (s2 < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = s2;
      best = c + 2;
    } else if (s2 < secondDistance) secondDistance = s2;
    if (s3 < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = s3;
      best = c + 3;
    } else if (s3 < secondDistance) secondDistance = s3;
  }
  for (; c < k; c++) {
    const cb = c * d;
    let sum = 0;
    for (let j = 0; j < d; j++) {
      const t = x[xb + j]! - centroids[cb + j]!;
      sum += t * t;
    }
    if (sum < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = sum;
      best = c;
    } else if (sum < secondDistance) secondDistance = sum;
  }
  // ml-kmeans would return cluster −1 here and corrupt its centroids; the runner keeps values ≤ 1e150 so it cannot happen.
  if (best < 0) {
    throw new RangeError(`row ${i}: no squared distance to a centroid is below Number.MAX_VALUE (NaN or overflow); values must be finite and moderate`);
  }
  out[0] = best;
  out[1] = bestDistance;
  out[2] = secondDistance;
}
