import type { KScore, KSelectionRule, ModelingJobParams, ModelingMetrics } from '../modeling/model';
import type { ColumnStats, ScalingKind } from '../modeling/model';
import type { PublishErrorRecord } from '../outcome/outcome.record';

export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_STATUSES: readonly RunStatus[] = ['QUEUED', 'RUNNING'];

/** The parameters a run was started with, defaults filled in, as stored with the run. */
export interface RunParams extends ModelingJobParams {
  readonly publishOutcomes: boolean;
  /** MINI_BATCH reads the table in passes (mini-batch k-means); absent: LLOYD, the whole table in memory. */
  readonly algorithm?: RunAlgorithm;
  /** MINI_BATCH's rows per mini-batch; absent under LLOYD. */
  readonly batchSize?: number;
  /** Whether the caller gave the seed (false: drawn); absent in runs recorded before it was kept. */
  readonly seedGiven?: boolean;
  /** The dataset's definition when the run started: later changes to the dataset do not change the run. */
  readonly table: string;
  readonly keyColumns: readonly string[];
  readonly featureColumns: readonly string[];
}

export type RunAlgorithm = 'LLOYD' | 'MINI_BATCH';

export interface RunProgress {
  readonly iteration: number;
  readonly maxIterations: number;
  readonly fraction: number;
  readonly lastShift: number | null;
  /** Rows of the dataset read so far (the table's rows once read); null before the read begins. */
  readonly rowsRead?: number | null;
  /** The read's rate so far, rows a second; null before the read begins. */
  readonly rowsPerSecond?: number | null;
}

export interface PhaseTimings {
  readonly readMs: number;
  readonly prepareMs: number;
  readonly clusterMs: number;
  readonly scoreMs: number;
  /** Storing the run's assignments (their chunks; ai_run_assignment before migration 7); absent in runs recorded before it was measured. */
  readonly saveMs?: number;
  readonly publishMs: number | null;
}

export interface RunMetrics extends ModelingMetrics {
  readonly timings: PhaseTimings;
}

export interface IterationRecord {
  readonly k: number;
  readonly restart: number;
  readonly iteration: number;
  readonly centroidShift: number;
  readonly inertia: number;
  readonly clusterSizes: readonly number[];
}

export interface KSelectionRecord {
  readonly rule: KSelectionRule;
  readonly chosenK: number;
  readonly maxCappedByRows: boolean;
  readonly scores: readonly KScore[];
}

export interface CentroidRecord {
  readonly cluster: number;
  readonly original: readonly number[];
  readonly scaled: readonly number[];
}

export interface PreparationRecord {
  readonly rowsRead: number;
  readonly rowsDropped: number;
  readonly scaling: ScalingKind;
  readonly columnStats: readonly ColumnStats[];
  /** Per feature: the values the run treated as missing (dropped or imputed), and why. Absent in runs recorded before it was. */
  readonly missingValues?: readonly MissingValueCount[];
}

/** One feature's missing values: NULLs, and values that are not numbers (text in a SQLite column declared numeric). */
export interface MissingValueCount {
  readonly column: string;
  readonly nulls: number;
  readonly nonNumeric: number;
}

/** A run as its row is read for listings and lookups: everything but the per-iteration history (ModelRunWithHistory). */
export interface ModelRunRecord {
  readonly id: string;
  readonly datasetId: string;
  readonly status: RunStatus;
  readonly params: RunParams;
  readonly idempotencyKey: string | null;
  readonly progress: RunProgress;
  readonly metrics: RunMetrics | null;
  readonly kSelection: KSelectionRecord | null;
  readonly centroids: readonly CentroidRecord[] | null;
  readonly clusterSizes: readonly number[] | null;
  readonly preparation: PreparationRecord | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** The server process that claimed it from the queue (null while QUEUED); its heartbeat keeps the run alive. */
  readonly owner: string | null;
  /** How many times a replica claimed it: more than 1 when its owner died and it was run again. */
  readonly attempts: number;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly heartbeatAt: Date | null;
  readonly outcomesPublishedAt: Date | null;
  /** Why the last publishing of a SUCCEEDED run's outcomes failed; cleared when publishing succeeds. */
  readonly publishError: PublishErrorRecord | null;
}

/**
 * A run with its per-iteration history (up to 5,000 records, kept out of the run row's reads so listings
 * stay small): what an insert writes and the report page draws. Null until the run succeeds.
 */
export interface ModelRunWithHistory extends ModelRunRecord {
  readonly iterations: readonly IterationRecord[] | null;
}

export function isTerminal(status: RunStatus): boolean {
  return !ACTIVE_STATUSES.includes(status);
}
