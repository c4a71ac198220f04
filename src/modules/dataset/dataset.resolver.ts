import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Row } from '../../datastore/types';
import { pagedConnection, type Connection } from '../../graphql/connection';
import type { OutcomeRow } from '../outcome/outcome.record';
import { OutcomeService } from '../outcome/outcome.service';
import { OutcomeConnection } from '../outcome/outcome.type';
import { ModelRunFilter, NEWEST_FIRST } from '../run/run.input';
import type { ModelRunRecord } from '../run/run.record';
import { RunService } from '../run/run.service';
import { ModelRun, ModelRunConnection } from '../run/run.type';
import type { FeatureProfileRow } from './dataset-table.repository';
import { RegisterDatasetInput, UpdateDatasetInput } from './dataset.input';
import type { GraphqlContext } from '../../graphql/context';
import type { DatasetRecord } from './dataset.record';
import { DatasetService } from './dataset.service';
import { Dataset, DatasetColumn, DatasetRowConnection } from './dataset.type';
import { FeatureProfile } from './feature-profile.type';

@Authorized('viewer')
@Resolver(() => Dataset)
export class DatasetResolver {
  constructor(
    private readonly service: DatasetService,
    private readonly runService: RunService,
    private readonly outcomeService: OutcomeService,
  ) {}

  @Authorized('admin')
  @Mutation(() => Dataset, { description: 'Registers a table as a dataset; its columns are checked against the database catalog.' })
  registerDataset(@Arg('input', () => RegisterDatasetInput) input: RegisterDatasetInput): Promise<DatasetRecord> {
    return this.service.register(input);
  }

  @Authorized('admin')
  @Mutation(() => Dataset)
  updateDataset(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateDatasetInput) input: UpdateDatasetInput): Promise<DatasetRecord> {
    return this.service.update(id, input);
  }

  @Authorized('admin')
  @Mutation(() => Dataset, {
    description: 'Removes the dataset with its runs, their assignments and its published outcomes; refused (CONFLICT) while a run is active.',
  })
  deleteDataset(@Arg('id', () => ID) id: string): Promise<DatasetRecord> {
    return this.service.delete(id);
  }

  @Query(() => [Dataset], { description: 'Every registered dataset, by name.' })
  datasets(): Promise<DatasetRecord[]> {
    return this.service.list();
  }

  @Query(() => Dataset, { nullable: true, description: 'One dataset; null when no dataset has this id.' })
  dataset(@Arg('id', () => ID) id: string, @Ctx() context: GraphqlContext): Promise<DatasetRecord | null> {
    return context.loaders.dataset.byId.load(id);
  }

  @FieldResolver(() => Int, { description: 'Rows in the table now (COUNT(*)).' })
  rowCount(@Root() dataset: DatasetRecord, @Ctx() context: GraphqlContext): Promise<number> {
    return context.loaders.dataset.rowCount.load(dataset.table);
  }

  @FieldResolver(() => [FeatureProfile], { description: 'Per feature: count, NULLs, min, max, mean, stddev — computed by the database.' })
  profile(@Root() dataset: DatasetRecord, @Ctx() context: GraphqlContext): Promise<FeatureProfileRow[]> {
    return context.loaders.dataset.profile.load(dataset);
  }

  @FieldResolver(() => DatasetRowConnection, { description: 'Rows of the table in key order, each a JSON object.' })
  preview(
    @Root() dataset: DatasetRecord,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<Connection<Row>> {
    return pagedConnection(first, after, (page) => this.service.preview(dataset, page));
  }

  @FieldResolver(() => ModelRunConnection, { description: 'Runs of this dataset, newest first.' })
  runs(
    @Root() dataset: DatasetRecord,
    @Arg('filter', () => ModelRunFilter, { nullable: true }) filter: ModelRunFilter | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<Connection<ModelRunRecord>> {
    return pagedConnection(first, after, (page) => this.runService.list({ ...filter, datasetIds: [dataset.id] }, NEWEST_FIRST, page));
  }

  @FieldResolver(() => ModelRun, { nullable: true, description: 'The most recently created run.' })
  latestRun(@Root() dataset: DatasetRecord, @Ctx() context: GraphqlContext): Promise<ModelRunRecord | null> {
    return context.loaders.run.latestOfDataset.load(dataset.id);
  }

  @FieldResolver(() => OutcomeConnection, { description: "Published outcomes from the dataset's outcome table, by entity key." })
  outcomes(
    @Root() dataset: DatasetRecord,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<Connection<OutcomeRow>> {
    return pagedConnection(first, after, (page) => this.outcomeService.page(dataset.outcomeTable, dataset.id, page));
  }

  @FieldResolver(() => [DatasetColumn], { description: 'The columns of the table, from the database catalog.' })
  columns(@Root() dataset: DatasetRecord, @Ctx() context: GraphqlContext): Promise<DatasetColumn[]> {
    return context.loaders.dataset.columns.load(dataset.table);
  }
}
