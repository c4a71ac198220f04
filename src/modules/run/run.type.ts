import { Field, Float, ID, Int, ObjectType, UseMiddleware } from 'type-graphql';
import { ConnectionType, type KeysetCursors } from '../../graphql/connection';
import { ErrorCodeEnum } from '../../graphql/error-code.type';
import { knownOr, listEnum, UNKNOWN } from '../../graphql/list-enum';
import { ERROR_CATALOGUE } from '../../errors/catalogue';
import { K_SELECTION_RULES } from '../modeling/model';
import { Algorithm, Initialization, MissingValues, ModelRunStatus, ScalingEnum } from './run.input';
import type { ModelRunRecord, PreparationRecord, RunStatus } from './run.record';
import { RUN_ORDER_COLUMNS, runKey, type RunKey, type RunOrder } from './run.repository';

export const KSelectionRuleEnum = listEnum(
  'KSelectionRule',
  'How a kRange run chose its k.',
  K_SELECTION_RULES,
  'A rule this server does not know (a run stored by another version).',
);

@ObjectType({ description: 'The values of k a run tried, min and max included.' })
export class KRange {
  @Field(() => Int, { description: 'The smallest k tried.' })
  min!: number;

  @Field(() => Int, { description: 'The largest k asked for (see KSelection.maxCappedByRows for the largest tried).' })
  max!: number;
}

@ObjectType({ description: 'How a run prepared its input before clustering.' })
export class Preparation {
  @Field(() => MissingValues, { description: 'What it did with rows that have a NULL (or non-numeric) feature.' })
  missing!: MissingValues;

  @Field(() => ScalingEnum, { description: 'How it scaled the features.' })
  scaling!: ScalingEnum;
}

@ObjectType({ description: 'The parameters of a run, defaults filled in, and the dataset definition it ran on.' })
export class ModelRunParams {
  @Field(() => Int, { nullable: true, description: 'The number of clusters asked for; null when the run tried a kRange.' })
  k!: number | null;

  @Field(() => KRange, { nullable: true, description: 'The values of k tried; null when the run was given k.' })
  kRange!: KRange | null;

  @Field(() => Initialization, { description: 'How initial centroids were chosen.' })
  initialization!: Initialization;

  @Field(() => Int, { description: 'Restarts per value of k; the lowest inertia won.' })
  nInit!: number;

  @Field(() => Int, { description: 'The iteration limit of each restart.' })
  maxIterations!: number;

  @Field(() => Float, { description: 'The convergence threshold: the largest squared centroid movement that counts as converged.' })
  tolerance!: number;

  @Field(() => Int, { description: 'The random seed: given, or drawn and recorded, so the run can be repeated.' })
  seed!: number;

  @Field(() => Preparation, { description: 'Missing values and scaling.' })
  preparation!: Preparation;

  @Field(() => Boolean, { description: 'Whether the outcomes are UPSERTed into the outcome table on success.' })
  publishOutcomes!: boolean;

  @Field(() => Algorithm, { description: 'How the run clusters: LLOYD (the whole table in memory) or MINI_BATCH (passes over the table).' })
  // Absent in the stored parameters of a LLOYD run.
  @UseMiddleware(async (_, next) => ((await next()) as Algorithm | undefined) ?? Algorithm.LLOYD)
  algorithm!: Algorithm;

  @Field(() => Int, { nullable: true, description: 'MINI_BATCH’s rows per mini-batch; null under LLOYD.' })
  batchSize!: number | null;

  @Field(() => String, { description: 'The dataset’s table when the run started.' })
  table!: string;

  @Field(() => [String], { description: 'The dataset’s key columns when the run started.' })
  keyColumns!: string[];

  @Field(() => [String], { description: 'The feature columns clustered, in this order (as in Centroid.original).' })
  featureColumns!: string[];
}

@ObjectType('RunProgress', { description: 'How far a run has got.' })
export class RunProgressType {
  @Field(() => Int, { description: 'Iterations done, across restarts and values of k.' })
  iteration!: number;

