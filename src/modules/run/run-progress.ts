import { DEFAULT_SILHOUETTE_SAMPLE_SIZE } from '../modeling/model';
import type { RunParams } from './run.record';

/**
 * What each phase of a run costs, in microseconds, measured on the embedded SQLite with
 * `node dist/bench/progress-phases.js` (docs/model-runs.md#progress). Only the ratios matter: the
 * fraction is the estimated work done over the estimated whole.
 */
const COST = {
  /** Reading, per row and column read (keys and features): 8–19 µs a row over 7–11 columns. */
  readPerValue: 1.2,
  /** Preparing (NULLs, scaling), per row. */
  preparePerRow: 0.7,
  /** One Lloyd iteration, per row and cluster (33–57 ns measured). */
  iterationPerRowAndCluster: 0.045,
  /** Iterations a restart is expected to take (2–89 measured; tolerance stops most well before maxIterations). */
  expectedIterations: 15,
  /** The silhouette over its sample, per pair of sampled rows (80–100 ms for a full sample of 2,000). */
  silhouettePerPair: 0.022,
  /** Davies–Bouldin and Calinski–Harabasz, per row and cluster. */
  otherScoresPerRowAndCluster: 0.03,
  /** Storing the assignments, per row (4.8–10.8 µs). */
  savePerRow: 7,
  /** A phase's fixed cost (statements, the worker's start), so a tiny dataset's phases are not all zero. */
  phase: 2_000,
} as const;

/**
 * The share of a run's work done at each point the executor can see: the table read, each iteration
 * of each restart of each k (in the order the model runs them), each k scored, and the results about
 * to be stored (the run is SUCCEEDED, 1, once they are). Publishing the outcomes follows SUCCEEDED and
 * is not counted. Non-decreasing by construction: a restart's share grows towards its whole and
 * never reaches it until the next one starts.
 */
export class RunProgressPlan {
  private readonly ks: number[];
  private readonly read: number;
  private readonly prepare: number;
  private readonly save: number;
  private readonly total: number;
  private readonly sampled: number;

  constructor(
    private readonly params: Pick<RunParams, 'k' | 'kRange' | 'nInit' | 'maxIterations' | 'keyColumns' | 'featureColumns'>,
    private readonly rows: number,
  ) {
    const range = params.kRange;
    // selectK stops at rows − 1, so k beyond it is never run.
    this.ks = range ? Array.from({ length: Math.max(1, Math.min(range.max, rows - 1) - range.min + 1) }, (_, index) => range.min + index) : [params.k ?? 1];
    this.read = COST.phase + rows * (params.keyColumns.length + params.featureColumns.length) * COST.readPerValue;
    this.prepare = COST.phase + rows * COST.preparePerRow;
    this.save = COST.phase + rows * COST.savePerRow;
    this.sampled = Math.min(rows, DEFAULT_SILHOUETTE_SAMPLE_SIZE);
    const clusterAndScore = this.ks.reduce((sum, k) => sum + this.params.nInit * this.restart(k) + this.score(k), 0);
    this.total = this.read + this.prepare + clusterAndScore + this.save;
  }

  /** The table has been read. */
  afterRead(): number {
    return this.share(this.read);
  }

  /** Iteration `iteration` (from 1) of restart `restart` (from 0) of `k` has run. */
  atIteration(k: number, restart: number, iteration: number): number {
    const restartDone = iteration / (iteration + this.expectedIterations());
    return this.share(this.beforeK(k) + (restart + restartDone) * this.restart(k));
  }

  /** Every restart of `k` has run and `k` is scored. */
  afterK(k: number): number {
    return this.share(this.beforeK(k) + this.params.nInit * this.restart(k) + this.score(k));
  }

  /** The model's results are in; storing them is left. */
  beforeSave(): number {
    return this.share(this.total - this.save);
  }

  private beforeK(k: number): number {
    let work = this.read + this.prepare;
    for (const earlier of this.ks) {
      if (earlier >= k) break;
      work += this.params.nInit * this.restart(earlier) + this.score(earlier);
    }
    return work;
  }

  private expectedIterations(): number {
    return Math.min(this.params.maxIterations, COST.expectedIterations);
  }

  private restart(k: number): number {
    return this.expectedIterations() * this.rows * k * COST.iterationPerRowAndCluster;
  }

  private score(k: number): number {
    return COST.phase + this.sampled * this.sampled * COST.silhouettePerPair + this.rows * k * COST.otherScoresPerRowAndCluster;
  }

  private share(work: number): number {
    return Math.min(1, Math.max(0, work / this.total));
  }
}
