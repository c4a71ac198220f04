import { RunCancelledError } from './errors';
import type { LloydThreads } from './lloyd-threads';
import type { Matrix } from './matrix';
import { parallelLloydGenerator } from './parallel-lloyd';

/**
 * The 'fast' k-means engine: Lloyd's algorithm over the row-major Float64Array of a Matrix (no
 * number[][] copy), Float64Array centroids, and Hamerly's bounds to skip distance computations.
 * It reproduces ml-kmeans 7 (lib/kmeans.js, lib/utils.js) BIT FOR BIT from the same initial centroids:
 *
 *  - Assignment: ml-kmeans (ml-nearest-vector) takes, for each row, the first centroid index whose
 *    squared Euclidean distance is strictly below the best so far, starting from Number.MAX_VALUE.
 *    Every distance this engine computes uses the same expression in the same order
 *    (Σ_j (x_j − c_j)², j ascending), so a full scan here makes the same choice, ties included.
 *  - Centroid update: per cluster, the sum of its rows' values in ROW ORDER starting from 0, divided
 *    by the row count; an empty cluster keeps its previous centroid. Same sums, same order, same result.
 *  - Convergence: after the update, converged ⇔ no centroid moved by a squared distance > tolerance
 *    (computed as Σ (new − old)²). The loop runs while !converged && iterations < maxIterations.
 *
 * Bounds (Hamerly 2010): per row an upper bound u on the distance to its centroid and a lower bound l
 * on the distance to every other centroid; per centroid s = half the distance to its nearest other
 * centroid. A row keeps its centroid without computing any distance when u < max(s, l). Pruning only
 * ever SKIPS work whose outcome is certain, and it is made certain in floating point, ties included:
 *
 *  - The bounds hold for the EXACT Euclidean distances between the stored (floating-point) vectors:
 *    every bound computed from a floating-point result is widened outward by a relative margin
 *    η = (columns + 8)·2⁻⁵² and an absolute pad (1e-150, for underflow), larger than the rounding
 *    error of a squared distance (≈ (columns + 2)·2⁻⁵³ relative), of a square root and of one add.
 *  - The skip test is STRICT and has the margin on both sides: u·(1+η) < m·(1−η) with m > 1e-140.
 *    It then follows that every other centroid's exact distance exceeds the assigned one's by a
 *    factor > 1 + 2η, hence that its COMPUTED squared distance (what ml-kmeans compares) is strictly
 *    larger too. So the skipped row's centroid is the unique nearest one and first-index tie-breaking
 *    cannot choose another. An exact or near tie never passes the test: the row is re-examined with
 *    a tightened u (one distance) and, failing that, a full scan identical to ml-kmeans'.
 *  - Any NaN makes every comparison false, so it falls back to a full scan.
 *
 * One more exact shortcut: a cluster that no row entered or left in an iteration has the same rows, in
 * the same order, as when its centroid was last computed, so ml-kmeans would recompute the very same
 * sums and mean; they are kept instead (movement exactly 0), and so are its rows' squared distances
 * for the inertia. Four centroids' distances to a row are accumulated side by side in a full scan,
 * each still summed j = 0, 1, … as ml-kmeans does.
 *
 * Preconditions (the runner checks them: finite values of magnitude ≤ 1e150): every squared
 * distance must be below Number.MAX_VALUE, otherwise ml-kmeans itself returns cluster −1 and
 * corrupts its centroids; this engine throws instead.
 */

export interface FastLloydOptions {
  /** ≥ 1. */
  readonly maxIterations: number;
  /** ≥ 0: bound on each centroid's SQUARED movement, as ml-kmeans' `tolerance`. */
  readonly tolerance: number;
  /**
   * Compute each iteration's inertia (Σ over rows, in row order, of the squared distance to the
   * updated centroid of its cluster — the same sum, bit for bit, that the runner computes for the
   * ml-kmeans engine). Costs one distance per row of each cluster that changed in the iteration, and
   * makes every upper bound exact for the next iteration.
   */
  readonly trackInertia?: boolean;
  /** false: no bounds, a full scan of every row every iteration (a plain typed-array Lloyd). Default true. */
  readonly useBounds?: boolean;
  /**
   * Helper threads opened for this matrix (LloydThreads.open): the passes over the rows are shared
   * with them (parallel-lloyd.ts), with the same result bit for bit. Default: this thread only.
   */
  readonly threads?: LloydThreads;
}

