import { SeededRandom } from '../../../shared/seeded-random';
import { kMeansPlusPlusInitialization, randomRowsInitialization } from './initialization';
import type { InitializationMethod } from './kmeans-runner';
import type { Matrix } from './matrix';

/** Mini-batches shuffled together: rows arrive in key order, so a batch is drawn from this many batches' worth of rows. */
export const SHUFFLE_BATCHES = 16;

/** One pass's figures: the largest squared centre movement over the pass and the rows' squared distances before their update. */
export interface MiniBatchPass {
  readonly centroidShift: number;
  readonly inertia: number;
  readonly rows: number;
}

/**
 * Mini-batch k-means (Sculley 2010, as scikit-learn's MiniBatchKMeans): each batch's rows are assigned
 * to their nearest centre, and each centre moves to the running mean of every row ever assigned to it
 * (its count is the learning rate's denominator). Rows are fed one at a time in the table's order and
 * gathered into a window of SHUFFLE_BATCHES batches, which is shuffled (seeded) before it is cut into
 * batches. Unlike scikit-learn it does not reassign centres that receive few rows.
 */
export class MiniBatchKMeans {
  readonly centres: Float64Array;
  readonly counts: Float64Array;
  private readonly random: SeededRandom;
  private readonly window: Float64Array;
  private windowRows = 0;
  private readonly sums: Float64Array;
  private readonly batchCounts: Float64Array;
  private passStart: Float64Array;
  private passInertia = 0;
  private passRows = 0;

  constructor(
    readonly k: number,
    readonly columns: number,
    readonly batchSize: number,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
    this.centres = new Float64Array(k * columns);
    this.counts = new Float64Array(k);
    this.window = new Float64Array(batchSize * SHUFFLE_BATCHES * columns);
    this.sums = new Float64Array(k * columns);
    this.batchCounts = new Float64Array(k);
    this.passStart = new Float64Array(k * columns);
  }

  /** Initial centres from a sample of prepared rows (k-means++ over the whole sample, or k random rows). */
  initialize(sample: Matrix, method: InitializationMethod): void {
    const centres =
      method === 'RANDOM' ? randomRowsInitialization(sample, this.k, this.random) : kMeansPlusPlusInitialization(sample, this.k, this.random, sample.rows);
    centres.forEach((centre, c) => this.centres.set(centre, c * this.columns));
    this.passStart.set(this.centres);
  }

  /** One prepared row of the current pass. */
  add(row: Float64Array): void {
    this.window.set(row, this.windowRows * this.columns);
    this.windowRows += 1;
    if (this.windowRows * this.columns === this.window.length) this.drainWindow();
  }

  /** Ends the pass: the rows still in the window are used, and the pass's figures returned. */
  endPass(): MiniBatchPass {
    this.drainWindow();
    let shift = 0;
    for (let c = 0; c < this.k; c++) {
      let moved = 0;
      for (let j = 0; j < this.columns; j++) moved += (this.centres[c * this.columns + j]! - this.passStart[c * this.columns + j]!) ** 2;
      shift = Math.max(shift, moved);
    }
    const pass = { centroidShift: shift, inertia: this.passInertia, rows: this.passRows };
    this.passStart = Float64Array.from(this.centres);
    this.passInertia = 0;
    this.passRows = 0;
    return pass;
  }

  /** The nearest centre of a prepared row and its squared distance. */
  nearest(row: Float64Array, at = 0): { cluster: number; squaredDistance: number } {
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < this.k; c++) {
      let distance = 0;
      const base = c * this.columns;
      for (let j = 0; j < this.columns && distance < bestDistance; j++) {
        const d = row[at + j]! - this.centres[base + j]!;
        distance += d * d;
      }
      if (distance < bestDistance) {
        best = c;
        bestDistance = distance;
      }
    }
    return { cluster: best, squaredDistance: bestDistance };
  }

  centresAsArrays(): number[][] {
    return Array.from({ length: this.k }, (_, c) => Array.from(this.centres.subarray(c * this.columns, (c + 1) * this.columns)));
  }

  private drainWindow(): void {
    const rows = this.windowRows;
    const columns = this.columns;
    // Fisher–Yates over the window's rows, swapping rows in place.
    const swap = new Float64Array(columns);
    for (let i = rows - 1; i > 0; i--) {
      const j = this.random.integer(i + 1);
      if (j === i) continue;
      swap.set(this.window.subarray(i * columns, (i + 1) * columns));
      this.window.copyWithin(i * columns, j * columns, (j + 1) * columns);
      this.window.set(swap, j * columns);
    }
    for (let start = 0; start < rows; start += this.batchSize) this.step(start, Math.min(rows, start + this.batchSize));
    this.windowRows = 0;
  }

  // One batch: assign against the centres as they are, then move each centre by its rows' mean, weighted
  // by how many rows it has had (scikit-learn's _mini_batch_update).
  private step(from: number, to: number): void {
    const { columns, sums, batchCounts } = this;
    sums.fill(0);
    batchCounts.fill(0);
    for (let row = from; row < to; row++) {
      const { cluster, squaredDistance } = this.nearest(this.window, row * columns);
      this.passInertia += squaredDistance;
      batchCounts[cluster]! += 1;
      for (let j = 0; j < columns; j++) sums[cluster * columns + j]! += this.window[row * columns + j]!;
    }
    this.passRows += to - from;
    for (let c = 0; c < this.k; c++) {
      const added = batchCounts[c]!;
      if (added === 0) continue;
      const total = (this.counts[c]! += added);
      for (let j = 0; j < columns; j++) {
        const at = c * columns + j;
        this.centres[at] = this.centres[at]! + (sums[at]! - added * this.centres[at]!) / total;
      }
    }
  }
}
