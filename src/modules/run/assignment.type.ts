import { Field, Float, Int, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../graphql/connection';

@ObjectType('Assignment', { description: 'One entity’s cluster in a run.' })
export class AssignmentType {
  @Field(() => String, { description: 'The key value; a JSON array for a composite key.' })
  entityKey!: string;

  @Field(() => Int, { description: 'Its cluster, from 0.' })
  cluster!: number;

  @Field(() => Float, { description: 'Euclidean distance to its centroid, in scaled units.' })
  distance!: number;
}

export const AssignmentConnection = ConnectionType('Assignment', AssignmentType, 'A page of a run’s assignments, by entity key.');
