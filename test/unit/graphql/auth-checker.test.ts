import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolverData } from 'type-graphql';
import { authChecker } from '../../../src/graphql/auth-checker';
import { allows, isRole, NOBODY, ROLES, type Identity, type Role } from '../../../src/auth/roles';
import { AppError } from '../../../src/errors/app-error';
import type { GraphqlContext } from '../../../src/graphql/context';

function as(identity: Identity): ResolverData<GraphqlContext> {
  return { context: { identity } as GraphqlContext, root: undefined, args: {}, info: {} as ResolverData['info'] };
}

const caller = (role: Role): Identity => ({ subject: `test:${role}`, role, method: 'api-key', keyId: role });

function check(identity: Identity, roles: Role[]): true | AppError {
  try {
    return authChecker(as(identity), roles) as true;
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
}

describe('authChecker (@Authorized)', () => {
  it('the full matrix: each role passes its own level and the ones below, and is FORBIDDEN above with requiredRole', () => {
    const expected: Record<Role, Record<Role, 'ok' | 'FORBIDDEN'>> = {
      viewer: { viewer: 'ok', operator: 'FORBIDDEN', admin: 'FORBIDDEN' },
      operator: { viewer: 'ok', operator: 'ok', admin: 'FORBIDDEN' },
      admin: { viewer: 'ok', operator: 'ok', admin: 'ok' },
    };
    for (const held of ROLES) {
      for (const required of ROLES) {
        const outcome = check(caller(held), [required]);
        if (expected[held][required] === 'ok') {
          assert.equal(outcome, true, `${held} → ${required}`);
        } else {
          assert.ok(outcome instanceof AppError, `${held} → ${required}`);
          assert.equal(outcome.code, 'FORBIDDEN');
          assert.deepEqual(outcome.details, { requiredRole: required });
          assert.equal(outcome.message, `This needs the ${required} role; the caller has ${held}`);
        }
      }
    }
  });

  it('nobody (no credentials, AUTH_ANONYMOUS=none) is UNAUTHENTICATED, not FORBIDDEN, at every level', () => {
    for (const required of ROLES) {
      const outcome = check(NOBODY, [required]);
      assert.ok(outcome instanceof AppError);
      assert.equal(outcome.code, 'UNAUTHENTICATED');
      assert.match(outcome.message, /Authentication is required/);
    }
  });

  it('the anonymous viewer passes viewer and is FORBIDDEN on operator', () => {
    const anonymous: Identity = { subject: 'anonymous:127.0.0.1', role: 'viewer', method: 'anonymous' };
    assert.equal(check(anonymous, ['viewer']), true);
    assert.equal((check(anonymous, ['operator']) as AppError).code, 'FORBIDDEN');
  });

  it('a bare @Authorized() (no role) needs viewer: nobody is refused, a viewer passes', () => {
    assert.equal(check(caller('viewer'), []), true);
    assert.equal((check(NOBODY, []) as AppError).code, 'UNAUTHENTICATED');
  });
});

describe('roles', () => {
  it('isRole accepts exactly viewer, operator and admin', () => {
    assert.deepEqual(['viewer', 'operator', 'admin', 'Admin', 'root', '', null, 1, ['admin']].map(isRole), [
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('allows: null holds nothing', () => {
    for (const required of ROLES) assert.equal(allows(null, required), false);
    assert.equal(allows('admin', 'viewer'), true);
    assert.equal(allows('viewer', 'admin'), false);
  });
});
