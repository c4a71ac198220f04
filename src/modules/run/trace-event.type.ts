import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, ObjectType, UseMiddleware } from 'type-graphql';
import { ConnectionType } from '../../graphql/connection';
import { knownOr, listEnum, UNKNOWN } from '../../graphql/list-enum';
import { TRACE_ACTIONS, TRACE_OUTCOMES } from '../../telemetry/trace-actions';

export const TraceActionEnum = listEnum(
  'TraceAction',
  'What a trace document records (ECS event.action).',
  TRACE_ACTIONS,
  'An action this server does not know (a document written by another version). Refused as a filter.',
);

export const TraceOutcomeEnum = listEnum('TraceOutcome', 'How the recorded step ended (ECS event.outcome).', TRACE_OUTCOMES);

@ObjectType({ description: 'One document of a run’s modeling trace (ECS), as stored in Elasticsearch or the trace files.' })
export class TraceEvent {
  @Field(() => ID, { description: 'The document’s id: the same document written twice keeps one id.' })
  id!: string;

  @Field(() => Date, { description: 'When it was recorded (@timestamp).' })
  timestamp!: Date;

  @Field(() => TraceActionEnum, { description: 'What it records (event.action).' })
  @UseMiddleware(knownOr(TRACE_ACTIONS, UNKNOWN))
  action!: string;

  @Field(() => TraceOutcomeEnum, {
    nullable: true,
    description: 'How the step ended (event.outcome); null when not recorded or not a value this server knows.',
  })
  @UseMiddleware(knownOr(TRACE_OUTCOMES, null))
  outcome!: string | null;

  @Field(() => Float, { nullable: true, description: 'How long the step took (event.duration), in milliseconds; null when not recorded.' })
  durationMs!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'event.duration in nanoseconds.',
    deprecationReason: 'Use durationMs: every duration of the API is in milliseconds.',
  })
  durationNs!: number | null;

  @Field(() => GraphQLJSONObject, { description: 'The whole ECS document.' })
  document!: Record<string, unknown>;
}

export const TraceEventConnection = ConnectionType('TraceEvent', TraceEvent, 'A page of a run’s trace, oldest first.');
