import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, Float, ID, Info, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { CallLimiter } from '../../auth/rate-limiter';
import type { GraphqlContext } from '../../graphql/context';
import { keysetConnection, pagedConnection, textKeyCursors, type Connection } from '../../graphql/connection';
import type { DatasetRecord } from '../dataset/dataset.record';
import { Dataset } from '../dataset/dataset.type';
import type { Assignment } from './assignment.repository';
import { AssignmentConnection } from './assignment.type';
import { ModelRunFilter, ModelRunOrder, NEWEST_FIRST, StartModelRunInput } from './run.input';
import type { IterationRecord, ModelRunRecord } from './run.record';
import type { RunKey } from './run.repository';
import type { KeysetPage } from '../../shared/keyset-page';
import { RunService } from './run.service';
import { RunTraceService, type TraceEventRecord } from './run-trace.service';
import { ModelRun, ModelRunConnection, rowCountsOf, RunRowCounts, runCursors } from './run.type';
import { runFieldsFor } from './run.selection';
import { selectedFieldNames } from '../../graphql/selected-fields';
import { TraceActionEnum, TraceEventConnection } from './trace-event.type';

import { FIRST, AFTER } from '../../graphql/paging-arguments';

@Authorized('viewer')
@Resolver(() => ModelRun)
export class RunResolver {
  constructor(
    private readonly service: RunService,
    private readonly traces: RunTraceService,
    private readonly startLimiter: CallLimiter,
  ) {}

  @Query(() => ModelRun, { nullable: true, description: 'One run; null when no run has this id.' })
  modelRun(@Arg('id', () => ID, { description: 'The run’s id.' }) id: string, @Ctx() context: GraphqlContext): Promise<ModelRunRecord | null> {
    return context.loaders.run.byId.load(id);
  }

  @Query(() => ModelRunConnection, { description: 'Runs matching the filter; newest first unless orderBy says otherwise. At most 500 a page.' })
  modelRuns(
    @Arg('filter', () => ModelRunFilter, { nullable: true, description: 'Only the runs matching every condition given; all runs when null.' })
    filter: ModelRunFilter | null,
    @Arg('orderBy', () => ModelRunOrder, { nullable: true, description: 'The order; newest first (CREATED_AT DESC) when null.' }) orderBy: ModelRunOrder | null,
    @Arg('first', () => Int, FIRST) first: number | null,
    @Arg('after', () => String, AFTER) after: string | null,
    @Info() info: GraphQLResolveInfo,
    @Ctx() context: GraphqlContext,
  ): Promise<Connection<ModelRunRecord>> {
    const order = orderBy ?? NEWEST_FIRST;
    const selected = selectedFieldNames(info, ['edges', 'node']);
    // Only the columns of the fields asked for are read (run.selection.ts); the runs' datasets, when
    // asked for, by the same statement, handed to the request's dataset loader.
    const fields = runFieldsFor(selected, order);
    const read = selected.has('dataset')
      ? async (page: KeysetPage<RunKey>) => {
          const listed = await this.service.listWithDatasets(filter ?? {}, order, page, fields);
          for (const [id, dataset] of listed.datasets) context.loaders.dataset.byId.prime(id, dataset);
          return listed;
        }
      : (page: KeysetPage<RunKey>) => this.service.list(filter ?? {}, order, page, fields);
    return keysetConnection(first, after, runCursors(order), read, () => this.service.count(filter ?? {}));
  }

  @Authorized('operator')
  @Mutation(() => ModelRun, { description: 'Queues a k-means run and returns it at once (status QUEUED). Rate-limited per caller.' })
  startModelRun(
    @Arg('input', () => StartModelRunInput, { description: 'The dataset and the run’s parameters.' }) input: StartModelRunInput,
    @Ctx() context: GraphqlContext,
  ): Promise<ModelRunRecord> {
    return this.service.start(input, () => this.startLimiter.take(context.identity));
  }

  @Authorized('operator')
  @Mutation(() => ModelRun, { description: 'Stops a queued or running run (within one iteration); a finished run is returned unchanged.' })
  cancelModelRun(@Arg('id', () => ID, { description: 'The run’s id.' }) id: string): Promise<ModelRunRecord> {
    return this.service.cancel(id);
  }

