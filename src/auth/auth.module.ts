import type { Datastore } from '../datastore/datastore';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';
import type { AuthOptions } from '../config/auth-options';
import { Authenticator } from './authenticator';
import { JwtVerifier } from './jwt-verifier';
import { SocketSessions } from './socket-sessions';

/** Wires authentication: API keys in the database, JWT verification when configured, and the sockets they opened. */
export function createAuthModule(options: AuthOptions, datastore: Datastore) {
  const apiKeys = new ApiKeyService(new ApiKeyRepository(datastore), undefined, options.apiKeyCacheMs);
  const authenticator = new Authenticator(options, apiKeys, options.jwt ? new JwtVerifier(options.jwt) : null);
  const sockets = new SocketSessions();
  apiKeys.onRevoked((keyId) => sockets.revokeApiKey(keyId));
  return { apiKeys, authenticator, sockets };
}
