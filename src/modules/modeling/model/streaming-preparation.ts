import { ModelInputError } from './errors';
import { MAX_ABS_VALUE } from './kmeans-runner';
import type { ColumnStats, PrepareOptions, Scaling } from './preparation';

/**
 * prepare()'s statistics and scaling, row by row, for a table read in passes (MINI_BATCH) rather than
 * held whole: Welford's running mean and squared deviations, over every value (the column statistics,
 * MEAN's imputed values) and over complete rows only (DROP's scaling). Columns are computed in unit 1:
 * a value beyond ±2^200 is refused once scaled (NON_FINITE_VALUE), where prepare() would rescale it.
 */
export class StreamingPreparation {
  private rows = 0;
  private completeRows = 0;
  private readonly all: Welford;
  private readonly complete: Welford;

  constructor(
    private readonly columns: number,
    private readonly label: (j: number) => string,
  ) {
    this.all = new Welford(columns);
    this.complete = new Welford(columns);
  }

  /** One raw row (NaN for missing); true when it is complete. */
  add(values: Float64Array, at: number): boolean {
    let complete = true;
    for (let j = 0; j < this.columns; j++) {
      const v = values[at + j]!;
      if (Number.isNaN(v)) {
        complete = false;
        continue;
      }
      if (!Number.isFinite(v)) throw new ModelInputError('NON_FINITE_VALUE', `column ${this.label(j)} has an infinite value at row ${this.rows}`);
      this.all.add(j, v);
    }
    if (complete) {
      for (let j = 0; j < this.columns; j++) this.complete.add(j, values[at + j]!);
      this.completeRows += 1;
    }
    this.rows += 1;
    return complete;
  }

  /** The column statistics, the fitted scaling and the rows that will be clustered. */
  finish(options: PrepareOptions): { columnStats: ColumnStats[]; scaling: Scaling; rowsRead: number; rowsKept: number } {
    if (this.rows === 0) throw new ModelInputError('EMPTY_INPUT', 'the input has no rows');
    const columnStats = Array.from({ length: this.columns }, (_, j) => {
      if (this.all.count[j] === 0) throw new ModelInputError('COLUMN_ALL_MISSING', `column ${this.label(j)} has no non-missing value`);
      return {
        count: this.all.count[j]!,
        nulls: this.rows - this.all.count[j]!,
        min: this.all.min[j]!,
        max: this.all.max[j]!,
        mean: this.all.mean[j]!,
        stddev: Math.sqrt(this.all.squares[j]! / this.all.count[j]!),
      };
    });
    const drop = options.missing === 'DROP';
    const rowsKept = drop ? this.completeRows : this.rows;
    if (rowsKept === 0) throw new ModelInputError('EMPTY_INPUT', `no rows are left after dropping the ${this.rows} rows that have a missing value`);
    // DROP fits on the complete rows; MEAN on every row, the imputed ones adding nothing to the squares.
    const fit = drop ? this.complete : this.all;
    const offset: number[] = [];
    const scale: number[] = [];
    for (let j = 0; j < this.columns; j++) {
      const min = fit.min[j]!;
      const max = fit.max[j]!;
      if (options.scaling === 'NONE') {
        offset.push(0);
        scale.push(1);
      } else if (min === max) {
        offset.push(min);
        scale.push(1);
      } else if (options.scaling === 'MINMAX') {
        offset.push(min);
        scale.push(max - min);
      } else {
        offset.push(fit.mean[j]!);
        scale.push(Math.sqrt(fit.squares[j]! / rowsKept));
      }
    }
    return {
      columnStats,
      scaling: { kind: options.scaling, unit: Array.from({ length: this.columns }, () => 1), offset, scale },
      rowsRead: this.rows,
      rowsKept,
    };
  }
}

/**
 * One raw row as clustered: missing values imputed (MEAN) and scaled, into `out`; false when DROP drops
 * it. Refuses a scaled value k-means cannot square, as prepare() does.
 */
export function prepareRow(
  values: Float64Array,
  at: number,
  out: Float64Array,
  options: PrepareOptions,
  columnStats: readonly ColumnStats[],
  scaling: Scaling,
  label: (j: number) => string,
): boolean {
  for (let j = 0; j < out.length; j++) {
    let v = values[at + j]!;
    if (Number.isNaN(v)) {
      if (options.missing === 'DROP') return false;
      v = columnStats[j]!.mean;
    }
    const scaled = (v - scaling.offset[j]!) / scaling.scale[j]!;
    if (!(Math.abs(scaled) <= MAX_ABS_VALUE)) {
      throw new ModelInputError(
        'NON_FINITE_VALUE',
        `column ${label(j)} holds ${v}${scaling.kind === 'NONE' ? '' : ' once scaled'}: k-means needs values of magnitude at most ${MAX_ABS_VALUE}`,
      );
    }
    out[j] = scaled;
  }
  return true;
}

class Welford {
  readonly count: Float64Array;
  readonly mean: Float64Array;
  readonly squares: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;

  constructor(columns: number) {
    this.count = new Float64Array(columns);
    this.mean = new Float64Array(columns);
    this.squares = new Float64Array(columns);
    this.min = new Float64Array(columns).fill(Infinity);
    this.max = new Float64Array(columns).fill(-Infinity);
  }

  add(j: number, v: number): void {
    const n = (this.count[j]! += 1);
    const delta = v - this.mean[j]!;
    this.mean[j]! += delta / n;
    this.squares[j]! += delta * (v - this.mean[j]!);
    if (v < this.min[j]!) this.min[j] = v;
    if (v > this.max[j]!) this.max[j] = v;
  }
}
