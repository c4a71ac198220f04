import { ModelInputError } from './errors';
import { MAX_ABS_VALUE } from './kmeans-runner';
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
 * scaled = (original / unit[j] - offset[j]) / scale[j]; original = (scaled * scale[j] + offset[j]) * unit[j].
 * The parameters are fitted on the matrix that is clustered (after DROP or MEAN), as a
 * SimpleImputer → scaler pipeline in scikit-learn would.
 *   NONE:     offset 0, scale 1.
 *   STANDARD: offset = mean, scale = POPULATION standard deviation (sklearn's StandardScaler, ddof=0).
 *   MINMAX:   offset = min, scale = max - min (sklearn's MinMaxScaler with feature_range (0, 1)).
 * A constant column (max === min) gets offset = its value and scale = 1, so it scales to exactly 0
 * instead of dividing by zero (sklearn also uses scale 1 there). It then plays no part in distances.
 *
 * `unit` is a power of two per column, and offset and scale are in that unit: 1 for ordinary columns,
 * and the column's own magnitude for one beyond 2^±200 (±1e308, 1e-308), whose sums and squares would
 * overflow or underflow. Dividing by a power of two is exact, so the unit changes no result where the
 * plain arithmetic had none to change.
 */
export interface Scaling {
  readonly kind: ScalingKind;
  readonly unit: readonly number[];
  readonly offset: readonly number[];
  readonly scale: readonly number[];
}

export interface PreparedData {
  readonly matrix: Matrix;
  /**
   * For each row of `matrix`, the index of the input row it came from; null when every input row was
   * kept, row i being input row i (no array of 40 MB at 10M rows to say so).
   */
  readonly keptRowIndexes: Int32Array | null;
  readonly rowsRead: number;
  readonly rowsDropped: number;
  readonly columnStats: readonly ColumnStats[];
  readonly scaling: Scaling;
}

/**
 * `columnNames` (optional) name the columns in error messages; indexes otherwise. `inPlace`: the raw
 * values may be overwritten, and on a SharedArrayBuffer become the matrix itself (no copy of a table
 * that may fill most of memory); otherwise they are copied first.
 */
export function prepare(raw: RawTable, options: PrepareOptions, columnNames?: readonly string[], inPlace = false): PreparedData {
  const { values, rows, columns } = raw;
  const label = (j: number) => (columnNames?.[j] === undefined ? String(j) : `"${columnNames[j]}"`);
  if (!Number.isInteger(columns) || columns < 1 || !Number.isInteger(rows) || rows < 0 || values.length !== rows * columns) {
    throw new ModelInputError('SHAPE_MISMATCH', `expected ${rows} rows × ${columns} columns of values, got ${values.length} values`);
  }
  if (rows === 0) throw new ModelInputError('EMPTY_INPUT', 'the input has no rows');

  const moments = columnMoments(raw, label);
  const columnStats = statsOf(moments, rows);
  const own = inPlace && values.buffer instanceof SharedArrayBuffer;
  // With no value missing, the matrix clustered is the table read: neither policy changes a value, and
  // the scaling is fitted on the moments already taken (the same values summed in the same order).
  const complete = moments.count.every((count) => count === rows);
  const { matrix, keptRowIndexes } = complete
    ? { matrix: createMatrix(ownValues(values, own), rows, columns), keptRowIndexes: null }
    : options.missing === 'DROP'
      ? dropIncompleteRows(raw, own)
      : imputeMeans(raw, columnStats, own);
  if (matrix.rows === 0) {
    throw new ModelInputError('EMPTY_INPUT', `no rows are left after dropping the ${rows} rows that have a missing value`);
  }
  // NONE needs no moments (scalingOf reads only how many columns there are).
  const scaling = scalingOf(options.scaling, complete || options.scaling === 'NONE' ? moments : columnMoments(matrix, label));
  applyScaling(matrix, scaling, label);
  return { matrix, keptRowIndexes, rowsRead: rows, rowsDropped: rows - matrix.rows, columnStats, scaling };
}

/** The values themselves where they may become the matrix (in place), else one copy of them. */
function ownValues(values: Float64Array, own: boolean): Float64Array {
  if (own) return values;
  const copy = sharedFloat64Array(values.length);
  copy.set(values);
  return copy;
}

/** Per-column sums over the non-missing values of a table, in each column's unit (see Scaling). */
interface ColumnMoments {
  readonly count: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly unit: Float64Array;
  /** Of the values in units. */
  readonly mean: Float64Array;
  /** Of the values in units: Σ (v / unit − mean)². */
  readonly squares: Float64Array;
}

/**
 * Per-column moments over non-missing values; also rejects infinities and all-missing columns. The passes
 * go row by row with one accumulator per column (each column's values still summed in row order), so
 * a million rows are read twice, not twice per column; a column of extreme magnitude is summed once
 * more, in its unit (see Scaling).
 */
function columnMoments({ values, rows, columns }: RawTable, label: (j: number) => string): ColumnMoments {
  const count = new Float64Array(columns);
  const sum = new Float64Array(columns);
  const min = new Float64Array(columns).fill(Infinity);
  const max = new Float64Array(columns).fill(-Infinity);
  for (let i = 0, k = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++, k++) {
      const v = values[k]!;
      if (Number.isNaN(v)) continue;
      if (!Number.isFinite(v)) throw new ModelInputError('NON_FINITE_VALUE', `column ${label(j)} has an infinite value at row ${i}`);
      count[j]!++;
      sum[j]! += v;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
  }
  for (let j = 0; j < columns; j++) {
    if (count[j] === 0) throw new ModelInputError('COLUMN_ALL_MISSING', `column ${label(j)} has no non-missing value`);
  }
  const unit = Float64Array.from({ length: columns }, (_, j) => unitOf(min[j]!, max[j]!));
  resumInUnits(values, columns, unit, sum, (v) => !Number.isNaN(v));
  const mean = Float64Array.from({ length: columns }, (_, j) => sum[j]! / count[j]!); // in units
  // Two passes (mean first, then squared deviations) to avoid the cancellation of sum-of-squares.
  const squares = new Float64Array(columns);
  for (let k = 0; k < rows * columns;) {
    for (let j = 0; j < columns; j++, k++) {
      const v = values[k]!;
      if (!Number.isNaN(v)) squares[j]! += (v / unit[j]! - mean[j]!) * (v / unit[j]! - mean[j]!);
    }
  }
  return { count, min, max, unit, mean, squares };
}

/** The table's column statistics (ColumnStats), in the columns' own units. */
function statsOf({ count, min, max, unit, mean, squares }: ColumnMoments, rows: number): ColumnStats[] {
  return Array.from({ length: count.length }, (_, j) => ({
    count: count[j]!,
    nulls: rows - count[j]!,
    min: min[j]!,
    max: max[j]!,
    mean: inOriginalUnits(mean[j]!, unit[j]!),
    stddev: inOriginalUnits(Math.sqrt(squares[j]! / count[j]!), unit[j]!),
  }));
}

// Columns whose largest magnitude is within 2^±200 compute in plain numbers: their sums of a billion
// squares stay far from overflow, and squared differences far from underflow.
const PLAIN_MAGNITUDE = 2 ** 200;

/** The power of two a column is computed in (see Scaling): 1, or its magnitude's for an extreme column. */
function unitOf(min: number, max: number): number {
  const magnitude = Math.max(Math.abs(min), Math.abs(max));
  if (magnitude === 0 || (magnitude <= PLAIN_MAGNITUDE && magnitude >= 1 / PLAIN_MAGNITUDE)) return 1;
  // Kept to normal numbers, so that 1 / unit is finite too.
  return 2 ** Math.min(1023, Math.max(-1022, Math.floor(Math.log2(magnitude))));
}

/** Sums again, in their unit, the columns whose unit is not 1 (their plain sums may have overflowed). */
function resumInUnits(values: Float64Array, columns: number, unit: Float64Array, sum: Float64Array, counts: (v: number) => boolean): void {
  const again = Array.from(unit, (u, j) => (u === 1 ? -1 : j)).filter((j) => j >= 0);
  if (again.length === 0) return;
  for (const j of again) sum[j] = 0;
  for (let k = 0; k < values.length; k += columns) {
    for (const j of again) {
      const v = values[k + j]!;
      if (counts(v)) sum[j]! += v / unit[j]!;
    }
  }
}

/** A statistic computed in units, back in the column's own units; within rounding of the largest double at most. */
function inOriginalUnits(value: number, unit: number): number {
  return Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, value * unit));
}

