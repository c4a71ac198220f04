import type { Request } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { allows, type Identity, type Role } from '../auth/roles';
import { AppError } from '../errors/app-error';

/**
 * The caller of a plain HTTP route, checked as /graphql checks it: the same credentials (X-API-Key or
 * Authorization: Bearer), the anonymous role when none are sent, and the role the matching GraphQL field
 * needs. UNAUTHENTICATED for missing or wrong credentials, FORBIDDEN for too small a role.
 */
export async function requireRole(authenticator: Authenticator, request: Request, required: Role): Promise<Identity> {
  const apiKey = request.headers['x-api-key'];
  const identity = await authenticator.identify(
    request.headers.authorization,
    Array.isArray(apiKey) ? apiKey[0] : apiKey,
    request.socket.remoteAddress ?? 'unknown',
  );
  if (identity.role === null) throw new AppError('UNAUTHENTICATED', 'Authentication is required: send an API key or a bearer token');
  if (!allows(identity.role, required)) {
    throw new AppError('FORBIDDEN', `This needs the ${required} role; the caller has ${identity.role}`, { requiredRole: required });
  }
  return identity;
}
