// A growable SharedArrayBuffer reserves address space up to its maximum and commits pages only as it
// grows, in place: a table of unknown length is read without the copy a doubling array makes, and the
// worker and the Lloyd helper threads read it where it is. The largest reservation the system allows.
const RESERVATIONS = [2 ** 40, 2 ** 36, 2 ** 33, 2 ** 31];
// Growing commits this many rows more than needed at a time (a grow is a system call).
const GROW_ROWS = 1 << 16;

/** Rows of `columns` doubles, row-major, in one growable SharedArrayBuffer. */
export class FeatureRows {
  private readonly buffer: SharedArrayBuffer;
  /** Tracks the buffer's length as it grows. */
  private values: Float64Array;

  constructor(
    readonly columns: number,
    rows = 0,
  ) {
    this.buffer = reserve(rows * columns * Float64Array.BYTES_PER_ELEMENT);
    this.values = new Float64Array(this.buffer);
  }

  /** Room for `rows` rows; what was written stays where it is. */
  ensureRows(rows: number): Float64Array {
    const bytes = rows * this.columns * Float64Array.BYTES_PER_ELEMENT;
    if (bytes > this.buffer.byteLength) {
      if (bytes > this.buffer.maxByteLength)
        throw new RangeError(`${rows} rows × ${this.columns} features exceed the ${this.buffer.maxByteLength} bytes this process could reserve`);
      const wanted = (rows + GROW_ROWS) * this.columns * Float64Array.BYTES_PER_ELEMENT;
      this.buffer.grow(Math.min(this.buffer.maxByteLength, Math.max(bytes, wanted)));
      this.values = new Float64Array(this.buffer);
    }
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
