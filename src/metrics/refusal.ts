/**
 * Error codes that mean a request was refused instead of served: credentials, role, rate limit,
 * the query limits, and requests GraphQL could not even read. Anyone can send them, as fast as they
 * like, so they are counted (graphql_refused_or_anonymous_requests_total) rather than each traced.
 */
export const REFUSAL_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COSTLY',
  'TOO_MANY_ALIASES',
  'TOO_MANY_TOKENS',
  'TOO_MANY_DIRECTIVES',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
] as const;

/** A refusal code, or ANONYMOUS for a request served to a caller without credentials. */
export type Refusal = (typeof REFUSAL_CODES)[number] | 'ANONYMOUS';

const REFUSALS: ReadonlySet<string> = new Set(REFUSAL_CODES);

/**
 * The first of a request's error codes that is a refusal; else ANONYMOUS when the caller brought no
 * credentials (AUTH_ANONYMOUS access, or none at all); else null. Its values are a fixed set, fit
 * for a metric label.
 */
export function refusalOf(codes: readonly unknown[], identity: { readonly method: string } | undefined): Refusal | null {
  const refused = codes.find((code): code is Refusal => typeof code === 'string' && REFUSALS.has(code));
  if (refused) return refused;
  return identity && (identity.method === 'anonymous' || identity.method === 'none') ? 'ANONYMOUS' : null;
}
