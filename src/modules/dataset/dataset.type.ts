import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../graphql/connection';

@ObjectType({ description: 'A table in the database registered for modeling.' })
export class Dataset {
  @Field(() => ID, { description: 'Its id, given at registration (e.g. demo-iris); dataset(name:) finds it by name.' })
  id!: string;

  @Field(() => String, { description: 'Unique display name.' })
  name!: string;

  @Field(() => String, { description: 'The table holding the data.' })
  table!: string;

  @Field(() => String, { nullable: true, description: "Free text, or null for none (never '')." })
  description!: string | null;

  @Field(() => [String], { description: 'Columns that identify an entity (a row) of the table.' })
  keyColumns!: string[];

  @Field(() => [String], { description: 'Numeric columns used as clustering features.' })
  featureColumns!: string[];

  @Field(() => Date, { description: 'When it was registered.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When it was last changed (updateDataset).' })
  updatedAt!: Date;
}

@ObjectType({ description: 'A column of a dataset table, as the database catalog describes it.' })
export class DatasetColumn {
  @Field(() => String, { description: 'The column name, as the catalog spells it.' })
  name!: string;

  @Field(() => String, { description: "The database's own type name, upper case (e.g. DOUBLE PRECISION, VARCHAR2)." })
  type!: string;

  @Field(() => Boolean, { description: 'Whether the column accepts NULL.' })
  nullable!: boolean;
}

export const DatasetRowConnection = ConnectionType('DatasetRow', GraphQLJSONObject, 'A page of a dataset table’s rows.');
