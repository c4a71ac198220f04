import { Extensions, Field, InputType } from 'type-graphql';
import { PATCH_INPUT } from '../../graphql/omitted-as-null';

const DESCRIPTION = "Free text; '' is no description and reads back null.";

@InputType({ description: 'A table to register as a dataset; every name is checked against the database catalog.' })
export class RegisterDatasetInput {
  @Field(() => String, { description: 'Unique display name (1–128 characters).' })
  name!: string;

  @Field(() => String, { description: 'An existing table of the database.' })
  table!: string;

  @Field(() => [String], { description: 'Columns that identify a row; together they must be unique.' })
  keyColumns!: string[];

  @Field(() => [String], { description: 'Numeric columns to cluster on.' })
  featureColumns!: string[];

  @Field(() => String, { nullable: true, description: DESCRIPTION })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Where outcomes are UPSERTed; default ai_cluster_outcome. Created if missing.' })
  outcomeTable?: string | null;
}

@Extensions(PATCH_INPUT)
@InputType({ description: 'Changes to a dataset; omitted fields stay as they are; null clears the description and puts back the default outcome table.' })
export class UpdateDatasetInput {
  @Field(() => String, { nullable: true, description: 'A new unique display name (1–128 characters). Omitted or null: unchanged.' })
  name?: string | null;

  @Field(() => [String], { nullable: true, description: 'New key columns; together they must be unique. Omitted or null: unchanged.' })
  keyColumns?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'New numeric columns to cluster on. Omitted or null: unchanged.' })
  featureColumns?: string[] | null;

  @Field(() => String, { nullable: true, description: `${DESCRIPTION} Omitted: unchanged.` })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'A new outcome table, created if missing; null puts back ai_cluster_outcome; omitted: unchanged.' })
  outcomeTable?: string | null;
}
