import type { AuthCheckerFn } from 'type-graphql';
import type { Role } from '../auth/roles';
import { requireRole } from '../auth/require-role';
import type { GraphqlContext } from './context';

/** type-graphql's @Authorized('operator') check (requireRole): UNAUTHENTICATED without an identity, FORBIDDEN for too small a role. */
export const authChecker: AuthCheckerFn<GraphqlContext, Role> = ({ context }, roles) => {
  requireRole(context.identity, roles[0] ?? 'viewer');
  return true;
};
