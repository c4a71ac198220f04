import { AppError } from '../errors/app-error';
import { API_KEY_PREFIX, type ApiKeyLookup } from './api-key-lookup';
import type { AuthOptions } from '../config/auth-options';
import type { JwtVerifier } from './jwt-verifier';
import { NOBODY, type Identity } from './roles';

/**
 * Turns request credentials into an identity. No credentials: the anonymous role (if any). Wrong
 * credentials are an error (UNAUTHENTICATED), never a silent fall back to anonymous.
 */
export class Authenticator {
  constructor(
    private readonly options: AuthOptions,
    private readonly apiKeys: ApiKeyLookup,
    private readonly jwt: JwtVerifier | null,
  ) {}

  async identify(authorization: string | undefined, apiKeyHeader: string | undefined, address: string): Promise<Identity> {
    const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    // An empty X-API-Key header counts as absent: the bearer token, if any, is the credential.
    const apiKey = apiKeyHeader?.trim();
    const credential = apiKey === undefined || apiKey === '' ? bearer : apiKey;
    if (authorization && !bearer) throw unauthenticated('The Authorization header must be "Bearer <API key or JWT>"');
    if (!credential) {
      return this.options.anonymousRole ? { subject: `anonymous:${address}`, role: this.options.anonymousRole, method: 'anonymous' } : NOBODY;
    }
    // X-API-Key takes an API key only: anything else there is not taken for a JWT, whose error would speak of bearer tokens.
    if (credential === apiKey && !apiKey.startsWith(API_KEY_PREFIX)) {
      throw unauthenticated(`The X-API-Key header takes an API key (${API_KEY_PREFIX}…); send a JWT as Authorization: Bearer <token>`);
    }
    if (credential.startsWith(API_KEY_PREFIX)) {
      if (!this.options.apiKeys) throw unauthenticated('API keys are not accepted by this server (AUTH_API_KEYS=false)');
      const identity = await this.apiKeys.authenticate(credential);
      if (!identity) throw unauthenticated('The API key is unknown or revoked');
      return identity;
    }
    if (!this.jwt) throw unauthenticated('Bearer tokens are not accepted by this server (no AUTH_JWT_* configured)');
    const identity = await this.jwt.verify(credential);
    if (!identity) throw unauthenticated('The bearer token is invalid, expired, for another issuer or audience, or carries no known role');
    return identity;
  }
}

function unauthenticated(message: string): AppError {
  return new AppError('UNAUTHENTICATED', message);
}