export interface FastLloydStep {
  /** 1-based iteration. */
  readonly iterations: number;
  readonly converged: boolean;
  /**
   * This iteration's assignment of each row. Like ml-kmeans' `clusters`, the SAME array is updated in
   * place by later iterations: copy it if it must outlive the step.
   */
  readonly clusters: Int32Array;
  /** The updated centroids, k × columns row-major (a fresh copy). */
  readonly centroids: Float64Array;
  readonly clusterSizes: Int32Array;
  /** Squared movement of each centroid in this iteration (what is compared with tolerance). */
  readonly centroidShifts: Float64Array;
  /** See trackInertia; NaN when not tracked. */
  readonly inertia: number;
  /** Row-to-centroid distances computed to assign rows in this iteration (rows × k without bounds). */
  readonly distanceComputations: number;
}

export interface FastLloydHooks {
  onStep?(step: FastLloydStep): void;
  /** Polled after each iteration; true → RunCancelledError. */
  shouldCancel?(): boolean;
}

export const PAD = 1e-150;
export const MIN_SKIP = 1e-140;

/** Iterates Lloyd steps as ml-kmeans' kmeansGenerator does: one step per iteration, the last one converged or at maxIterations. */
export function* fastLloydGenerator(
  matrix: Matrix,
  initialCentroids: readonly ArrayLike<number>[],
  options: FastLloydOptions,
): Generator<FastLloydStep, void, undefined> {
  const n = matrix.rows;
  const k = initialCentroids.length;
  const { maxIterations, tolerance } = options;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`k must be from 1 to the number of rows (${n}), got ${k}`);
  if (!(maxIterations >= 1)) throw new RangeError(`maxIterations must be ≥ 1, got ${maxIterations}`);
  if (!(tolerance >= 0)) throw new RangeError(`tolerance must be ≥ 0, got ${tolerance}`);
  if (options.threads) {
    if (options.threads.source !== matrix) throw new RangeError('the helper threads were opened for another matrix');
    yield* parallelLloydGenerator(options.threads, initialCentroids, options);
    return;
  }
  const useBounds = options.useBounds ?? true;
  const trackInertia = options.trackInertia ?? false;
  const state = new LloydState(matrix, initialCentroids, useBounds, trackInertia);

  let iteration = 0;
  let converged = false;
  while (!converged && iteration < maxIterations) {
    iteration++;
    const computed = iteration === 1 ? state.assignByFullScan(true) : useBounds ? state.assignWithBounds() : state.assignByFullScan(false);
    converged = state.updateCentroids(tolerance);
    const inertia = trackInertia ? state.inertiaAndTightUpperBounds() : Number.NaN;
    yield {
      iterations: iteration,
      converged,
      clusters: state.assignments,
      centroids: state.centroids.slice(),
      clusterSizes: state.counts.slice(),
      centroidShifts: state.shifts.slice(),
      inertia,
      distanceComputations: computed,
    };
  }
}

/** The engine's arrays and the passes of an iteration (plain methods rather than generator code, so that V8 optimizes the hot loops). */
class LloydState {
  readonly x: Float64Array;
  readonly n: number;
  readonly d: number;
  readonly k: number;
  centroids: Float64Array;
  /** Scratch for the next centroids. */
  next: Float64Array;
  /** Per-cluster sums of the current members, in row order (valid for unchanged clusters across iterations). */
  readonly sums: Float64Array;
  readonly assignments: Int32Array;
  readonly counts: Int32Array;
  /** 1 when a row entered or left the cluster in this iteration (every cluster in iteration 1). */
  readonly changed: Uint8Array;
  /** Squared distance of each row to its centroid, kept for the inertia (only with trackInertia). */
  readonly squaredDistances: Float64Array;
  /** Squared movement of each centroid in the last update. */
  readonly shifts: Float64Array;
  readonly useBounds: boolean;
  // Bounds, all valid for exact distances (see the file comment).
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  /** s: half the distance from each centroid to its nearest other centroid, rounded down. */
  readonly half: Float64Array;
  /** Distance each centroid moved in the last update, rounded up. */
  readonly move: Float64Array;
  maxMove = 0;
  secondMove = 0;
  maxMoveIndex = -1;
  /** upper[] already bounds the distances to the CURRENT centroids (set by the inertia pass). */
  upperTight = false;
  readonly up: number;
  readonly down: number;
  /** nearestTwo's answer: [best index, best squared distance, second best squared distance]. */
  private readonly nearest = new Float64Array(3);