function dropIncompleteRows({ values, rows, columns }: RawTable, inPlace: boolean): { matrix: Matrix; keptRowIndexes: Int32Array | null } {
  const complete = (i: number) => {
    for (let j = 0; j < columns; j++) if (Number.isNaN(values[i * columns + j]!)) return false;
    return true;
  };
  let firstDropped = 0;
  while (firstDropped < rows && complete(firstDropped)) firstDropped++;
  if (firstDropped === rows) {
    // Nothing dropped: the values are the matrix (in place), or one copy of them.
    const out = inPlace ? values : sharedFloat64Array(values.length);
    if (!inPlace) out.set(values);
    return { matrix: createMatrix(out, rows, columns), keptRowIndexes: null };
  }
  const kept = new Int32Array(rows);
  let keptRows = 0;
  for (let i = 0; i < firstDropped; i++) kept[keptRows++] = i;
  for (let i = firstDropped + 1; i < rows; i++) if (complete(i)) kept[keptRows++] = i;
  if (inPlace) {
    // Each kept row moves down to its place or stays: a row is never overwritten before it is moved.
    for (let r = 0; r < keptRows; r++) if (kept[r] !== r) values.copyWithin(r * columns, kept[r]! * columns, (kept[r]! + 1) * columns);
    return { matrix: createMatrix(values.subarray(0, keptRows * columns), keptRows, columns), keptRowIndexes: kept.slice(0, keptRows) };
  }
  const out = sharedFloat64Array(keptRows * columns);
  for (let r = 0; r < keptRows; r++) out.set(values.subarray(kept[r]! * columns, (kept[r]! + 1) * columns), r * columns);
  return { matrix: createMatrix(out, keptRows, columns), keptRowIndexes: kept.slice(0, keptRows) };
}

