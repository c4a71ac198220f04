import { Block, Header, HEADER_BYTES } from './wasm/lloyd-module';
import { memoryOf, sharedBuffer, type WasmMemory } from './wasm/shared-memory';

// The state of one restart that thread 0 and the helper threads share, and what a pass reports back.

// params[] slots, written by thread 0 before each pass.
export const ASSIGN = 0;
export const INERTIA = 1;
export const SOURCE = 2;
export const MAX_MOVE = 3;
export const SECOND_MOVE = 4;
export const MAX_MOVE_INDEX = 5;
export const USE_BOUNDS = 6;
const PARAMS = 7; // (wasm/lloyd-module.ts' header has room for 8)

// params[ASSIGN]
export const ASSIGN_NONE = 0;
export const ASSIGN_FIRST = 1;
export const ASSIGN_FULL = 2;
export const ASSIGN_BOUNDS = 3;

/** The arrays of one restart, carved from one shared buffer (a WebAssembly memory when that kernel runs) so that the helper threads work on them in place. */
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
  /**
   * The sums of each chunk's rows, k × columns per chunk (one chunk's room with one thread, which
   * reuses it), added to `sums` in chunk order (lloyd-passes.ts). chunkSums() gives one chunk's.
   */
  readonly chunkSums: Float64Array;
  /** Per thread, k entries each. */
  readonly countDeltas: Int32Array;
  readonly changedBy: Uint8Array;
  /** Per thread: distances computed to assign its rows. */
  readonly computed: Float64Array;
  /** claims[0]: the chunks of the rows pass claimed so far (lloyd-passes.ts). */
  readonly claims: Int32Array;
  /** Per chunk of the rows pass: pending, done or failed (lloyd-passes.ts); empty with one thread. */
  readonly chunkDone: Int32Array;
  readonly wasm: WasmLayout | undefined;
}

/** Up to this many rows, a job is one chunk, and its sums are ml-kmeans' own, bit for bit. */
export const MIN_CHUNK_ROWS = 2048;

/**
 * Rows per chunk of a rows pass, fixed by the shape of the job alone (never by the thread count): the
 * chunks decide the bits of the centroid sums (lloyd-passes.ts). About 160 KB of a 10-column matrix;
 * at least k × columns rows, so that adding a chunk's sums costs at most one add per row and their
 * room stays near 8 bytes a row. The price: with k × columns near the row count, few chunks are left
 * to share between threads (one chunk, one thread).
 */
export function chunkRows(rows: number, k: number, columns: number): number {
  return Math.max(MIN_CHUNK_ROWS, Math.ceil(rows / 30_000), k * columns);
}

/** The chunks of a rows pass over `rows` rows. */
export function chunkCount(rows: number, k: number, columns: number): number {
  return Math.ceil(rows / chunkRows(rows, k, columns));
}

/** Doubles from one chunk's sums to the next: k × columns, rounded up to a cache line, so that no two threads write to one. */
const chunkSumsStride = (k: number, columns: number) => Math.ceil((k * columns) / 8) * 8;

/** Chunk `chunk`'s sums (k × columns) in s.chunkSums. */
export function chunkSums(s: SharedLloydArrays, chunk: number): Float64Array {
  const size = s.sums.length;
  const at = s.chunkSums.length > size ? chunk * chunkSumsStride(s.k, size / s.k) : 0;
  return s.chunkSums.subarray(at, at + size);
}

/** Where the WebAssembly kernel finds a restart's arrays (lloyd-rows-kernel.ts); absent when the JavaScript kernel runs it. */
export interface WasmLayout {
  readonly matrix: WasmMemory;
  readonly job: WasmMemory;
  readonly columns: number;
  /** Byte offset of thread 0's block (wasm/lloyd-module.ts' Block), and the bytes of one. */
  readonly blocks: number;
  readonly blockBytes: number;
}

/** Which kernel runs the rows passes: WebAssembly wherever the runtime and the matrix allow it (lloyd-rows-kernel.ts). */
export type LloydKernel = 'webassembly' | 'javascript';

