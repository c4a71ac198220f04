import { adoptMemory, growableSharedMemory, MAX_WASM_MEMORY_BYTES, WASM_PAGE_BYTES, type WasmMemory } from '../modeling/model/wasm/shared-memory';

// A growable shared memory reserves address space up to its maximum and commits pages only as it grows,
// in place: a table of unknown length is read without the copy a doubling array makes, and the worker,
// the Lloyd helper threads and their WebAssembly kernel read it where it is. Up to 4 GiB it is a shared
// WebAssembly memory (the kernel reads only those); beyond, or without one, a growable SharedArrayBuffer
// (the largest reservation the system allows), which the Lloyd engine's JavaScript kernel reads in place.
const RESERVATIONS = [2 ** 40, 2 ** 36, 2 ** 33, 2 ** 31];
// Growing commits this many rows more than needed at a time (a grow is a system call).
const GROW_ROWS = 1 << 16;

/** Rows of `columns` doubles, row-major, in one growable shared memory. */
export class FeatureRows {
  /** The WebAssembly memory the rows live in, while they fit one (4 GiB). */
  private wasmMemory: WasmMemory | undefined;
  private buffer: SharedArrayBuffer;
  /** Tracks the buffer's length as it grows. */
  private values: Float64Array;

  constructor(
    readonly columns: number,
    rows = 0,
  ) {
    const bytes = rows * columns * Float64Array.BYTES_PER_ELEMENT;
    this.wasmMemory = growableSharedMemory(bytes);
    this.buffer = this.wasmMemory ? this.wasmMemory.buffer : reserve(bytes);
    this.values = new Float64Array(this.buffer);
  }

  /** The shared WebAssembly memory the rows are in, if they are in one: hand it to another thread with them. */
  get memory(): WasmMemory | undefined {
    return this.wasmMemory;
  }

  /** Room for `rows` rows; what was written stays where it is (past 4 GiB it is copied once, out of the WebAssembly memory). */
  ensureRows(rows: number): Float64Array {
    const bytes = rows * this.columns * Float64Array.BYTES_PER_ELEMENT;
    if (bytes <= this.buffer.byteLength) return this.values;
    const wanted = Math.max(bytes, (rows + GROW_ROWS) * this.columns * Float64Array.BYTES_PER_ELEMENT);
    if (this.wasmMemory && bytes <= MAX_WASM_MEMORY_BYTES) {
      const pages = Math.ceil(Math.min(MAX_WASM_MEMORY_BYTES, wanted) / WASM_PAGE_BYTES) - this.buffer.byteLength / WASM_PAGE_BYTES;
      this.wasmMemory.grow(pages);
      this.buffer = adoptMemory(this.wasmMemory);
    } else if (this.wasmMemory) {
      const moved = reserve(wanted);
      new Uint8Array(moved).set(new Uint8Array(this.buffer));
      this.wasmMemory = undefined;
      this.buffer = moved;
    } else {
      if (bytes > this.buffer.maxByteLength)
        throw new RangeError(`${rows} rows × ${this.columns} features exceed the ${this.buffer.maxByteLength} bytes this process could reserve`);
      this.buffer.grow(Math.min(this.buffer.maxByteLength, wanted));
    }
    this.values = new Float64Array(this.buffer);
    return this.values;
  }

  /** The first `rows` rows: a view of exactly rows × columns values, no copy. */
  view(rows: number): Float64Array {
    return new Float64Array(this.buffer, 0, rows * this.columns);
  }
}

function reserve(bytes: number): SharedArrayBuffer {
  for (const maxByteLength of RESERVATIONS) {
    if (maxByteLength < bytes) break;
    try {
      return new SharedArrayBuffer(bytes, { maxByteLength });
    } catch {
      // Address space refused (ulimit -v): try a smaller reservation.
    }
  }
  return new SharedArrayBuffer(bytes, { maxByteLength: bytes });
}