  @Field(() => Int, { description: 'The iteration budget: maxIterations × nInit × values of k.' })
  maxIterations!: number;

  @Field(() => Float, {
    description:
      'The share of the run’s estimated work done, from 0 to 1: reading, preparing, each restart of each k, the scores, storing the results (weights measured per phase); 1 once SUCCEEDED, before the outcomes are published. Never decreases within an attempt.',
  })
  fraction!: number;

  @Field(() => Float, { nullable: true, description: 'The last iteration’s largest squared centroid movement.' })
  lastShift!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Rows of the dataset read so far: growing while the run reads, the rows read once it has (MINI_BATCH: in the current pass over the table, from 0 at each pass). Null before the read begins.',
  })
  rowsRead!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Rows read a second since the read began (the whole read’s rate once done; MINI_BATCH: the current pass’s). Null before the read begins.',
  })
  rowsPerSecond!: number | null;
}

@ObjectType('PhaseTimings', { description: 'Milliseconds spent in each phase of a run.' })
export class PhaseTimingsType {
  @Field(() => Float, { description: 'Reading the rows from the dataset table.' })
  readMs!: number;

  @Field(() => Float, { description: 'Handling missing values and scaling.' })
  prepareMs!: number;

  @Field(() => Float, { description: 'k-means itself, every restart and value of k.' })
  clusterMs!: number;

  @Field(() => Float, { description: 'Computing the scores (silhouette, Davies–Bouldin, Calinski–Harabasz).' })
  scoreMs!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Storing the assignments (packed chunks), in the final transaction; null for runs recorded before it was measured.',
  })
  saveMs!: number | null;

  @Field(() => Float, { nullable: true, description: 'UPSERTing the outcomes, in the final transaction; null when the run did not publish.' })
  publishMs!: number | null;
}

@ObjectType('RunMetrics', { description: 'Clustering quality. Scores follow scikit-learn’s definitions; null where undefined.' })
export class RunMetricsType {
  @Field(() => Float, { description: 'Total within-cluster sum of squared distances (scaled units).' })
  inertia!: number;

  @Field(() => Float, { nullable: true, description: 'Mean silhouette, −1 to 1 (higher is better).' })
  silhouette!: number | null;

  @Field(() => Boolean, { description: 'True when the silhouette was computed on a sample of rows.' })
  silhouetteSampled!: boolean;

  @Field(() => Int, { description: 'The rows the silhouette was computed on.' })
  silhouetteSampleSize!: number;

  @Field(() => Float, { nullable: true, description: 'Davies–Bouldin index, at least 0 (lower is better).' })
  daviesBouldin!: number | null;

  @Field(() => Float, { nullable: true, description: 'Calinski–Harabasz index (higher is better).' })
  calinskiHarabasz!: number | null;

  @Field(() => Int, { description: 'Iterations of the winning restart.' })
  iterations!: number;

  @Field(() => Boolean, { description: 'Whether the winning restart converged within maxIterations.' })
  converged!: boolean;

  @Field(() => PhaseTimingsType, { description: 'Milliseconds spent in each phase.' })
  timings!: PhaseTimingsType;
}

@ObjectType('IterationRecord', { description: 'One k-means iteration as it happened.' })
export class IterationRecordType {
  @Field(() => Int, { description: 'The number of clusters.' })
  k!: number;

  @Field(() => Int, { description: 'The restart, from 1 to nInit.' })
  restart!: number;

  @Field(() => Int, { description: 'The iteration within its restart, from 1.' })
  iteration!: number;

  @Field(() => Float, { description: 'The largest squared centroid movement in this iteration (scaled units).' })
  centroidShift!: number;

  @Field(() => Float, { description: 'Total within-cluster sum of squared distances after this iteration (scaled units).' })
  inertia!: number;

  @Field(() => [Int], { description: 'Rows in each cluster, by cluster number.' })
  clusterSizes!: number[];
}

