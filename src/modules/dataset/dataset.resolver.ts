import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Row } from '../../datastore/types';
import { keysetConnection, pagedConnection, textKeyCursors, type Connection } from '../../graphql/connection';
import { AFTER, FIRST } from '../../graphql/paging-arguments';

import { DEFAULT_OUTCOME_TABLE } from '../outcome/outcome-table';
import type { OutcomeRow } from '../outcome/outcome.record';
import { OutcomeService } from '../outcome/outcome.service';
import { OutcomeConnection } from '../outcome/outcome.type';
import { ModelRunFilter, NEWEST_FIRST } from '../run/run.input';
import type { ModelRunRecord } from '../run/run.record';
import { RunService } from '../run/run.service';
import { ModelRun, ModelRunConnection, runCursors } from '../run/run.type';
import { runFieldsFor } from '../run/run.selection';
import { selectedFieldNames } from '../../graphql/selected-fields';
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
  registerDataset(
    @Arg('input', () => RegisterDatasetInput, { description: 'The table, its key and feature columns, and a name.' }) input: RegisterDatasetInput,
  ): Promise<DatasetRecord> {
    return this.service.register(input);
  }

  @Authorized('admin')
  @Mutation(() => Dataset, {
    description:
      'Changes a dataset’s name, columns, description or outcome table; every change is checked as registerDataset checks it. Runs keep the definition they started with.',
  })
  updateDataset(
    @Arg('id', () => ID, { description: 'The dataset’s id.' }) id: string,
    @Arg('input', () => UpdateDatasetInput, { description: 'The fields to change.' }) input: UpdateDatasetInput,
  ): Promise<DatasetRecord> {
    return this.service.update(id, input);
  }

  @Authorized('admin')
  @Mutation(() => Dataset, {
    description: 'Removes the dataset with its runs, their assignments and its published outcomes; refused (CONFLICT) while a run is active.',
  })
  deleteDataset(@Arg('id', () => ID, { description: 'The dataset’s id.' }) id: string): Promise<DatasetRecord> {
    return this.service.delete(id);
  }

  @Query(() => [Dataset], { description: 'Every registered dataset, by name.' })
  datasets(): Promise<DatasetRecord[]> {
    return this.service.list();
  }

  @Query(() => Dataset, { nullable: true, description: 'One dataset, by id or by name (give exactly one); null when no dataset has it.' })
  dataset(
    @Arg('id', () => ID, { nullable: true, description: 'The dataset’s id, e.g. demo-iris.' }) id: string | null,
    @Arg('name', () => String, { nullable: true, description: 'The dataset’s name, e.g. iris (names are unique).' }) name: string | null,
    @Ctx() context: GraphqlContext,
  ): Promise<DatasetRecord | null> {
    return this.service.lookup(id, name, (datasetId) => context.loaders.dataset.byId.load(datasetId));
  }

  @FieldResolver(() => String, { description: `The table its runs' outcomes are UPSERTed into: ${DEFAULT_OUTCOME_TABLE} unless it was given another.` })
  outcomeTable(@Root() dataset: DatasetRecord): string {
    return dataset.outcomeTable ?? DEFAULT_OUTCOME_TABLE;
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: 'Rows in the table now (COUNT(*)). Null, with a NOT_FOUND error naming it, when the table was dropped.',
  })
  rowCount(@Root() dataset: DatasetRecord, @Ctx() context: GraphqlContext): Promise<number> {
    return context.loaders.dataset.rowCount.load(dataset.table);
  }

  @FieldResolver(() => [FeatureProfile], {
    nullable: true,
    description:
      'Per feature: count, NULLs, min, max, mean, stddev — computed by the database. Null, with a NOT_FOUND error naming what is missing, when the table or one of the dataset’s columns was dropped or renamed since registration; null with DB_ERROR on PostgreSQL and MySQL/MariaDB when a feature’s sum or squared deviations pass the largest double (values near 1e154 and beyond), which those databases refuse to compute.',
  })
  profile(@Root() dataset: DatasetRecord, @Ctx() context: GraphqlContext): Promise<FeatureProfileRow[]> {
    return context.loaders.dataset.profile.load(dataset);
  }

  @FieldResolver(() => DatasetRowConnection, {
    nullable: true,
    description:
      'Rows of the table in key order, each a JSON object of every column the table has now. Null, with a NOT_FOUND error naming what is missing, when the table or one of the dataset’s key columns was dropped or renamed since registration.',
  })
  preview(
    @Root() dataset: DatasetRecord,
    @Arg('first', () => Int, FIRST) first: number | null,
    @Arg('after', () => String, AFTER) after: string | null,
    @Ctx() context: GraphqlContext,
  ): Promise<Connection<Row>> {
    return pagedConnection(
      first,
      after,
      (page) => this.service.preview(dataset, page),
      () => context.loaders.dataset.rowCount.load(dataset.table),
    );
  }

  @FieldResolver(() => ModelRunConnection, { description: 'Runs of this dataset, newest first.' })
  runs(
    @Root() dataset: DatasetRecord,
    @Arg('filter', () => ModelRunFilter, { nullable: true, description: 'Only the runs matching every condition given (its datasetIds is ignored).' })
    filter: ModelRunFilter | null,
    @Arg('first', () => Int, FIRST) first: number | null,
    @Arg('after', () => String, AFTER) after: string | null,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Connection<ModelRunRecord>> {
    const ofDataset = { ...filter, datasetIds: [dataset.id] };
    const fields = runFieldsFor(selectedFieldNames(info, ['edges', 'node']), NEWEST_FIRST);
    return keysetConnection(
      first,
      after,
      runCursors(NEWEST_FIRST),
      (page) => this.runService.list(ofDataset, NEWEST_FIRST, page, fields),
      () => this.runService.count(ofDataset),
    );
  }

  @FieldResolver(() => ModelRun, { nullable: true, description: 'The most recently created run.' })
  latestRun(@Root() dataset: DatasetRecord, @Ctx() context: GraphqlContext): Promise<ModelRunRecord | null> {
    return context.loaders.run.latestOfDataset.load(dataset.id);
  }

  @FieldResolver(() => OutcomeConnection, { description: "Published outcomes from the dataset's outcome table, by entity key." })
  outcomes(
    @Root() dataset: DatasetRecord,
    @Arg('first', () => Int, FIRST) first: number | null,
    @Arg('after', () => String, AFTER) after: string | null,
  ): Promise<Connection<OutcomeRow>> {
    return keysetConnection(
      first,
      after,
      textKeyCursors<OutcomeRow>(`outcomes:${dataset.id}`, (outcome) => outcome.entityKey),
      (page) => this.outcomeService.page(dataset.outcomeTable, dataset.id, page),
      () => this.outcomeService.count(dataset.outcomeTable, dataset.id),
    );
  }

  @FieldResolver(() => [DatasetColumn], {
    nullable: true,
    description: 'The columns of the table, from the database catalog. Null, with a NOT_FOUND error naming it, when the table was dropped.',
  })
  columns(@Root() dataset: DatasetRecord, @Ctx() context: GraphqlContext): Promise<DatasetColumn[]> {
    return context.loaders.dataset.columns.load(dataset.table);
  }
}
