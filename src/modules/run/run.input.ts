import { Field, ID, InputType, Int, Float, registerEnumType } from 'type-graphql';
import { RUN_STATUSES, type RunStatus } from './run.record';

export enum Initialization {
  KMEANS_PLUS_PLUS = 'KMEANS_PLUS_PLUS',
  RANDOM = 'RANDOM',
}
export enum MissingValues {
  DROP = 'DROP',
  MEAN = 'MEAN',
}
/** The GraphQL enum Scaling (the model's own type of that name is its fitted scaling). */
export enum ScalingEnum {
  NONE = 'NONE',
  STANDARD = 'STANDARD',
  MINMAX = 'MINMAX',
}
export enum Algorithm {
  LLOYD = 'LLOYD',
  MINI_BATCH = 'MINI_BATCH',
}

export enum ModelRunOrderField {
  CREATED_AT = 'CREATED_AT',
  FINISHED_AT = 'FINISHED_AT',
}
export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
export const ModelRunStatus = Object.fromEntries(RUN_STATUSES.map((status) => [status, status])) as { [S in RunStatus]: S };

registerEnumType(Initialization, {
  name: 'Initialization',
  description: "How initial centroids are chosen. (ml-kmeans' mostDistant is not offered: it builds an n×n matrix.)",
  valuesConfig: {
    KMEANS_PLUS_PLUS: { description: 'k-means++: each next centroid drawn with probability proportional to its squared distance from those chosen.' },
    RANDOM: { description: 'k distinct rows drawn at random.' },
  },
});
registerEnumType(Algorithm, {
  name: 'Algorithm',
  description: 'How a run clusters.',
  valuesConfig: {
    LLOYD: { description: 'k-means (Lloyd) over the whole table in memory: the default.' },
    MINI_BATCH: {
      description:
        'Mini-batch k-means (Sculley 2010, as scikit-learn’s MiniBatchKMeans) reading the table in passes, for tables larger than memory: one pass for statistics and the initial sample, up to maxIterations passes of updates, one pass assigning every row.',
    },
  },
});

registerEnumType(MissingValues, {
  name: 'MissingValues',
  description: 'DROP rows with a NULL feature, or replace NULLs with the column MEAN.',
  valuesConfig: {
    DROP: { description: 'Leave out every row with a NULL (or non-numeric) feature.' },
    MEAN: { description: 'Replace a missing value with its column’s mean.' },
  },
});
registerEnumType(ScalingEnum, {
  name: 'Scaling',
  description: 'Feature scaling before clustering: none, z-score (population std), or to [0, 1].',
  valuesConfig: {
    NONE: { description: 'The features as they are.' },
    STANDARD: { description: 'z-scores: minus the mean, divided by the population standard deviation.' },
    MINMAX: { description: 'Scaled to [0, 1] by each column’s min and max.' },
  },
});
registerEnumType(ModelRunStatus, {
  name: 'ModelRunStatus',
  description: 'QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED; terminal states never change.',
  valuesConfig: {
    QUEUED: { description: 'Waiting for a server to claim it.' },
    RUNNING: { description: 'A server is computing it.' },
    SUCCEEDED: { description: 'Ended with results (terminal).' },
    FAILED: { description: 'Ended with an error: see error (terminal).' },
    CANCELLED: { description: 'Stopped by cancelModelRun (terminal).' },
  },
});
registerEnumType(ModelRunOrderField, {
  name: 'ModelRunOrderField',
  description: 'What runs are sorted by; the id breaks ties.',
  valuesConfig: {
    CREATED_AT: { description: 'When the run was queued.' },
    FINISHED_AT: { description: 'When the run ended; runs not ended yet come last in either direction.' },
  },
});
registerEnumType(OrderDirection, {
  name: 'OrderDirection',
  description: 'Ascending or descending.',
  valuesConfig: { ASC: { description: 'Oldest (smallest) first.' }, DESC: { description: 'Newest (largest) first.' } },
});