  constructor(matrix: Matrix, initialCentroids: readonly ArrayLike<number>[], useBounds: boolean, trackInertia: boolean) {
    this.x = matrix.values;
    this.n = matrix.rows;
    this.d = matrix.columns;
    const k = (this.k = initialCentroids.length);
    const d = this.d;
    this.centroids = new Float64Array(k * d);
    initialCentroids.forEach((centroid, c) => {
      if (centroid.length !== d) throw new RangeError(`initial centroid ${c} has ${centroid.length} values, expected ${d}`);
      for (let j = 0; j < d; j++) this.centroids[c * d + j] = centroid[j]!;
    });
    this.next = new Float64Array(k * d);
    this.sums = new Float64Array(k * d);
    this.assignments = new Int32Array(this.n);
    this.counts = new Int32Array(k);
    this.changed = new Uint8Array(k);
    this.squaredDistances = new Float64Array(trackInertia ? this.n : 0);
    this.shifts = new Float64Array(k);
    this.useBounds = useBounds;
    this.upper = new Float64Array(useBounds ? this.n : 0);
    this.lower = new Float64Array(useBounds ? this.n : 0);
    this.half = new Float64Array(k);
    this.move = new Float64Array(k);
    const eta = (d + 8) * 2 ** -52;
    this.up = 1 + eta;
    this.down = 1 - eta;
  }

  upperFrom(squared: number): number {
    return Math.sqrt(squared) * this.up + PAD;
  }

  lowerFrom(squared: number): number {
    const bound = Math.sqrt(squared) * this.down - PAD;
    return bound > 0 ? bound : 0;
  }

  nearestTwo(i: number): void {
    nearestTwo(this.x, this.d, this.k, this.centroids, i, this.nearest);
  }

  /** Every row scanned: iteration 1 (every cluster then counts as changed), or every iteration without bounds. Returns the distances computed. */
  assignByFullScan(first: boolean): number {
    const { n, assignments, counts, changed, upper, lower, nearest, useBounds } = this;
    changed.fill(first ? 1 : 0);
    if (first) counts.fill(0);
    for (let i = 0; i < n; i++) {
      this.nearestTwo(i);
      const best = nearest[0]!;
      if (first) counts[best]!++;
      else {
        const a = assignments[i]!;
        if (a !== best) {
          counts[a]!--;
          counts[best]!++;
          changed[a] = 1;
          changed[best] = 1;
        }
      }
      assignments[i] = best;
      if (useBounds) {
        upper[i] = this.upperFrom(nearest[1]!);
        lower[i] = this.lowerFrom(nearest[2]!);
      }
    }
    return n * this.k;
  }

  /** Later iterations: Hamerly's test first, one distance to tighten u next, a full scan last. */
  assignWithBounds(): number {
    const { n, d, k, x, assignments, counts, changed, upper, lower, half, move, maxMove, secondMove, maxMoveIndex, upperTight, up, down, nearest } = this;
    const centroids = this.centroids;
    this.halfDistancesToNearestCentroid();
    changed.fill(0);
    let computed = 0;
    for (let i = 0; i < n; i++) {
      const a = assignments[i]!;
      let u = upper[i]!;
      if (!upperTight) u = (u + move[a]!) * up;
      let l = (lower[i]! - (a === maxMoveIndex ? secondMove : maxMove)) * down;
      if (!(l > 0)) l = 0;
      const s = half[a]!;
      const m = s > l ? s : l;
      let scan = !(m > MIN_SKIP && u * up < m * down);
      if (scan && !upperTight) {
        // Tighten u with the one distance to the assigned centroid, then test again.
        const xb = i * d;
        const cb = a * d;
        let sum = 0;
        for (let j = 0; j < d; j++) {
          const t = x[xb + j]! - centroids[cb + j]!;
          sum += t * t;
        }
        computed++;
        u = this.upperFrom(sum);
        scan = !(m > MIN_SKIP && u * up < m * down);
      } // (when u was already exact — set by the inertia pass — straight to the full scan)
      if (scan) {
        this.nearestTwo(i);
        computed += k;
        const best = nearest[0]!;
        if (best !== a) {
          assignments[i] = best;
          counts[a]!--;
          counts[best]!++;
          changed[a] = 1;
          changed[best] = 1;
        }
        u = this.upperFrom(nearest[1]!);
        l = this.lowerFrom(nearest[2]!);
      }
      upper[i] = u;
      lower[i] = l;
    }
    return computed;
  }

