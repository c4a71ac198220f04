import { Field, ID, ObjectType, UseMiddleware } from 'type-graphql';
import { ROLE_DESCRIPTIONS } from '../../auth/roles';
import { knownOr, listEnum, UNKNOWN } from '../../graphql/list-enum';

export const RoleEnum = listEnum(
  'Role',
  'What a caller may do; each role includes the ones before it.',
  ROLE_DESCRIPTIONS,
  'A role this server does not know (a key stored by another version); a request with such a key is allowed nothing. Refused as input.',
);

@ObjectType({ description: 'An API key, without its secret (only its first characters).' })
export class ApiKey {
  @Field(() => ID, { description: 'The key’s id, for revokeApiKey.' })
  id!: string;

  @Field(() => String, { description: 'A name to tell keys apart; shown as the caller (api-key:<name>) in logs.' })
  name!: string;

  @Field(() => RoleEnum, { description: 'What a request with this key may do.' })
  @UseMiddleware(knownOr(ROLE_DESCRIPTIONS, UNKNOWN))
  role!: string;

  @Field(() => String, { description: 'The first characters of the key, to tell keys apart.' })
  keyPrefix!: string;

  @Field(() => Date, { description: 'When the key was created.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked; null while it is valid.' })
  revokedAt!: Date | null;
}

@ObjectType({ description: 'A new API key: `key` is shown this once and never again.' })
export class CreatedApiKey {
  @Field(() => String, { description: 'The secret to send in the X-API-Key header (or as a bearer token); never shown again.' })
  key!: string;

  @Field(() => ApiKey, { description: 'The key as apiKeys lists it.' })
  apiKey!: ApiKey;
}