@InputType({ description: 'The values of k to try, min and max included.' })
export class KRangeInput {
  @Field(() => Int, { description: 'The smallest k, at least 2.' })
  min!: number;

  @Field(() => Int, { description: 'The largest k, at least min; lowered to the rows − 1 when there are fewer rows.' })
  max!: number;
}

@InputType({ description: 'How to prepare the input before clustering; defaults for what is null.' })
export class PreparationInput {
  @Field(() => MissingValues, { nullable: true, description: 'Default DROP.' })
  missing?: MissingValues | null;

  @Field(() => ScalingEnum, { nullable: true, description: 'Default STANDARD.' })
  scaling?: ScalingEnum | null;
}

@InputType({ description: 'Give exactly one of k or kRange.' })
export class StartModelRunInput {
  @Field(() => ID, { description: 'The dataset to cluster.' })
  datasetId!: string;

  @Field(() => Int, { nullable: true, description: 'Number of clusters, 2 to 1,000 and at most the rows clustered.' })
  k?: number | null;

  @Field(() => KRangeInput, { nullable: true, description: 'Try each k in the range (at most 12 values) and keep the one with the highest silhouette.' })
  kRange?: KRangeInput | null;

  @Field(() => Initialization, { nullable: true, description: 'Default KMEANS_PLUS_PLUS.' })
  initialization?: Initialization | null;

  @Field(() => Int, { nullable: true, description: 'Restarts, 1 to 50; the lowest inertia wins. Default 1 with k-means++, 10 with RANDOM.' })
  nInit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Per restart, 1 to 10,000. Default 300. With MINI_BATCH: passes of updates over the table, default 10.' })
  maxIterations?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Stop when no centroid moves more than this (squared distance), at least 0; 0 iterates until none moves at all. Default 1e-6.',
  })
  tolerance?: number | null;

  @Field(() => Int, { nullable: true, description: 'Makes the run reproducible; drawn at random (and recorded) when omitted.' })
  seed?: number | null;

  @Field(() => PreparationInput, { nullable: true, description: 'Missing values and scaling; defaults DROP and STANDARD.' })
  preparation?: PreparationInput | null;

  @Field(() => Boolean, { nullable: true, description: 'UPSERT the outcomes into the outcome table on success. Default true.' })
  publishOutcomes?: boolean | null;

  @Field(() => Algorithm, { nullable: true, description: 'Default LLOYD. MINI_BATCH takes k (not kRange) and one restart.' })
  algorithm?: Algorithm | null;

  @Field(() => Int, {
    nullable: true,
    description: 'MINI_BATCH only: rows per mini-batch, 1 to 1,000,000, and at most 1,000,000 values (batchSize × feature columns). Default 1,024.',
  })
  batchSize?: number | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The same key with the same request returns the same run instead of starting another (not counted by the rate limit); with another request it is refused (IDEMPOTENCY_KEY_REUSED).',
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Conditions on runs; a run must meet every one given (null: no condition; an empty list: no run meets it).' })
export class ModelRunFilter {
  @Field(() => [ID], { nullable: true, description: 'Runs of these datasets (at most 100); an empty list matches no run.' })
  datasetIds?: string[] | null;

  @Field(() => [ModelRunStatus], { nullable: true, description: 'Runs in one of these statuses; an empty list matches no run.' })
  statuses?: RunStatus[] | null;

  @Field(() => Date, { nullable: true, description: 'Runs queued strictly after this instant.' })
  createdAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Runs queued strictly before this instant.' })
  createdBefore?: Date | null;
}

@InputType({ description: 'The order of a list of runs.' })
export class ModelRunOrder {
  @Field(() => ModelRunOrderField, { description: 'What to sort by.' })
  field!: ModelRunOrderField;

  @Field(() => OrderDirection, { description: 'Ascending or descending.' })
  direction!: OrderDirection;
}

/** Runs are listed newest first unless orderBy says otherwise. */
export const NEWEST_FIRST: ModelRunOrder = { field: ModelRunOrderField.CREATED_AT, direction: OrderDirection.DESC };
