/**
 * Authentication settings (AUTH_* variables; config.ts fills them).
 *
 * API keys are sent as `Authorization: Bearer aim_…` or `X-API-Key: aim_…`; JWTs as
 * `Authorization: Bearer <jwt>`. Over graphql-ws the same values go in connection_init's payload
 * (`{ "authorization": "Bearer …" }`).
 */
export interface AuthOptions {
  /** AUTH_API_KEYS. Default true: keys created with `npm run apikey` or the createApiKey mutation. */
  readonly apiKeys: boolean;
  /** AUTH_ANONYMOUS. Default `viewer` in development, `none` in production: what a caller without credentials may do. */
  readonly anonymousRole: 'viewer' | null;
  /** JWT verification; null when AUTH_JWT_SECRET and AUTH_JWT_PUBLIC_KEY are both unset. */
  readonly jwt: JwtOptions | null;
  /**
   * AUTH_API_KEY_CACHE_MS. Default 5000, or 30000 with REDIS_URL (revocations then reach every replica at once):
   * how long a verified key is remembered; without Redis, a key revoked on another replica works that much longer. 0 looks every key up.
   */
  readonly apiKeyCacheMs: number;
  /** RATE_LIMIT_RUNS_PER_MINUTE. Default 30: startModelRun calls per caller (key, token subject or address) per minute. */
  readonly runsPerMinute: number;
}

export interface JwtOptions {
  /** AUTH_JWT_SECRET (HS256) or AUTH_JWT_PUBLIC_KEY (RS256, PEM SPKI). */
  readonly algorithm: 'HS256' | 'RS256';
  readonly secret: string | null;
  readonly publicKey: string | null;
  /** AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE: both required, both checked. */
  readonly issuer: string;
  readonly audience: string;
  /** AUTH_JWT_ROLE_CLAIM. Default `role`: a role name, or an array of them (the highest counts). */
  readonly roleClaim: string;
}
