import { Arg, Authorized, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { ApiKeyRecord } from './api-key.repository';
import { ApiKeyService } from './api-key.service';
import { ApiKey, CreatedApiKey, RoleEnum } from './api-key.type';

@Authorized('admin')
@Resolver(() => ApiKey)
export class ApiKeyResolver {
  constructor(private readonly keys: ApiKeyService) {}

  @Query(() => [ApiKey], { description: 'Every API key, revoked ones included (admin).' })
  apiKeys(): Promise<ApiKeyRecord[]> {
    return this.keys.list();
  }

  @Mutation(() => CreatedApiKey, { description: 'Creates an API key with a role (admin). The key is in the answer only.' })
  async createApiKey(
    @Arg('name', () => String, { description: 'A name to tell the key apart (1–128 characters).' }) name: string,
    @Arg('role', () => RoleEnum, { description: 'What a request with the key may do.' }) role: string,
  ): Promise<{ key: string; apiKey: ApiKeyRecord }> {
    const { key, record } = await this.keys.create(name, role);
    return { key, apiKey: record };
  }

  @Mutation(() => ApiKey, {
    description:
      'Revokes an API key (admin): at once on this server, whose graphql-ws sockets opened with it close (4403); on other replicas at once with REDIS_URL, else within AUTH_API_KEY_CACHE_MS (default 5 s).',
  })
  revokeApiKey(@Arg('id', () => ID, { description: 'The key’s id (ApiKey.id).' }) id: string): Promise<ApiKeyRecord> {
    return this.keys.revoke(id);
  }
}
