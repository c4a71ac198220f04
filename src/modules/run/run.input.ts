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
});
registerEnumType(MissingValues, { name: 'MissingValues', description: 'DROP rows with a NULL feature, or replace NULLs with the column MEAN.' });
registerEnumType(ScalingEnum, { name: 'Scaling', description: 'Feature scaling before clustering: none, z-score (population std), or to [0, 1].' });
registerEnumType(ModelRunStatus, { name: 'ModelRunStatus', description: 'QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED; terminal states never change.' });
registerEnumType(ModelRunOrderField, { name: 'ModelRunOrderField' });
registerEnumType(OrderDirection, { name: 'OrderDirection' });

@InputType()
export class KRangeInput {
  @Field(() => Int)
  min!: number;

  @Field(() => Int)
  max!: number;
}

@InputType()
export class PreparationInput {
  @Field(() => MissingValues, { nullable: true, description: 'Default DROP.' })
  missing?: MissingValues | null;

  @Field(() => ScalingEnum, { nullable: true, description: 'Default STANDARD.' })
  scaling?: ScalingEnum | null;
}

@InputType({ description: 'Give exactly one of k or kRange.' })
export class StartModelRunInput {
  @Field(() => ID)
  datasetId!: string;

  @Field(() => Int, { nullable: true, description: 'Number of clusters, 2 to 1,000 and at most the rows clustered.' })
  k?: number | null;

  @Field(() => KRangeInput, { nullable: true, description: 'Try each k in the range (at most 12 values) and keep the one with the highest silhouette.' })
  kRange?: KRangeInput | null;

  @Field(() => Initialization, { nullable: true, description: 'Default KMEANS_PLUS_PLUS.' })
  initialization?: Initialization | null;

  @Field(() => Int, { nullable: true, description: 'Restarts, 1 to 50; the lowest inertia wins. Default 1 with k-means++, 10 with RANDOM.' })
  nInit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Per restart, 1 to 10,000. Default 300.' })
  maxIterations?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Stop when no centroid moves more than this (squared distance), at least 0; 0 iterates until none moves at all. Default 1e-6.',
  })
  tolerance?: number | null;

  @Field(() => Int, { nullable: true, description: 'Makes the run reproducible; drawn at random (and recorded) when omitted.' })
  seed?: number | null;

  @Field(() => PreparationInput, { nullable: true })
  preparation?: PreparationInput | null;

  @Field(() => Boolean, { nullable: true, description: 'UPSERT the outcomes into the outcome table on success. Default true.' })
  publishOutcomes?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The same key with the same request returns the same run instead of starting another (not counted by the rate limit); with another request it is refused (IDEMPOTENCY_KEY_REUSED).',
  })
  idempotencyKey?: string | null;
}

@InputType()
export class ModelRunFilter {
  @Field(() => [ID], { nullable: true })
  datasetIds?: string[] | null;

  @Field(() => [ModelRunStatus], { nullable: true })
  statuses?: RunStatus[] | null;

  @Field(() => Date, { nullable: true })
  createdAfter?: Date | null;

  @Field(() => Date, { nullable: true })
  createdBefore?: Date | null;
}

@InputType()
export class ModelRunOrder {
  @Field(() => ModelRunOrderField)
  field!: ModelRunOrderField;

  @Field(() => OrderDirection)
  direction!: OrderDirection;
}

/** Runs are listed newest first unless orderBy says otherwise. */
export const NEWEST_FIRST: ModelRunOrder = { field: ModelRunOrderField.CREATED_AT, direction: OrderDirection.DESC };
