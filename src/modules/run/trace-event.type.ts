import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../graphql/connection';

@ObjectType({ description: 'One document of a run’s modeling trace (ECS), as stored in Elasticsearch or the trace files.' })
export class TraceEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  timestamp!: Date;

  @Field(() => String, {
    description:
      'event.action: run-started, run-claimed, run-requeued, preparation, iteration, k-evaluated, cluster, run-succeeded, outcomes-published, outcomes-publish-failed, run-failed, run-cancelled.',
  })
  action!: string;

  @Field(() => String, { nullable: true })
  outcome!: string | null;

  @Field(() => Float, { nullable: true, description: 'event.duration in nanoseconds.' })
  durationNs!: number | null;

  @Field(() => GraphQLJSONObject, { description: 'The whole ECS document.' })
  document!: Record<string, unknown>;
}

export const TraceEventConnection = ConnectionType('TraceEvent', TraceEvent, 'A page of a run’s trace, oldest first.');