  /**
   * Means (an empty cluster keeps its centroid), movements and the convergence test, as ml-kmeans:
   * each changed cluster's sums are recomputed in row order, then divided by the count; converged ⇔
   * no centroid's squared movement > tolerance. Also the movement bounds for the next pass.
   */
  updateCentroids(tolerance: number): boolean {
    const { n, d, k, x, assignments, counts, changed, centroids, next, sums, shifts, move } = this;
    let anyChanged = false;
    for (let c = 0; c < k; c++) {
      if (changed[c]) {
        anyChanged = true;
        sums.fill(0, c * d, (c + 1) * d);
      }
    }
    if (anyChanged) {
      for (let i = 0; i < n; i++) {
        const c = assignments[i]!;
        if (!changed[c]) continue;
        const xb = i * d;
        const cb = c * d;
        for (let j = 0; j < d; j++) sums[cb + j]! += x[xb + j]!;
      }
    }
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
      const moved = this.upperFrom(shift);
      move[c] = moved;
      if (!(moved <= maxMove)) {
        // (also taken on NaN, so a NaN movement poisons the bounds and forces full scans)
        secondMove = maxMove;
        maxMove = moved;
        maxMoveIndex = c;
      } else if (!(moved <= secondMove)) {
        secondMove = moved;
      }
    }
    this.maxMove = maxMove;
    this.secondMove = secondMove;
    this.maxMoveIndex = maxMoveIndex;
    this.centroids = next;
    this.next = centroids;
    this.upperTight = false;
    return converged;
  }

  /**
   * Σ over rows, in row order, of the squared distance to the (updated) centroid. Rows of changed
   * clusters get their distance recomputed, and their upper bound tightened to it; the others keep
   * both (same row, same centroid). Afterwards every upper bound is exact for the current centroids.
   */
  inertiaAndTightUpperBounds(): number {
    const { n, d, x, assignments, centroids, changed, squaredDistances, upper, useBounds } = this;
    let inertia = 0;
    for (let i = 0; i < n; i++) {
      const c = assignments[i]!;
      if (changed[c]) {
        const xb = i * d;
        const cb = c * d;
        let sum = 0;
        for (let j = 0; j < d; j++) {
          const t = x[xb + j]! - centroids[cb + j]!;
          sum += t * t;
        }
        squaredDistances[i] = sum;
        if (useBounds) upper[i] = this.upperFrom(sum);
      }
      inertia += squaredDistances[i]!;
    }
    this.upperTight = useBounds;
    return inertia;
  }

  /** s[c] = (lower bound of the distance from centroid c to its nearest other centroid) / 2; Infinity when k = 1. */
  private halfDistancesToNearestCentroid(): void {
    const { d, k, centroids, half } = this;
    half.fill(Infinity);
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        let sum = 0;
        for (let j = 0; j < d; j++) {
          const t = centroids[a * d + j]! - centroids[b * d + j]!;
          sum += t * t;
        }
        const h = this.lowerFrom(sum) / 2;
        if (h < half[a]!) half[a] = h;
        if (h < half[b]!) half[b] = h;
      }
    }
  }
}

/**
 * The nearest centroid of row i exactly as ml-nearest-vector finds it — strict <, from
 * Number.MAX_VALUE, in index order — and the second smallest squared distance, into out = [best index,
 * best squared distance, second best]. Shared with the threaded engine (parallel-lloyd.ts). The distances of four
 * centroids are accumulated side by side (each one still summed j = 0, 1, …, as ml-kmeans does).
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
  if (best < 0) {
    throw new RangeError(`row ${i}: no squared distance to a centroid is below Number.MAX_VALUE (NaN or overflow); values must be finite and moderate`);
  }
  out[0] = best;
  out[1] = bestDistance;
  out[2] = secondDistance;
}

/** Runs to the end, like ml-kmeans' kmeans(); cancellation is checked after each iteration. Returns the last step (its clusters are final). */
export function fastLloyd(
  matrix: Matrix,
  initialCentroids: readonly ArrayLike<number>[],
  options: FastLloydOptions,
  hooks: FastLloydHooks = {},
): FastLloydStep {
  let last: FastLloydStep | undefined;
  for (const step of fastLloydGenerator(matrix, initialCentroids, options)) {
    last = step;
    hooks.onStep?.(step);
    if (hooks.shouldCancel?.()) throw new RunCancelledError();
  }
  return last!;
}

/** Centroids of a step as number[][] (the runner's and ml-kmeans' representation). */
export function centroidRows(centroids: Float64Array, columns: number): number[][] {
  const out = new Array<number[]>(centroids.length / columns);
  for (let c = 0; c < out.length; c++) out[c] = Array.from(centroids.subarray(c * columns, (c + 1) * columns));
  return out;
}
