import {
  ASSIGN,
  ASSIGN_BOUNDS,
  ASSIGN_FIRST,
  ASSIGN_FULL,
  ASSIGN_NONE,
  INERTIA,
  MAX_MOVE,
  MAX_MOVE_INDEX,
  SECOND_MOVE,
  SOURCE,
  USE_BOUNDS,
  type RowsTally,
  type SharedLloydArrays,
} from './lloyd-arrays';

// The arithmetic of Lloyd's passes, run by thread 0 and by the helper threads alike. Every value is
// computed with ml-kmeans 7's expression, in its order (Σ_j (x_j − c_j)², j ascending; a chunk's sums
// in row order from 0, lloyd-passes.ts adding the chunks in order), so any split of the chunks
// between threads gives the same bits.

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

/**
 * The rows pass over rows [from, to): the inertia distances of the last update into
 * squaredDistances (when params[INERTIA]), then the assignment (params[ASSIGN]) from
 * assignments[SOURCE] into the other buffer, adding each row to its new cluster's `sums` when given,
 * in row order.
 */
export function rowsPass(x: Float64Array, columns: number, s: SharedLloydArrays, from: number, to: number, tally: RowsTally, sums?: Float64Array): void {
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
  // With the inertia fused in, each row's squared distance to its current centroid is known (computed
  // for the rows of changed clusters, kept with the centroid for the others): the upper bound is taken
  // from it, and the upper bounds are neither read nor stored (a run tracks the inertia throughout).
  const upperTight = inertia;
  const storeUpper = useBounds && !inertia && upper.length > 0;
  let computed = 0;
  for (let i = from; i < to; i++) {
    const a = source[i]!;
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
      }
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
      if (sums) {
        const xb = i * d;
        const cb = best * d;
        for (let j = 0; j < d; j++) sums[cb + j]! += x[xb + j]!;
      }
      if (useBounds) {
        if (storeUpper) upper[i] = Math.sqrt(nearest[1]!) * up + PAD;
        const l = Math.sqrt(nearest[2]!) * down - PAD;
        lower[i] = l > 0 ? l : 0;
      }
      continue;
    }
    // Hamerly's test first, one distance to tighten u next, a full scan last. The test is strict
    // with the margin on both sides, so a row whose nearest centroid ties (or nearly ties) with
    // another is always scanned, and ties go to the lower index as in ml-kmeans. NaN fails it too.
    let u = upperTight ? Math.sqrt(squaredDistances[i]!) * up + PAD : (upper[i]! + move[a]!) * up;
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
    if (sums) {
      const xb = i * d;
      const cb = best * d;
      for (let j = 0; j < d; j++) sums[cb + j]! += x[xb + j]!;
    }
    if (storeUpper) upper[i] = u;
    lower[i] = l;
  }
  tally.computed += assign === ASSIGN_FIRST || assign === ASSIGN_FULL ? (to - from) * k : computed;
}

/**
 * Means, movements and the convergence test, as ml-kmeans: a changed cluster's centroid becomes its
 * sums / count, any other keeps its centroid (so does an empty one); converged ⇔ no centroid's
 * squared movement > tolerance. Also the movement bounds of the next rows pass (params).
 */
export function updateCentroids(
  s: SharedLloydArrays,
  columns: number,
  counts: Int32Array,
  changed: Uint8Array,
  next: Float64Array,
  shifts: Float64Array,
  tolerance: number,
): boolean {
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

export function noNearestCentroid(row: number): RangeError {
  return new RangeError(`row ${row}: no squared distance to a centroid is below Number.MAX_VALUE (NaN or overflow); values must be finite and moderate`);
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
  if (best < 0) throw noNearestCentroid(i);
  out[0] = best;
  out[1] = bestDistance;
  out[2] = secondDistance;
}