/** Replaces each missing value by its column's mean over the non-missing values; keeps every row. */
function imputeMeans({ values, rows, columns }: RawTable, stats: readonly ColumnStats[], inPlace: boolean): { matrix: Matrix; keptRowIndexes: null } {
  const out = inPlace ? values : sharedFloat64Array(values.length);
  if (!inPlace) out.set(values);
  for (let k = 0; k < out.length; k++) if (Number.isNaN(out[k]!)) out[k] = stats[k % columns]!.mean;
  return { matrix: createMatrix(out, rows, columns), keptRowIndexes: null };
}

/** The scaling parameters (see Scaling) fitted on the moments of the matrix to be clustered (no value missing). */
function scalingOf(kind: ScalingKind, { count, min, max, unit, mean, squares }: ColumnMoments): Scaling {
  const columns = count.length;
  const offset: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < columns; j++) {
    if (kind === 'NONE') {
      offset.push(0);
      scale.push(1);
    } else if (max[j] === min[j]) {
      // Constant column: test equality on min/max rather than std > 0, because the computed mean of
      // identical values can be off by an ulp and give a tiny non-zero std that would blow noise up.
      offset.push(min[j]! / unit[j]!);
      scale.push(1);
    } else if (kind === 'MINMAX') {
      offset.push(min[j]! / unit[j]!);
      scale.push(max[j]! / unit[j]! - min[j]! / unit[j]!);
    } else {
      offset.push(mean[j]!);
      scale.push(Math.sqrt(squares[j]! / count[j]!)); // population std, as StandardScaler
    }
  }
  return { kind, unit: kind === 'NONE' ? Array.from({ length: columns }, () => 1) : Array.from(unit), offset, scale };
}

/**
 * Scales the matrix in place (it is our own copy, so no second allocation is needed), and refuses a
 * value k-means cannot square (NONE leaves values as they are): NON_FINITE_VALUE naming its column.
 */
function applyScaling(matrix: Matrix, scaling: Scaling, label: (j: number) => string): void {
  const { values, columns } = matrix;
  const unit = Float64Array.from(scaling.unit);
  const offset = Float64Array.from(scaling.offset);
  const scale = Float64Array.from(scaling.scale);
  const scaled = scaling.kind !== 'NONE';
  // One pass: each value scaled, then checked; the first refused (in row order) is named.
  let refused = -1;
  for (let k = 0; k < values.length && refused < 0;) {
    for (let j = 0; j < columns; j++, k++) {
      const value = scaled ? (values[k]! / unit[j]! - offset[j]!) / scale[j]! : values[k]!;
      values[k] = value;
      if (!(Math.abs(value) <= MAX_ABS_VALUE) && refused < 0) refused = k;
    }
  }
  if (refused < 0) return;
  throw new ModelInputError(
    'NON_FINITE_VALUE',
    `column ${label(refused % columns)} holds ${values[refused]}${scaled ? ' once scaled' : ''} at row ${Math.floor(refused / columns)}: k-means needs values of magnitude at most ${MAX_ABS_VALUE} (choose STANDARD or MINMAX scaling)`,
  );
}

/** Points (e.g. centroids) in scaled units → original units, for reporting; always finite. */
export function unscaleCentroids(points: readonly (readonly number[])[], scaling: Scaling): number[][] {
  return points.map((point) => point.map((v, j) => inOriginalUnits(v * scaling.scale[j]! + scaling.offset[j]!, scaling.unit[j]!)));
}
