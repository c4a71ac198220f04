import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiKeyLookup } from '../../../src/auth/api-key-lookup';
import type { AuthOptions } from '../../../src/config/auth-options';
import { Authenticator } from '../../../src/auth/authenticator';
import type { JwtVerifier } from '../../../src/auth/jwt-verifier';
import { NOBODY, type Identity } from '../../../src/auth/roles';
import { AppError } from '../../../src/errors/app-error';

const GOOD_KEY = `aim_${'k'.repeat(43)}`;
const GOOD_JWT = 'header.payload.signature';
const KEY_IDENTITY: Identity = { subject: 'api-key:ci', role: 'operator', method: 'api-key', keyId: 'key-1' };
const JWT_IDENTITY: Identity = { subject: 'jwt:alice', role: 'admin', method: 'jwt' };

/** The two edges, recording what they were asked. */
function fakes() {
  const asked = { keys: [] as string[], tokens: [] as string[] };
  const apiKeys = { authenticate: (key: string) => (asked.keys.push(key), Promise.resolve(key === GOOD_KEY ? KEY_IDENTITY : null)) } as unknown as ApiKeyLookup;
  const jwt = { verify: (token: string) => (asked.tokens.push(token), Promise.resolve(token === GOOD_JWT ? JWT_IDENTITY : null)) } as unknown as JwtVerifier;
  return { asked, apiKeys, jwt };
}

const OPTIONS: AuthOptions = { apiKeys: true, anonymousRole: 'viewer', jwt: null, apiKeyCacheMs: 30_000, runsPerMinute: 30 };

function authenticator(options: Partial<AuthOptions> = {}, withJwt = true) {
  const { asked, apiKeys, jwt } = fakes();
  return { asked, authenticator: new Authenticator({ ...OPTIONS, ...options }, apiKeys, withJwt ? jwt : null) };
}

async function unauthenticated(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.match(error.message, message);
    return true;
  });
}

describe('Authenticator.identify', () => {
  it('no credentials: the anonymous viewer, named by address, when AUTH_ANONYMOUS=viewer', async () => {
    const { authenticator: auth, asked } = authenticator();
    assert.deepEqual(await auth.identify(undefined, undefined, '10.0.0.7'), { subject: 'anonymous:10.0.0.7', role: 'viewer', method: 'anonymous' });
    assert.deepEqual(await auth.identify('', '', '10.0.0.7'), { subject: 'anonymous:10.0.0.7', role: 'viewer', method: 'anonymous' });
    assert.deepEqual(asked, { keys: [], tokens: [] });
  });

  it('no credentials: NOBODY (role null) when AUTH_ANONYMOUS=none', async () => {
    const { authenticator: auth } = authenticator({ anonymousRole: null });
    assert.equal(await auth.identify(undefined, undefined, '10.0.0.7'), NOBODY);
  });

  it('an aim_ key in Authorization: Bearer or in X-API-Key goes to the API key service', async () => {
    const { authenticator: auth, asked } = authenticator();
    assert.equal(await auth.identify(`Bearer ${GOOD_KEY}`, undefined, 'a'), KEY_IDENTITY);
    assert.equal(await auth.identify(`bearer   ${GOOD_KEY}  `, undefined, 'a'), KEY_IDENTITY);
    assert.equal(await auth.identify(undefined, `  ${GOOD_KEY} `, 'a'), KEY_IDENTITY);
    assert.deepEqual(asked, { keys: [GOOD_KEY, GOOD_KEY, GOOD_KEY], tokens: [] });
  });

  it('anything else after Bearer goes to the JWT verifier', async () => {
    const { authenticator: auth, asked } = authenticator();
    assert.equal(await auth.identify(`Bearer ${GOOD_JWT}`, undefined, 'a'), JWT_IDENTITY);
    assert.deepEqual(asked, { keys: [], tokens: [GOOD_JWT] });
  });

  it('an unknown or revoked key is UNAUTHENTICATED, never the anonymous viewer', async () => {
    const { authenticator: auth } = authenticator();
    await unauthenticated(auth.identify(`Bearer aim_wrong`, undefined, 'a'), /API key is unknown or revoked/);
    await unauthenticated(auth.identify(undefined, 'aim_wrong', 'a'), /API key is unknown or revoked/);
  });

  it('a token the verifier rejects is UNAUTHENTICATED', async () => {
    const { authenticator: auth } = authenticator();
    await unauthenticated(auth.identify('Bearer forged.token.here', undefined, 'a'), /bearer token is invalid/);
  });

  it('a malformed Authorization header ("Basic xyz", "Bearer", a bare key) is UNAUTHENTICATED without asking anyone', async () => {
    const { authenticator: auth, asked } = authenticator();
    for (const header of ['Basic xyz', 'Bearer', 'Bearer    ', GOOD_KEY, `Token ${GOOD_KEY}`]) {
      await unauthenticated(auth.identify(header, undefined, 'a'), /Authorization header must be "Bearer <API key or JWT>"/);
    }
    // Even with a valid X-API-Key beside it: a broken Authorization header is not ignored.
    await unauthenticated(auth.identify('Basic xyz', GOOD_KEY, 'a'), /Authorization header must be/);
    assert.deepEqual(asked, { keys: [], tokens: [] });
  });

  it('with AUTH_API_KEYS=false, a key (even a valid one) is UNAUTHENTICATED and the service is not asked', async () => {
    const { authenticator: auth, asked } = authenticator({ apiKeys: false });
    await unauthenticated(auth.identify(`Bearer ${GOOD_KEY}`, undefined, 'a'), /AUTH_API_KEYS=false/);
    await unauthenticated(auth.identify(undefined, GOOD_KEY, 'a'), /AUTH_API_KEYS=false/);
    assert.deepEqual(asked.keys, []);
  });

  it('without a JWT verifier, a bearer token that is no key is UNAUTHENTICATED', async () => {
    const { authenticator: auth } = authenticator({}, false);
    await unauthenticated(auth.identify(`Bearer ${GOOD_JWT}`, undefined, 'a'), /no AUTH_JWT_\* configured/);
  });

  it('X-API-Key takes an API key only: anything else there is UNAUTHENTICATED saying so, and neither edge is asked', async () => {
    for (const withJwt of [true, false]) {
      const { authenticator: auth, asked } = authenticator({}, withJwt);
      for (const value of ['nope', GOOD_JWT]) await unauthenticated(auth.identify(undefined, value, 'a'), /X-API-Key header takes an API key \(aim_…\)/);
      assert.deepEqual(asked, { keys: [], tokens: [] });
    }
  });

  it('X-API-Key is used when both headers are sent', async () => {
    const { authenticator: auth, asked } = authenticator();
    assert.equal(await auth.identify(`Bearer ${GOOD_JWT}`, GOOD_KEY, 'a'), KEY_IDENTITY);
    assert.deepEqual(asked, { keys: [GOOD_KEY], tokens: [] });
  });
});
