import { ModelInputError } from './errors';
import { createMatrix, sharedFloat64Array, type Matrix } from './matrix';

export type MissingValuePolicy = 'DROP' | 'MEAN';
export type ScalingKind = 'NONE' | 'STANDARD' | 'MINMAX';

export interface RawTable {
  /** Row-major; NaN marks a missing value (SQL NULL). */
  readonly values: Float64Array;
  readonly rows: number;
  readonly columns: number;
}

export interface PrepareOptions {
  readonly missing: MissingValuePolicy;
  readonly scaling: ScalingKind;
}

/**
 * Statistics of one input column over the non-missing values of ALL rows read (before any row is
 * dropped or imputed), so they describe the table as it is. stddev is the population standard
 * deviation (divide by count). min/max/mean/stddev are never NaN: a column with no value is an error.
 */
export interface ColumnStats {
  readonly count: number;
  readonly nulls: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly stddev: number;
}

/**
 * scaled = (original - offset[j]) / scale[j]; original = scaled * scale[j] + offset[j].
 * The parameters are fitted on the matrix that is clustered (after DROP or MEAN), as a
 * SimpleImputer → scaler pipeline in scikit-learn would.
 *   NONE:     offset 0, scale 1.
 *   STANDARD: offset = mean, scale = POPULATION standard deviation (sklearn's StandardScaler, ddof=0).
 *   MINMAX:   offset = min, scale = max - min (sklearn's MinMaxScaler with feature_range (0, 1)).
 * A constant column (max === min) gets offset = its value and scale = 1, so it scales to exactly 0
 * instead of dividing by zero (sklearn also uses scale 1 there). It then plays no part in distances.
 */
export interface Scaling {
  readonly kind: ScalingKind;
  readonly offset: readonly number[];
  readonly scale: readonly number[];
}

export interface PreparedData {
  readonly matrix: Matrix;
  /** For each row of `matrix`, the index of the input row it came from. */
  readonly keptRowIndexes: Int32Array;
  readonly rowsRead: number;
  readonly rowsDropped: number;
  readonly columnStats: readonly ColumnStats[];
  readonly scaling: Scaling;
}

export function prepare(raw: RawTable, options: PrepareOptions): PreparedData {
  const { values, rows, columns } = raw;
  if (!Number.isInteger(columns) || columns < 1 || !Number.isInteger(rows) || rows < 0 || values.length !== rows * columns) {
    throw new ModelInputError('SHAPE_MISMATCH', `expected ${rows} rows × ${columns} columns of values, got ${values.length} values`);
  }
  if (rows === 0) throw new ModelInputError('EMPTY_INPUT', 'the input has no rows');

  const columnStats = describeColumns(raw);
  const { matrix, keptRowIndexes } =
    options.missing === 'DROP' ? dropIncompleteRows(raw) : imputeMeans(raw, columnStats);
  if (matrix.rows === 0) {
    throw new ModelInputError('EMPTY_INPUT', `no rows are left after dropping the ${rows} rows that have a missing value`);
  }
  const scaling = fitScaling(matrix, options.scaling);
  applyScaling(matrix, scaling);
  return { matrix, keptRowIndexes, rowsRead: rows, rowsDropped: rows - matrix.rows, columnStats, scaling };
}

/** Per-column stats over non-missing values; also rejects infinities and all-missing columns. */
function describeColumns({ values, rows, columns }: RawTable): ColumnStats[] {
  const stats: ColumnStats[] = [];
  for (let j = 0; j < columns; j++) {
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < rows; i++) {
      const v = values[i * columns + j]!;
      if (Number.isNaN(v)) continue;
      if (!Number.isFinite(v)) throw new ModelInputError('NON_FINITE_VALUE', `column ${j} has an infinite value at row ${i}`);
      count++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (count === 0) throw new ModelInputError('COLUMN_ALL_MISSING', `column ${j} has no non-missing value`);
    const mean = sum / count;
    // Two passes (mean first, then squared deviations) to avoid the cancellation of sum-of-squares.
    let squares = 0;
    for (let i = 0; i < rows; i++) {
      const v = values[i * columns + j]!;
      if (!Number.isNaN(v)) squares += (v - mean) * (v - mean);
    }
    stats.push({ count, nulls: rows - count, min, max, mean, stddev: Math.sqrt(squares / count) });
  }
  return stats;
}

function dropIncompleteRows({ values, rows, columns }: RawTable): { matrix: Matrix; keptRowIndexes: Int32Array } {
  const kept: number[] = [];
  for (let i = 0; i < rows; i++) {
    let complete = true;
    for (let j = 0; j < columns && complete; j++) complete = !Number.isNaN(values[i * columns + j]!);
    if (complete) kept.push(i);
  }
  const out = sharedFloat64Array(kept.length * columns);
  kept.forEach((i, r) => out.set(values.subarray(i * columns, (i + 1) * columns), r * columns));
  return { matrix: createMatrix(out, kept.length, columns), keptRowIndexes: Int32Array.from(kept) };
}

/** Replaces each missing value by its column's mean over the non-missing values; keeps every row. */
function imputeMeans({ values, rows, columns }: RawTable, stats: readonly ColumnStats[]): { matrix: Matrix; keptRowIndexes: Int32Array } {
  const out = sharedFloat64Array(values.length);
  out.set(values);
  for (let k = 0; k < out.length; k++) if (Number.isNaN(out[k]!)) out[k] = stats[k % columns]!.mean;
  return { matrix: createMatrix(out, rows, columns), keptRowIndexes: Int32Array.from({ length: rows }, (_, i) => i) };
}

/** Fits the scaling parameters on the matrix to be clustered (see Scaling). */
function fitScaling(matrix: Matrix, kind: ScalingKind): Scaling {
  const { values, rows, columns } = matrix;
  const offset: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < columns; j++) {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < rows; i++) {
      const v = values[i * columns + j]!;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (kind === 'NONE') {
      offset.push(0);
      scale.push(1);
    } else if (max === min) {
      // Constant column: test equality on min/max rather than std > 0, because the computed mean of
      // identical values can be off by an ulp and give a tiny non-zero std that would blow noise up.
      offset.push(min);
      scale.push(1);
    } else if (kind === 'MINMAX') {
      offset.push(min);
      scale.push(max - min);
    } else {
      const mean = sum / rows;
      let squares = 0;
      for (let i = 0; i < rows; i++) squares += (values[i * columns + j]! - mean) ** 2;
      offset.push(mean);
      scale.push(Math.sqrt(squares / rows)); // population std, as StandardScaler
    }
  }
  return { kind, offset, scale };
}

/** Scales the matrix in place (it is our own copy, so no second allocation is needed). */
function applyScaling(matrix: Matrix, scaling: Scaling): void {
  if (scaling.kind === 'NONE') return;
  const { values, columns } = matrix;
  for (let k = 0; k < values.length; k++) {
    const j = k % columns;
    values[k] = (values[k]! - scaling.offset[j]!) / scaling.scale[j]!;
  }
}

/** Points (e.g. centroids) in original units → scaled units. */
export function scaleCentroids(points: readonly (readonly number[])[], scaling: Scaling): number[][] {
  return points.map((point) => point.map((v, j) => (v - scaling.offset[j]!) / scaling.scale[j]!));
}

/** Points (e.g. centroids) in scaled units → original units, for reporting. */
export function unscaleCentroids(points: readonly (readonly number[])[], scaling: Scaling): number[][] {
  return points.map((point) => point.map((v, j) => v * scaling.scale[j]! + scaling.offset[j]!));
}