/** 64 bytes: a cache line, so that no two threads write to one. */
const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/**
 * The arrays of one restart, carved from one shared buffer: a shared WebAssembly memory when `kernel`
 * is webassembly and the matrix `x` lives in one (sharedFloat64Array), a SharedArrayBuffer otherwise.
 */
export function allocateLloydArrays(
  x: Float64Array,
  rows: number,
  columns: number,
  k: number,
  threads: number,
  useBounds: boolean,
  trackInertia: boolean,
  kernel: LloydKernel = 'webassembly',
): SharedLloydArrays {
  const sizes = {
    centroids: k * columns * 8,
    half: k * 8,
    move: k * 8,
    previousChanged: k,
    assignments0: rows * 4,
    assignments1: rows * 4,
    // (with the inertia tracked, the upper bounds come from the squared distances: lloyd-kernel.ts)
    upper: useBounds && !trackInertia ? rows * 8 : 0,
    lower: useBounds ? rows * 8 : 0,
    squaredDistances: trackInertia ? rows * 8 : 0,
    sums: k * columns * 8,
    chunkSums: (threads > 1 ? chunkCount(rows, k, columns) * chunkSumsStride(k, columns) : k * columns) * 8,
    countDeltas: threads * k * 4,
    changedBy: threads * k,
    computed: threads * 8,
    claims: 4,
    chunkDone: threads > 1 ? chunkCount(rows, k, columns) * 4 : 0,
  };
  const blockBytes = align(Block.deltas + k * 5);
  const at: Record<string, number> = {};
  let end = HEADER_BYTES;
  for (const [name, bytes] of Object.entries(sizes)) {
    at[name] = end;
    end += align(bytes);
  }
  const blocks = end;
  end += threads * blockBytes;
  const matrixMemory = kernel === 'webassembly' ? memoryOf(x.buffer) : undefined;
  const buffer = matrixMemory ? sharedBuffer(end) : new SharedArrayBuffer(end);
  const jobMemory = memoryOf(buffer);
  const f64 = (name: keyof typeof sizes) => new Float64Array(buffer, at[name], sizes[name] / 8);
  const i32 = (name: keyof typeof sizes) => new Int32Array(buffer, at[name], sizes[name] / 4);
  const u8 = (name: keyof typeof sizes) => new Uint8Array(buffer, at[name], sizes[name]);
  const header = new DataView(buffer, 0, HEADER_BYTES);
  for (const name of ['centroids', 'half', 'move', 'previousChanged', 'assignments0', 'assignments1', 'lower', 'squaredDistances'] as const) {
    header.setInt32(Header[name], at[name]!, true);
  }
  header.setInt32(Header.matrix, x.byteOffset, true);
  header.setInt32(Header.k, k, true);
  header.setInt32(Header.upper, sizes.upper > 0 ? at.upper! : 0, true);
  return {
    k,
    params: new Float64Array(buffer, Header.params, PARAMS),
    centroids: f64('centroids'),
    half: f64('half'),
    move: f64('move'),
    previousChanged: u8('previousChanged'),
    assignments: [i32('assignments0'), i32('assignments1')],
    upper: f64('upper'),
    lower: f64('lower'),
    squaredDistances: f64('squaredDistances'),
    sums: f64('sums'),
    chunkSums: f64('chunkSums'),
    countDeltas: i32('countDeltas'),
    changedBy: u8('changedBy'),
    computed: f64('computed'),
    claims: i32('claims'),
    chunkDone: i32('chunkDone'),
    wasm: matrixMemory && jobMemory ? { matrix: matrixMemory, job: jobMemory, columns, blocks, blockBytes } : undefined,
  };
}

/** What one thread's share of a rows pass changed: count deltas, changed clusters, distances computed. */
export class RowsTally {
  computed = 0;
  constructor(
    k: number,
    readonly deltas: Int32Array<ArrayBufferLike> = new Int32Array(k),
    readonly changed: Uint8Array<ArrayBufferLike> = new Uint8Array(k),
  ) {}
  publish(s: SharedLloydArrays, thread: number): void {
    s.countDeltas.set(this.deltas, thread * s.k);
    s.changedBy.set(this.changed, thread * s.k);
    s.computed[thread] = this.computed;
  }
}
