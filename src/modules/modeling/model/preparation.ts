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

/**
 * Per-column stats over non-missing values; also rejects infinities and all-missing columns. The passes
 * go row by row with one accumulator per column (each column's values still summed in row order), so
 * a million rows are read twice, not twice per column.
 */
function describeColumns({ values, rows, columns }: RawTable): ColumnStats[] {
  const count = new Float64Array(columns);
  const sum = new Float64Array(columns);
  const min = new Float64Array(columns).fill(Infinity);
  const max = new Float64Array(columns).fill(-Infinity);
  for (let i = 0, k = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++, k++) {
      const v = values[k]!;
      if (Number.isNaN(v)) continue;
      if (!Number.isFinite(v)) throw new ModelInputError('NON_FINITE_VALUE', `column ${j} has an infinite value at row ${i}`);
      count[j]!++;
      sum[j]! += v;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
  }
  const mean = new Float64Array(columns);
  for (let j = 0; j < columns; j++) {
    if (count[j] === 0) throw new ModelInputError('COLUMN_ALL_MISSING', `column ${j} has no non-missing value`);
    mean[j] = sum[j]! / count[j]!;
  }
  // Two passes (mean first, then squared deviations) to avoid the cancellation of sum-of-squares.
  const squares = new Float64Array(columns);
  for (let k = 0; k < rows * columns; ) {
    for (let j = 0; j < columns; j++, k++) {
      const v = values[k]!;
      if (!Number.isNaN(v)) squares[j]! += (v - mean[j]!) * (v - mean[j]!);
    }
  }
  return Array.from({ length: columns }, (_, j) => ({
    count: count[j]!,
    nulls: rows - count[j]!,
    min: min[j]!,
    max: max[j]!,
    mean: mean[j]!,
    stddev: Math.sqrt(squares[j]! / count[j]!),
  }));
}

function dropIncompleteRows({ values, rows, columns }: RawTable): { matrix: Matrix; keptRowIndexes: Int32Array } {
  const kept = new Int32Array(rows);
  let keptRows = 0;
  for (let i = 0; i < rows; i++) {
    let complete = true;
    for (let j = 0; j < columns && complete; j++) complete = !Number.isNaN(values[i * columns + j]!);
    if (complete) kept[keptRows++] = i;
  }
  const out = sharedFloat64Array(keptRows * columns);
  if (keptRows === rows) {
    out.set(values); // nothing dropped: one copy, not one per row
  } else {
    for (let r = 0; r < keptRows; r++) out.set(values.subarray(kept[r]! * columns, (kept[r]! + 1) * columns), r * columns);
  }
  return { matrix: createMatrix(out, keptRows, columns), keptRowIndexes: kept.slice(0, keptRows) };
}

/** Replaces each missing value by its column's mean over the non-missing values; keeps every row. */
function imputeMeans({ values, rows, columns }: RawTable, stats: readonly ColumnStats[]): { matrix: Matrix; keptRowIndexes: Int32Array } {
  const out = sharedFloat64Array(values.length);
  out.set(values);
  for (let k = 0; k < out.length; k++) if (Number.isNaN(out[k]!)) out[k] = stats[k % columns]!.mean;
  return { matrix: createMatrix(out, rows, columns), keptRowIndexes: Int32Array.from({ length: rows }, (_, i) => i) };
}

/** Fits the scaling parameters on the matrix to be clustered (see Scaling); row by row, as describeColumns. */
function fitScaling(matrix: Matrix, kind: ScalingKind): Scaling {
  const { values, rows, columns } = matrix;
  const min = new Float64Array(columns).fill(Infinity);
  const max = new Float64Array(columns).fill(-Infinity);
  const sum = new Float64Array(columns);
  for (let k = 0; k < rows * columns; ) {
    for (let j = 0; j < columns; j++, k++) {
      const v = values[k]!;
      sum[j]! += v;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
  }
  const mean = Array.from(sum, (total) => total / rows);
  const squares = new Float64Array(columns);
  if (kind === 'STANDARD') {
    for (let k = 0; k < rows * columns; ) {
      for (let j = 0; j < columns; j++, k++) squares[j]! += (values[k]! - mean[j]!) ** 2;
    }
  }
  const offset: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < columns; j++) {
    if (kind === 'NONE') {
      offset.push(0);
      scale.push(1);
    } else if (max[j] === min[j]) {
      // Constant column: test equality on min/max rather than std > 0, because the computed mean of
      // identical values can be off by an ulp and give a tiny non-zero std that would blow noise up.
      offset.push(min[j]!);
      scale.push(1);
    } else if (kind === 'MINMAX') {
      offset.push(min[j]!);
      scale.push(max[j]! - min[j]!);
    } else {
      offset.push(mean[j]!);
      scale.push(Math.sqrt(squares[j]! / rows)); // population std, as StandardScaler
    }
  }
  return { kind, offset, scale };
}

/** Scales the matrix in place (it is our own copy, so no second allocation is needed). */
function applyScaling(matrix: Matrix, scaling: Scaling): void {
  if (scaling.kind === 'NONE') return;
  const { values, columns } = matrix;
  const offset = Float64Array.from(scaling.offset);
  const scale = Float64Array.from(scaling.scale);
  for (let k = 0; k < values.length; ) {
    for (let j = 0; j < columns; j++, k++) values[k] = (values[k]! - offset[j]!) / scale[j]!;
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
