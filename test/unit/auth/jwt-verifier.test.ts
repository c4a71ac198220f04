import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import type { JwtOptions } from '../../../src/config/auth-options';
import { JwtVerifier } from '../../../src/auth/jwt-verifier';

const SECRET = 'unit-test-secret-of-more-than-32-bytes-0123456789';
const HS256: JwtOptions = { algorithm: 'HS256', secret: SECRET, publicKey: null, issuer: 'https://issuer.example', audience: 'aim', roleClaim: 'role' };

function sign(claims: JWTPayload, key: Parameters<SignJWT['sign']>[0] = new TextEncoder().encode(SECRET), alg = 'HS256'): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg })
    .setIssuer('https://issuer.example')
    .setAudience('aim')
    .setSubject('alice')
    .setExpirationTime('5m')
    .sign(key);
}

describe('JwtVerifier', () => {
  it('a valid HS256 token gives the identity jwt:<sub> with its role and its expiry', async () => {
    const token = await sign({ role: 'operator' });
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    assert.deepEqual(await new JwtVerifier(HS256).verify(token), { subject: 'jwt:alice', role: 'operator', method: 'jwt', expiresAt: new Date(exp * 1000) });
  });

  it('an array role claim gives its highest known role, whatever the order; unknown entries are ignored', async () => {
    const verifier = new JwtVerifier(HS256);
    assert.equal((await verifier.verify(await sign({ role: ['admin', 'viewer'] })))?.role, 'admin');
    assert.equal((await verifier.verify(await sign({ role: ['viewer', 'root', 'operator'] })))?.role, 'operator');
    assert.equal(await verifier.verify(await sign({ role: ['root', 'superuser'] })), null);
    assert.equal(await verifier.verify(await sign({ role: [] })), null);
    assert.equal(await verifier.verify(await sign({ role: 'ADMIN' })), null);
    assert.equal(await verifier.verify(await sign({ role: { admin: true } })), null);
  });

  it('the role comes from roleClaim only', async () => {
    const verifier = new JwtVerifier({ ...HS256, roleClaim: 'groups' });
    assert.equal((await verifier.verify(await sign({ groups: ['viewer'], role: 'admin' })))?.role, 'viewer');
    assert.equal(await verifier.verify(await sign({ role: 'admin' })), null);
  });

  it('RS256: a token signed by the configured key passes; HS256 signed with the PEM text as secret does not', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const pem = await exportSPKI(publicKey);
    const verifier = new JwtVerifier({ ...HS256, algorithm: 'RS256', secret: null, publicKey: pem });
    assert.equal((await verifier.verify(await sign({ role: 'admin' }, privateKey, 'RS256')))?.role, 'admin');
    assert.equal(await verifier.verify(await sign({ role: 'admin' }, new TextEncoder().encode(pem))), null);
  });

  it('never throws: garbage, an empty string and a three-part non-token are null', async () => {
    const verifier = new JwtVerifier(HS256);
    for (const token of ['', 'garbage', 'a.b.c', '..']) assert.equal(await verifier.verify(token), null, token);
  });

  it('a token without an expiry (exp) is refused, however valid its signature, issuer and audience', async () => {
    const forever = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://issuer.example')
      .setAudience('aim')
      .setSubject('alice')
      .sign(new TextEncoder().encode(SECRET));
    assert.equal(await new JwtVerifier(HS256).verify(forever), null);
  });
});
