import type { ApiKeyLookup } from './api-key-lookup';
import type { AuthOptions } from '../config/auth-options';
import { Authenticator } from './authenticator';
import { JwtVerifier } from './jwt-verifier';
import { SocketSessions } from './socket-sessions';

/** Wires authentication: API keys through `apiKeys`, JWT verification when configured, and the sockets they opened. */
export function createAuthModule(options: AuthOptions, apiKeys: ApiKeyLookup) {
  const authenticator = new Authenticator(options, apiKeys, options.jwt ? new JwtVerifier(options.jwt) : null);
  const sockets = new SocketSessions();
  apiKeys.onRevoked((keyId) => sockets.revokeApiKey(keyId));
  return { authenticator, sockets };
}
