import {
  allocateLloydArrays,
  ASSIGN,
  ASSIGN_BOUNDS,
  ASSIGN_FIRST,
  ASSIGN_FULL,
  ASSIGN_NONE,
  INERTIA,
  MAX_MOVE_INDEX,
  SOURCE,
  USE_BOUNDS,
  type LloydKernel,
} from './lloyd-arrays';
import { halfDistancesToNearestCentroid, updateCentroids } from './lloyd-kernel';
import { firstThreadRows } from './lloyd-passes';
import { rowsKernel, webAssemblyKernelAvailable } from './lloyd-rows-kernel';
import { Phase, type LloydThreads } from './lloyd-threads';
import type { Matrix } from './matrix';

// Lloyd's algorithm over the matrix's Float64Array: ml-kmeans 7 with its centroid sums taken by chunks
// (lloyd-passes.ts), bit for bit from the same initial centroids (the tests compare every step).
// Hamerly's bounds skip the distances whose outcome is certain; a cluster no row entered or left keeps
// its centroid and its rows' distances.

export interface LloydOptions {
  /** ≥ 1. */
  readonly maxIterations: number;
  /** ≥ 0: bound on each centroid's SQUARED movement, as ml-kmeans' `tolerance`. */
  readonly tolerance: number;
  /**
   * Default false. Compute each iteration's inertia (Σ over rows, in row order, of the squared distance
   * to the updated centroid of its cluster); it also makes the next iteration's upper bounds exact.
   */
  readonly trackInertia?: boolean;
  /** Default true. false: no bounds, every row scanned every iteration (the plain Lloyd the bounds are measured against). */
  readonly useBounds?: boolean;
  /** Default: this thread alone. Helper threads opened for this matrix share every pass, with the same result. */
  readonly threads?: LloydThreads;
  /**
   * Default 'webassembly': the rows passes run in WebAssembly when the runtime has shared memories and
   * the matrix lives in one (sharedFloat64Array; LloydThreads copies it there), in JavaScript otherwise.
   * Both give the same bits; 'javascript' forces the fallback.
   */
  readonly kernel?: LloydKernel;
}

export interface LloydStep {
  /** 1-based iteration. */
  readonly iterations: number;
  readonly converged: boolean;
  /** This iteration's assignment of each row; later iterations write to it: copy it if it must outlive the step. */
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
  /** The kernel that ran the rows passes. */
  readonly kernel: LloydKernel;
}

/** The passes of one thread, when no helper threads were opened. */
function thisThreadOnly(matrix: Matrix): Pick<LloydThreads, 'matrix' | 'threads' | 'setup' | 'begin' | 'run'> {
  return { matrix, threads: 1, setup: () => undefined, begin: () => 1, run: (_phase, own) => own() };
}

/** One step per iteration, as ml-kmeans' kmeansGenerator: the last one converged or at maxIterations. */
export function* lloydSteps(matrix: Matrix, initialCentroids: readonly ArrayLike<number>[], options: LloydOptions): Generator<LloydStep, void, undefined> {
  const { rows: n, columns: d } = matrix;
  const k = initialCentroids.length;
  const { maxIterations, tolerance } = options;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`k must be from 1 to the number of rows (${n}), got ${k}`);
  if (!(maxIterations >= 1)) throw new RangeError(`maxIterations must be ≥ 1, got ${maxIterations}`);
  if (!(tolerance >= 0)) throw new RangeError(`tolerance must be ≥ 0, got ${tolerance}`);
  if (options.threads && options.threads.source !== matrix) throw new RangeError('the helper threads were opened for another matrix');
  const pool = options.threads ?? thisThreadOnly(matrix);
  const x = pool.matrix.values;
  const useBounds = options.useBounds ?? true;
  const trackInertia = options.trackInertia ?? false;
  // Sized for every thread; each pass uses those ready by then (LloydThreads.begin).
  const wanted = options.kernel !== 'javascript' && webAssemblyKernelAvailable() ? 'webassembly' : 'javascript';
  const s = allocateLloydArrays(x, n, d, k, pool.threads, useBounds, trackInertia, wanted);
  const kernel = rowsKernel(x, d, s);
  const kernelName: LloydKernel = s.wasm ? 'webassembly' : 'javascript';
  initialCentroids.forEach((centroid, c) => {
    if (centroid.length !== d) throw new RangeError(`initial centroid ${c} has ${centroid.length} values, expected ${d}`);
    for (let j = 0; j < d; j++) s.centroids[c * d + j] = centroid[j]!;
  });
  const { params, centroids } = s;
  params[USE_BOUNDS] = useBounds ? 1 : 0;
  params[MAX_MOVE_INDEX] = -1;
  pool.setup(s);

  const counts = new Int32Array(k);
  const changed = new Uint8Array(k);
  const shifts = new Float64Array(k);
  const next = new Float64Array(k * d);
  let current = 0;
  let computed = 0;
  /** The inertia thread 0 summed in the last rows pass, over every row in row order. */
  let inertiaOfPass = 0;
  /** Threads of the last rows pass: its split of the rows, and whose deltas to merge. */
  let rowsThreads = 1;

  const rowsPassOn = (assign: number, inertia: boolean) => {
    params[ASSIGN] = assign;
    params[INERTIA] = inertia ? 1 : 0;
    params[SOURCE] = current;
    rowsThreads = pool.begin();
    s.claims.fill(0);
    s.chunkDone.fill(0);
    if (assign !== ASSIGN_NONE) s.sums.fill(0);
    pool.run(Phase.Rows, () => {
      inertiaOfPass = firstThreadRows(kernel, n, d, s, rowsThreads);
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

  let iteration = 1;
  rowsPassOn(ASSIGN_FIRST, false);
  mergeAssignment(true);
  for (;;) {
    const converged = updateCentroids(s, d, counts, changed, next, shifts, tolerance);
    const last = converged || iteration >= maxIterations;
    const nextAssign = last ? ASSIGN_NONE : useBounds ? ASSIGN_BOUNDS : ASSIGN_FULL;
    if (nextAssign === ASSIGN_BOUNDS) halfDistancesToNearestCentroid(centroids, d, k, s.half);

    let inertia = Number.NaN;
    if (trackInertia) {
      // This iteration's inertia needs a pass over the rows anyway: the next assignment shares it
      // (into the other assignments buffer, which is why there are two).
      s.previousChanged.set(changed);
      rowsPassOn(nextAssign, true);
      inertia = inertiaOfPass;
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
      kernel: kernelName,
    };
    if (last) return;
    if (!trackInertia) rowsPassOn(nextAssign, false);
    mergeAssignment(false);
    iteration++;
  }
}

/** Centroids of a step as number[][] (the runner's and ml-kmeans' representation). */
export function centroidRows(centroids: Float64Array, columns: number): number[][] {
  const out = new Array<number[]>(centroids.length / columns);
  for (let c = 0; c < out.length; c++) out[c] = Array.from(centroids.subarray(c * columns, (c + 1) * columns));
  return out;
}