@ObjectType('KScore', { description: 'The scores of the best restart of one value of k.' })
export class KScoreType {
  @Field(() => Int, { description: 'The number of clusters.' })
  k!: number;

  @Field(() => Float, { description: 'Total within-cluster sum of squared distances (scaled units).' })
  inertia!: number;

  @Field(() => Float, { nullable: true, description: 'Mean silhouette, −1 to 1 (higher is better); null where undefined.' })
  silhouette!: number | null;

  @Field(() => Float, { nullable: true, description: 'Davies–Bouldin index (lower is better); null where undefined.' })
  daviesBouldin!: number | null;

  @Field(() => Float, { nullable: true, description: 'Calinski–Harabasz index (higher is better); null where undefined.' })
  calinskiHarabasz!: number | null;

  @Field(() => Int, { description: 'Iterations of that restart.' })
  iterations!: number;

  @Field(() => Boolean, { description: 'Whether that restart converged within maxIterations.' })
  converged!: boolean;
}

@ObjectType({ description: 'The scores of every k tried and the k chosen.' })
export class KSelection {
  @Field(() => KSelectionRuleEnum, { description: 'The rule that chose k.' })
  @UseMiddleware(knownOr(K_SELECTION_RULES, UNKNOWN))
  rule!: string;

  @Field(() => Int, { description: 'The k the rule chose: the run’s results are for it.' })
  chosenK!: number;

  @Field(() => Boolean, { description: 'True when kRange.max was lowered to the rows − 1.' })
  maxCappedByRows!: boolean;

  @Field(() => [KScoreType], { description: 'One per value of k tried, smallest k first.' })
  scores!: KScoreType[];
}

@ObjectType({ description: 'How many rows a run read, left out and clustered.' })
export class RunRowCounts {
  @Field(() => Float, { description: 'Rows of the dataset read.' })
  read!: number;

  @Field(() => Float, { description: 'Rows left out for a missing value (params.preparation.missing DROP); 0 with MEAN, which fills missing values in.' })
  dropped!: number;

  @Field(() => Float, { description: 'Rows clustered: read − dropped. The cluster sizes add up to it.' })
  clustered!: number;
}

/** A run's row counts from what its preparation recorded; null before it has any. */
export function rowCountsOf(preparation: PreparationRecord | null): RunRowCounts | null {
  return preparation ? { read: preparation.rowsRead, dropped: preparation.rowsDropped, clustered: preparation.rowsRead - preparation.rowsDropped } : null;
}

@ObjectType({ description: 'The centre of one cluster.' })
export class Centroid {
  @Field(() => Int, { description: 'The cluster number, from 0.' })
  cluster!: number;

  @Field(() => [Float], { description: 'In the features’ own units, in the order of params.featureColumns.' })
  original!: number[];

  @Field(() => [Float], { description: 'In the scaled units the clustering used.' })
  scaled!: number[];
}

@ObjectType({
  description: 'Why a run failed. Database and internal errors carry the catalogue’s generic message; their details are in the server log under the run id.',
})
export class RunError {
  @Field(() => ErrorCodeEnum, {
    description:
      'The catalogue code, e.g. EMPTY_INPUT, NON_FINITE_VALUE, INTERRUPTED, DB_ERROR; a code this server does not know (stored by another version) reads INTERNAL_SERVER_ERROR.',
  })
  @UseMiddleware(knownOr(ERROR_CATALOGUE, 'INTERNAL_SERVER_ERROR'))
  code!: string;

  @Field(() => String, { description: 'Safe to show: what to fix for input errors, the catalogue’s message otherwise.' })
  message!: string;
}

@ObjectType({ description: 'Why a succeeded run’s outcomes are not in its outcome table; publishRunOutcomes retries.' })
export class PublishError {
  @Field(() => ErrorCodeEnum, {
    description:
      'The catalogue code, e.g. DB_QUERY_TIMEOUT, DB_ERROR, DB_UNAVAILABLE; a code this server does not know (stored by another version) reads INTERNAL_SERVER_ERROR.',
  })
  @UseMiddleware(knownOr(ERROR_CATALOGUE, 'INTERNAL_SERVER_ERROR'))
  code!: string;

