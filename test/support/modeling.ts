import { createMatrix, ModelInputError, rowView, type Matrix, type Scaling } from '../../src/modules/modeling/model';

// What the modeling tests and the bench need and the server does not: nested arrays to and from a
// Matrix, and points into a Scaling's units (the inverse of unscaleCentroids).

/** Builds a matrix from nested arrays; every row must have the same length. */
export function matrixFromRows(data: readonly (readonly number[])[]): Matrix {
  const columns = data[0]?.length ?? 0;
  const values = new Float64Array(data.length * columns);
  data.forEach((row, i) => {
    if (row.length !== columns) {
      throw new ModelInputError('SHAPE_MISMATCH', `row ${i} has ${row.length} values, expected ${columns}`);
    }
    values.set(row, i * columns);
  });
  return createMatrix(values, data.length, columns);
}

/** A copy as number[][], what ml-kmeans takes. */
export function toRowArrays(matrix: Matrix): number[][] {
  const out = new Array<number[]>(matrix.rows);
  for (let i = 0; i < matrix.rows; i++) out[i] = Array.from(rowView(matrix, i));
  return out;
}

/** Points (e.g. centroids) in original units → scaled units. */
export function scaleCentroids(points: readonly (readonly number[])[], scaling: Scaling): number[][] {
  return points.map((point) => point.map((v, j) => (v / scaling.unit[j]! - scaling.offset[j]!) / scaling.scale[j]!));
}
