import { ModelInputError } from './errors';
import { sharedBuffer } from './wasm/shared-memory';

/**
 * The data representation of the modeling core: one row-major Float64Array. A single typed array
 * (rather than number[][]) keeps a million-row table in one allocation that can be transferred to or
 * from a worker thread without copying, and makes the distance loops cache-friendly.
 * Row i, column j lives at values[i * columns + j].
 */
export interface Matrix {
  readonly values: Float64Array;
  readonly rows: number;
  /** The dimension of each point. */
  readonly columns: number;
}

export function createMatrix(values: Float64Array, rows: number, columns: number): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(columns) || rows < 0 || columns < 1 || values.length !== rows * columns) {
    throw new ModelInputError('SHAPE_MISMATCH', `a matrix of ${rows} rows × ${columns} columns needs ${rows * columns} values, got ${values.length}`);
  }
  return { values, rows, columns };
}

/**
 * A zeroed Float64Array in a shared WebAssembly memory (a SharedArrayBuffer where the runtime has
 * none, or beyond 4 GiB): prepare() allocates its matrix so, so that the Lloyd engine's threads and
 * its WebAssembly kernel read it where it is (a plain ArrayBuffer would be copied once per job).
 */
export function sharedFloat64Array(length: number): Float64Array {
  return new Float64Array(sharedBuffer(length * Float64Array.BYTES_PER_ELEMENT), 0, length);
}

/** A view (no copy) of row i; writing to it writes to the matrix. */
export function rowView(matrix: Matrix, i: number): Float64Array {
  return matrix.values.subarray(i * matrix.columns, (i + 1) * matrix.columns);
}

/** Squared Euclidean distance between row i of the matrix and a point of the same dimension. */
export function squaredDistanceToPoint(matrix: Matrix, i: number, point: ArrayLike<number>): number {
  const { values, columns } = matrix;
  const base = i * columns;
  let sum = 0;
  for (let j = 0; j < columns; j++) {
    const d = values[base + j]! - point[j]!;
    sum += d * d;
  }
  return sum;
}

/** Squared Euclidean distance between rows i and j of the matrix. */
export function squaredDistanceBetweenRows(matrix: Matrix, i: number, j: number): number {
  const { values, columns } = matrix;
  const a = i * columns;
  const b = j * columns;
  let sum = 0;
  for (let c = 0; c < columns; c++) {
    const d = values[a + c]! - values[b + c]!;
    sum += d * d;
  }
  return sum;
}

/** A new matrix holding only the given rows, in the given order. */
export function selectRows(matrix: Matrix, indexes: ArrayLike<number>): Matrix {
  const out = new Float64Array(indexes.length * matrix.columns);
  for (let r = 0; r < indexes.length; r++) out.set(rowView(matrix, indexes[r]!), r * matrix.columns);
  return createMatrix(out, indexes.length, matrix.columns);
}
