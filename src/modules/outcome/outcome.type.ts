import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../graphql/connection';

@ObjectType({ description: 'A published outcome: the row the outcome table holds for one entity.' })
export class Outcome {
  @Field(() => String, { description: 'The key value; a JSON array for a composite key.' })
  entityKey!: string;

  @Field(() => ID, { description: 'The run that assigned it.' })
  runId!: string;

  @Field(() => Int, { description: 'Its cluster in that run.' })
  cluster!: number;

  @Field(() => Float, { description: 'Euclidean distance to its centroid, in scaled units.' })
  distance!: number;

  @Field(() => Date, { description: 'When the run that assigned it finished.' })
  scoredAt!: Date;
}

export const OutcomeConnection = ConnectionType('Outcome', Outcome, 'A page of a dataset’s published outcomes, by entity key.');
