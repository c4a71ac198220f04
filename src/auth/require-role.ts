import { AppError } from '../errors/app-error';
import { allows, type Identity, type Role } from './roles';

/**
 * What @Authorized and the HTTP routes outside GraphQL check: without any identity UNAUTHENTICATED;
 * with too small a role, FORBIDDEN naming the role needed.
 */
export function requireRole(identity: Identity, required: Role): void {
  if (identity.role === null) throw new AppError('UNAUTHENTICATED', 'Authentication is required: send an API key or a bearer token');
  if (!allows(identity.role, required)) {
    throw new AppError('FORBIDDEN', `This needs the ${required} role; the caller has ${identity.role}`, { requiredRole: required });
  }
}
