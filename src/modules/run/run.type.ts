import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../graphql/connection';
import { Initialization, MissingValues, ModelRunStatus, ScalingEnum } from './run.input';
import type { RunStatus } from './run.record';

@ObjectType()
export class KRange {
  @Field(() => Int)
  min!: number;

  @Field(() => Int)
  max!: number;
}

@ObjectType()
export class Preparation {
  @Field(() => MissingValues)
  missing!: MissingValues;

  @Field(() => ScalingEnum)
  scaling!: ScalingEnum;
}

@ObjectType({ description: 'The parameters of a run, defaults filled in, and the dataset definition it ran on.' })
export class ModelRunParams {
  @Field(() => Int, { nullable: true })
  k!: number | null;

  @Field(() => KRange, { nullable: true })
  kRange!: KRange | null;

  @Field(() => Initialization)
  initialization!: Initialization;

  @Field(() => Int)
  nInit!: number;

  @Field(() => Int)
  maxIterations!: number;

  @Field(() => Float)
  tolerance!: number;

  @Field(() => Int)
  seed!: number;

  @Field(() => Preparation)
  preparation!: Preparation;

  @Field(() => Boolean)
  publishOutcomes!: boolean;

  @Field(() => String)
  table!: string;

  @Field(() => [String])
  keyColumns!: string[];

  @Field(() => [String])
  featureColumns!: string[];
}

@ObjectType('RunProgress')
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
}

@ObjectType('PhaseTimings', { description: 'Milliseconds spent in each phase of a run.' })
export class PhaseTimingsType {
  @Field(() => Float)
  readMs!: number;

  @Field(() => Float)
  prepareMs!: number;

  @Field(() => Float)
  clusterMs!: number;

  @Field(() => Float)
  scoreMs!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Storing the assignments (ai_run_assignment), in the final transaction; null for runs recorded before it was measured.',
  })
  saveMs!: number | null;

  @Field(() => Float, { nullable: true, description: 'UPSERTing the outcomes, in the final transaction; null when the run did not publish.' })
  publishMs!: number | null;
}

@ObjectType('RunMetrics', { description: 'Clustering quality. Scores follow scikit-learn’s definitions; null where undefined.' })
export class RunMetricsType {
  @Field(() => Float, { description: 'Total within-cluster sum of squared distances (scaled units).' })
  inertia!: number;

  @Field(() => Float, { nullable: true })
  silhouette!: number | null;

  @Field(() => Boolean, { description: 'True when the silhouette was computed on a sample of rows.' })
  silhouetteSampled!: boolean;

  @Field(() => Int)
  silhouetteSampleSize!: number;

  @Field(() => Float, { nullable: true })
  daviesBouldin!: number | null;

  @Field(() => Float, { nullable: true })
  calinskiHarabasz!: number | null;

  @Field(() => Int, { description: 'Iterations of the winning restart.' })
  iterations!: number;

  @Field(() => Boolean)
  converged!: boolean;

  @Field(() => PhaseTimingsType)
  timings!: PhaseTimingsType;
}

@ObjectType('IterationRecord', { description: 'One k-means iteration as it happened.' })
export class IterationRecordType {
  @Field(() => Int)
  k!: number;

  @Field(() => Int)
  restart!: number;

  @Field(() => Int)
  iteration!: number;

  @Field(() => Float)
  centroidShift!: number;

  @Field(() => Float)
  inertia!: number;

  @Field(() => [Int])
  clusterSizes!: number[];
}

@ObjectType('KScore')
export class KScoreType {
  @Field(() => Int)
  k!: number;

  @Field(() => Float)
  inertia!: number;

  @Field(() => Float, { nullable: true })
  silhouette!: number | null;

  @Field(() => Float, { nullable: true })
  daviesBouldin!: number | null;

  @Field(() => Float, { nullable: true })
  calinskiHarabasz!: number | null;

  @Field(() => Int)
  iterations!: number;

  @Field(() => Boolean)
  converged!: boolean;
}

@ObjectType({ description: 'The scores of every k tried and the k chosen.' })
export class KSelection {
  @Field(() => String, { description: 'MAX_SILHOUETTE: the highest silhouette; ties go to the smaller k.' })
  rule!: string;

  @Field(() => Int)
  chosenK!: number;

  @Field(() => Boolean, { description: 'True when kRange.max was lowered to the rows − 1.' })
  maxCappedByRows!: boolean;

  @Field(() => [KScoreType])
  scores!: KScoreType[];
}

@ObjectType()
export class Centroid {
  @Field(() => Int)
  cluster!: number;

  @Field(() => [Float], { description: 'In the features’ own units.' })
  original!: number[];

  @Field(() => [Float], { description: 'In the scaled units the clustering used.' })
  scaled!: number[];
}

@ObjectType({
  description: 'Why a run failed. Database and internal errors carry the catalogue’s generic message; their details are in the server log under the run id.',
})
export class RunError {
  @Field(() => String, { description: 'A code of the error catalogue (README "Error codes"), e.g. EMPTY_INPUT, NON_FINITE_VALUE, INTERRUPTED, DB_ERROR.' })
  code!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: 'Why a succeeded run’s outcomes are not in its outcome table; publishRunOutcomes retries.' })
export class PublishError {
  @Field(() => String, { description: 'An error code of the catalogue, e.g. DB_QUERY_TIMEOUT, DB_ERROR, DB_UNAVAILABLE.' })
  code!: string;

  @Field(() => String, { description: 'Safe to show: the database’s own words are in the server log only.' })
  message!: string;

  @Field(() => Date)
  at!: Date;
}

@ObjectType({ description: 'A k-means clustering of a dataset.' })
export class ModelRun {
  @Field(() => ID)
  id!: string;

  @Field(() => ModelRunStatus)
  status!: RunStatus;

  @Field(() => Int, {
    description:
      'Times a server claimed the run from the queue: 0 while it waits for its first claim. More than 1 when it was given back (its server died, shut down or could not begin it) and run again; at RUN_MAX_ATTEMPTS it ends instead.',
  })
  attempts!: number;

  @Field(() => ModelRunParams)
  params!: ModelRunParams;

  @Field(() => RunProgressType)
  progress!: RunProgressType;

  @Field(() => RunMetricsType, { nullable: true })
  metrics!: RunMetricsType | null;

  @Field(() => [IterationRecordType], { nullable: true, description: 'Every iteration (the first 5,000).' })
  iterations!: IterationRecordType[] | null;

  @Field(() => KSelection, { nullable: true })
  kSelection!: KSelection | null;

  @Field(() => [Centroid], { nullable: true })
  centroids!: Centroid[] | null;

  @Field(() => [Int], { nullable: true })
  clusterSizes!: number[] | null;

  @Field(() => RunError, { nullable: true })
  error!: RunError | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When its outcomes were last written to the outcome table.' })
  outcomesPublishedAt!: Date | null;

  @Field(() => PublishError, {
    nullable: true,
    description: 'Set when publishing a SUCCEEDED run’s outcomes failed (its results and assignments are kept); cleared when publishRunOutcomes succeeds.',
  })
  publishError!: PublishError | null;
}

export const ModelRunConnection = ConnectionType('ModelRun', ModelRun, 'A page of model runs.');
