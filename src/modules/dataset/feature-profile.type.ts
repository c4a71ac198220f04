import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One feature column’s values, as the database computes them over the whole table.' })
export class FeatureProfile {
  @Field(() => String, { description: 'The feature column.' })
  column!: string;

  @Field(() => Int, { description: 'Values that are numbers: what a run clusters.' })
  count!: number;

  @Field(() => Int, { description: 'NULL values.' })
  nulls!: number;

  @Field(() => Int, { description: 'Values that are neither NULL nor numbers (text in a SQLite column declared numeric); a run treats them as missing.' })
  nonNumeric!: number;

  @Field(() => Float, { nullable: true, description: 'The smallest number, as the double a run reads; null when there is none.' })
  min!: number | null;

  @Field(() => Float, { nullable: true, description: 'The largest number, as the double a run reads; null when there is none.' })
  max!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'The mean of the numbers; null when there is none, or when the database’s sum of them passes the largest double (SQLite).',
  })
  mean!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'The population standard deviation, from the deviations from the mean; null when there is no number, or when the mean or the squared deviations pass the largest double (SQLite).',
  })
  stddev!: number | null;
}
