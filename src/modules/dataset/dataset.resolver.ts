import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { GraphqlContext } from '../../graphql/context';
import type { DatasetRecord } from './dataset.record';
import { DatasetService } from './dataset.service';
import { Dataset, DatasetColumn } from './dataset.type';

@Resolver(() => Dataset)
export class DatasetResolver {
  constructor(private readonly service: DatasetService) {}

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

  @FieldResolver(() => [DatasetColumn], { description: 'The columns of the table, from the database catalog.' })
  columns(@Root() dataset: DatasetRecord, @Ctx() context: GraphqlContext): Promise<DatasetColumn[]> {
    return context.loaders.dataset.columns.load(dataset.table);
  }
}