  @Authorized('operator')
  @Mutation(() => ModelRun, {
    description:
      "UPSERTs a succeeded run's outcomes into its dataset's outcome table again (e.g. to go back to an older run). A run is published once at a time: a call while it is being published gets that publish's outcome, as does an alias asking again for the run the request last published.",
  })
  publishRunOutcomes(
    @Arg('runId', () => ID, { description: 'The id of a SUCCEEDED run.' }) runId: string,
    @Ctx() context: GraphqlContext,
  ): Promise<ModelRunRecord> {
    return this.service.publish(runId, context.publishes);
  }

  @Subscription(() => ModelRun, {
    // Not `topics`: subscribing checks the run exists, so an unknown id fails at once (BAD_USER_INPUT).
    subscribe: ({ args, context }) => (context as GraphqlContext).runUpdates((args as { id: string }).id),
    description: "The run's current state, then each change of its status or progress; complete after a terminal state (graphql-ws on /graphql).",
  })
  modelRunUpdated(@Root() run: ModelRunRecord, @Arg('id', () => ID, { description: 'The run’s id.' }) _id: string): ModelRunRecord {
    return run;
  }

  @FieldResolver(() => Dataset, { nullable: true, description: 'Null once the dataset has been deleted.' })
  dataset(@Root() run: ModelRunRecord, @Ctx() context: GraphqlContext): Promise<DatasetRecord | null> {
    return context.loaders.dataset.byId.load(run.datasetId);
  }

  // The field's type and description stay on ModelRun; its value is batched per request (RunLoaders.iterations).
  @FieldResolver()
  iterations(@Root() run: ModelRunRecord, @Ctx() context: GraphqlContext): Promise<IterationRecord[] | null> {
    return context.loaders.run.iterations.load(run.id);
  }

  // The field's type and description stay on ModelRun.
  @FieldResolver()
  rowCounts(@Root() run: ModelRunRecord): RunRowCounts | null {
    return rowCountsOf(run.preparation);
  }

  @FieldResolver(() => Float, {
    nullable: true,
    description:
      'finishedAt − startedAt, in milliseconds. A succeeded run finishes when its results are computed; the final writes that follow are in metrics.timings (saveMs, publishMs).',
  })
  durationMs(@Root() run: ModelRunRecord): number | null {
    return run.startedAt && run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null;
  }

  @FieldResolver(() => TraceEventConnection, {
    nullable: true,
    description:
      "The run's modeling trace, from Elasticsearch when configured, from the trace files otherwise; null with TRACE_UNAVAILABLE when the engine does not answer.",
  })
  trace(
    @Root() run: ModelRunRecord,
    @Arg('actions', () => [TraceActionEnum], {
      nullable: true,
      description: 'Only documents of these actions; every action when null, none for an empty list.',
    })
    actions: string[] | null,
    @Arg('first', () => Int, FIRST) first: number | null,
    @Arg('after', () => String, AFTER) after: string | null,
  ): Promise<Connection<TraceEventRecord>> {
    // Offset paging, as Elasticsearch's from/size reads the trace.
    return pagedConnection(
      first,
      after,
      (page) => this.traces.page(run.id, actions, page),
      () => this.traces.count(run.id, actions),
    );
  }

  @FieldResolver(() => String, { nullable: true, description: 'The Kibana dashboard filtered on this run, when KIBANA_URL is set.' })
  kibanaUrl(@Root() run: ModelRunRecord): string | null {
    return this.traces.kibanaUrl(run.id);
  }

  @FieldResolver(() => String, {
    description:
      'The run’s report page: charts of its scores per k, inertia per iteration, cluster sizes, centroids and a sample of points, as HTML with inline SVG (no script). A path on this server, /runs/<id>; it takes the same credentials as /graphql.',
  })
  reportUrl(@Root() run: ModelRunRecord): string {
    return `/runs/${encodeURIComponent(run.id)}`;
  }

  @FieldResolver(() => AssignmentConnection, { description: "Each entity's cluster, by entity key; optionally of one cluster." })
  assignments(
    @Root() run: ModelRunRecord,
    @Arg('cluster', () => Int, { nullable: true, description: 'Only the entities of this cluster; every cluster when null.' }) cluster: number | null,
    @Arg('first', () => Int, FIRST) first: number | null,
    @Arg('after', () => String, AFTER) after: string | null,
  ): Promise<Connection<Assignment>> {
    return keysetConnection(
      first,
      after,
      // The run's own: a cursor of another run's assignments is another list's (graph.md), refused.
      textKeyCursors<Assignment>(`assignments:${run.id}`, (assignment) => assignment.entityKey),
      (page) => this.service.assignments(run.id, cluster, page),
      () => this.service.countAssignments(run.id, cluster),
    );
  }
}
