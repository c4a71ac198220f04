// The state of one restart that thread 0 and the helper threads share, and what a pass reports back.

// params[] slots, written by thread 0 before each pass.
export const ASSIGN = 0;
export const INERTIA = 1;
export const SOURCE = 2;
export const MAX_MOVE = 3;
export const SECOND_MOVE = 4;
export const MAX_MOVE_INDEX = 5;
export const USE_BOUNDS = 6;
const PARAMS = 7;

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
  /** Per thread: distances computed to assign its rows. */
  readonly computed: Float64Array;
  /** claims[0]: the chunks of the rows pass claimed so far (lloyd-passes.ts). */
  readonly claims: Int32Array;
  /** Per chunk of the rows pass: pending, done or failed (lloyd-passes.ts); empty with one thread. */
  readonly chunkDone: Int32Array;
}

/** Rows per chunk of a shared rows pass: a few per millisecond of work, about 160 KB of a 10-column matrix (it stays in cache for thread 0's sums). */
export function chunkRows(rows: number): number {
  return Math.max(2048, Math.ceil(rows / 30_000));
}

/** The chunks of a rows pass over `rows` rows. */
export function chunkCount(rows: number): number {
  return Math.ceil(rows / chunkRows(rows));
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
    // (with the inertia tracked, the upper bounds come from the squared distances: lloyd-kernel.ts)
    upper: shared.f64(useBounds && !trackInertia ? rows : 0),
    lower: shared.f64(useBounds ? rows : 0),
    squaredDistances: shared.f64(trackInertia ? rows : 0),
    sums: shared.f64(k * columns),
    countDeltas: shared.i32(threads * k),
    changedBy: shared.u8(threads * k),
    computed: shared.f64(threads),
    claims: shared.i32(1),
    chunkDone: shared.i32(threads > 1 ? chunkCount(rows) : 0),
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
