import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../graphql/connection';

@ObjectType({ description: 'A published outcome: the row the outcome table holds for one entity.' })
export class Outcome {
  @Field(() => String)
  entityKey!: string;

  @Field(() => ID)
  runId!: string;

  @Field(() => Int)
  cluster!: number;

  @Field(() => Float)
  distance!: number;

  @Field(() => Date, { description: 'When the run that assigned it finished.' })
  scoredAt!: Date;
}

export const OutcomeConnection = ConnectionType('Outcome', Outcome, 'A page of a dataset’s published outcomes, by entity key.');
