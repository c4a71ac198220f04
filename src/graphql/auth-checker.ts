import type { AuthCheckerFn } from 'type-graphql';
import { allows, type Role } from '../auth/roles';
import { AppError } from '../errors/app-error';
import type { GraphqlContext } from './context';

/**
 * type-graphql's @Authorized('operator') check. Without any identity the answer is UNAUTHENTICATED;
 * with too small a role, FORBIDDEN naming the role needed.
 */
export const authChecker: AuthCheckerFn<GraphqlContext, Role> = ({ context }, roles) => {
  const required = roles[0] ?? 'viewer';
  const { identity } = context;
  if (identity.role === null) throw new AppError('UNAUTHENTICATED', 'Authentication is required: send an API key or a bearer token');
  if (!allows(identity.role, required)) {
    throw new AppError('FORBIDDEN', `This needs the ${required} role; the caller has ${identity.role}`, { requiredRole: required });
  }
  return true;
};
