import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An API key, without its secret (only its first characters).' })
export class ApiKey {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'viewer, operator or admin.' })
  role!: string;

  @Field(() => String, { description: 'The first characters of the key, to tell keys apart.' })
  keyPrefix!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType({ description: 'A new API key: `key` is shown this once and never again.' })
export class CreatedApiKey {
  @Field(() => String)
  key!: string;

  @Field(() => ApiKey)
  apiKey!: ApiKey;
}
