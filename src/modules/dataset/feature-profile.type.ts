import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType()
export class FeatureProfile {
  @Field(() => String)
  column!: string;

  @Field(() => Int, { description: 'Values that are numbers: what a run clusters.' })
  count!: number;

  @Field(() => Int)
  nulls!: number;

  @Field(() => Int, { description: 'Values that are neither NULL nor numbers (text in a SQLite column declared numeric); a run treats them as missing.' })
  nonNumeric!: number;

  @Field(() => Float, { nullable: true })
  min!: number | null;

  @Field(() => Float, { nullable: true })
  max!: number | null;

  @Field(() => Float, { nullable: true })
  mean!: number | null;

  @Field(() => Float, { nullable: true, description: 'Population standard deviation.' })
  stddev!: number | null;
}