  @Field(() => String, { description: 'Safe to show: the database’s own words are in the server log only.' })
  message!: string;

  @Field(() => Date, { description: 'When publishing failed.' })
  at!: Date;
}

@ObjectType({ description: 'A k-means clustering of a dataset.' })
export class ModelRun {
  @Field(() => ID, { description: 'The run’s id.' })
  id!: string;

  @Field(() => ModelRunStatus, { description: 'Where the run is in its life.' })
  status!: RunStatus;

  @Field(() => Int, {
    description:
      'Times a server claimed the run from the queue: 0 while it waits for its first claim. More than 1 when it was given back (its server died, shut down or could not begin it) and run again; at RUN_MAX_ATTEMPTS it ends instead.',
  })
  attempts!: number;

  @Field(() => ModelRunParams, { description: 'What the run was asked to do, defaults filled in.' })
  params!: ModelRunParams;

  @Field(() => RunProgressType, { description: 'How far the run has got.' })
  progress!: RunProgressType;

  @Field(() => RunMetricsType, { nullable: true, description: 'Clustering quality and timings; null until the run succeeds.' })
  metrics!: RunMetricsType | null;

  @Field(() => [IterationRecordType], {
    nullable: true,
    description: 'Every iteration (the first 5,000); null until the run succeeds (progress tells a running one).',
  })
  iterations!: IterationRecordType[] | null;

  @Field(() => KSelection, { nullable: true, description: 'How k was chosen; null unless the run tried a kRange and succeeded.' })
  kSelection!: KSelection | null;

  @Field(() => [Centroid], { nullable: true, description: 'One per cluster; null until the run succeeds.' })
  centroids!: Centroid[] | null;

  @Field(() => [Int], { nullable: true, description: 'Rows in each cluster, by cluster number; null until the run succeeds.' })
  clusterSizes!: number[] | null;

  // Its value comes from RunResolver.rowCounts.
  @Field(() => RunRowCounts, { nullable: true, description: 'Rows read, left out for a missing value, and clustered; null until the run succeeds.' })
  rowCounts!: RunRowCounts | null;

  @Field(() => RunError, { nullable: true, description: 'Why the run failed; null unless it FAILED.' })
  error!: RunError | null;

  @Field(() => Date, { description: 'When the run was queued.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When a server last claimed it; null while QUEUED.' })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it reached a terminal status; null before.' })
  finishedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'When its outcomes were last published: the run’s finishedAt (their scoredAt) for the publish that follows the run, the time of the call for publishRunOutcomes; null until one succeeds.',
  })
  outcomesPublishedAt!: Date | null;

  @Field(() => PublishError, {
    nullable: true,
    description: 'Set when publishing a SUCCEEDED run’s outcomes failed (its results and assignments are kept); cleared when publishRunOutcomes succeeds.',
  })
  publishError!: PublishError | null;
}

export const ModelRunConnection = ConnectionType('ModelRun', ModelRun, 'A page of model runs.');

/** The cursors of a list of runs in `order`: the run's value in the order's column (ISO, or null) and its id. */
export function runCursors(order: RunOrder): KeysetCursors<ModelRunRecord, RunKey> {
  const { nullable } = RUN_ORDER_COLUMNS[order.field];
  return {
    scope: `runs:${order.field}:${order.direction}`,
    keyOf: (run) => runKey(run, order.field),
    toJson: (key) => [key.at?.toISOString() ?? null, key.id],
    parse: (json) => {
      if (!Array.isArray(json) || json.length !== 2 || typeof json[1] !== 'string') return null;
      const [at, id] = json as [unknown, string];
      if (at === null) return nullable ? { at: null, id } : null;
      if (typeof at !== 'string') return null;
      const date = new Date(at);
      return !Number.isNaN(date.getTime()) && date.toISOString() === at ? { at: date, id } : null;
    },
  };
}
