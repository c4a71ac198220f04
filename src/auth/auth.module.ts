import type { Datastore } from '../datastore/datastore';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';
import type { AuthOptions } from './auth-options';
import { Authenticator } from './authenticator';
import { JwtVerifier } from './jwt-verifier';

/** Wires authentication: API keys in the database, JWT verification when configured. */
export function createAuthModule(options: AuthOptions, datastore: Datastore) {
  const apiKeys = new ApiKeyService(new ApiKeyRepository(datastore));
  const authenticator = new Authenticator(options, apiKeys, options.jwt ? new JwtVerifier(options.jwt) : null);
  return { apiKeys, authenticator };
}
