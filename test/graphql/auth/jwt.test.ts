import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { ApiKeysDocument, DatasetNamesDocument, RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, registerInput, startInput } from '../../support/runs';
import { assertForbidden, assertUnauthenticated, bearer, countRows, datasetId, post } from './auth-support';

const ISSUER = 'https://issuer.test.example';
const AUDIENCE = 'ai-modeling-api-test';
/** 64 bytes, so the same secret can also sign an HS512 token (which the server must refuse). */
const SECRET = 'test-only-hs256-secret-0123456789abcdef-0123456789abcdef-0123456';
const OTHER_SECRET = 'another-secret-of-64-bytes-that-the-server-does-not-know-xxxxxxx';
const encode = (text: string) => new TextEncoder().encode(text);
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

interface TokenOptions {
  alg?: string;
  key?: Parameters<SignJWT['sign']>[0];
  issuer?: string;
  audience?: string;
  subject?: string | null;
  /** jose time span ('10m') or a fixed epoch second. */
  expires?: string | number;
  issuedAt?: number;
}

/** A signed JWT: by default HS256 with the server's secret, issuer, audience, subject alice, 10 minutes. */
function sign(claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(options.issuedAt)
    .setExpirationTime(options.expires ?? '10m');
  if (options.subject !== null) jwt.setSubject(options.subject ?? 'alice');
  return jwt.sign(options.key ?? encode(SECRET));
}

describe('JWT bearer tokens, HS256 (AUTH_JWT_SECRET, AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE)', () => {
  let server: TestServer;
  let irisId: string;

  const start = (headers: Record<string, string>) =>
    post(server, StartModelRunDocument, { input: startInput({ datasetId: irisId, k: 3, seed: 1, publishOutcomes: false }) }, headers);

  before(async () => {
    server = await startTestServer({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE });
    irisId = await datasetId(server, 'iris');
  });
  after(async () => {
    await server?.stop();
  });

  it('an operator token may start a run', async () => {
    const before = await countRows(server.app.datastore, 'ai_model_run');
    const answer = await start(bearer(await sign({ role: 'operator' })));
    assert.equal(answer.status, 200);
    assert.equal(dataOf(answer.body, 'startModelRun with an operator JWT').startModelRun.status, 'QUEUED');
    assert.equal(await countRows(server.app.datastore, 'ai_model_run'), before + 1);
  });

  it('a viewer token may query but gets FORBIDDEN on startModelRun', async () => {
    const token = await sign({ role: 'viewer' });
    dataOf((await post(server, DatasetNamesDocument, {}, bearer(token))).body, 'datasets with a viewer JWT');
    assertForbidden((await start(bearer(token))).body, 'operator', 'startModelRun with a viewer JWT');
  });

  it('a role claim that is an array counts its highest known role: [viewer, operator] is operator, not admin', async () => {
    const token = await sign({ role: ['viewer', 'operator', 'superuser'] });
    dataOf((await start(bearer(token))).body, 'startModelRun with [viewer, operator]');
    const register = await post(
      server,
      RegisterDatasetDocument,
      { input: registerInput({ name: 'by jwt', table: 'iris', keyColumns: ['sample_id'], featureColumns: ['sepal_length'] }) },
      bearer(token),
    );
    assertForbidden(register.body, 'admin', 'registerDataset with [viewer, operator]');
  });

  const refused: [string, () => Promise<string>][] = [
    ['an expired token', () => sign({ role: 'operator' }, { issuedAt: 1_600_000_000, expires: 1_600_000_600 })],
    ['a token from another issuer', () => sign({ role: 'operator' }, { issuer: 'https://elsewhere.example' })],
    ['a token for another audience', () => sign({ role: 'operator' }, { audience: 'another-api' })],
    ['a token signed with another secret', () => sign({ role: 'operator' }, { key: encode(OTHER_SECRET) })],
    ['a token whose role is unknown', () => sign({ role: 'superuser' })],
    ['a token without a role claim', () => sign({ name: 'alice' })],
    ['a token without a subject', () => sign({ role: 'operator' }, { subject: null })],
    [
      'a token with alg none',
      () =>
        Promise.resolve(new UnsecuredJWT({ role: 'admin' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('mallory').setExpirationTime('10m').encode()),
    ],
    ['a token signed HS512 with the right secret', () => sign({ role: 'operator' }, { alg: 'HS512' })],
    [
      'a token whose signature was altered',
      async () => {
        const token = await sign({ role: 'operator' });
        const last = token.at(-2) === 'A' ? 'B' : 'A';
        return `${token.slice(0, -2)}${last}${token.at(-1)}`;
      },
    ],
    ['something that is not a JWT', () => Promise.resolve('not-a-jwt')],
  ];
  for (const [what, token] of refused) {
    it(`${what} gets HTTP 401 UNAUTHENTICATED and starts no run`, async () => {
      const before = await countRows(server.app.datastore, 'ai_model_run');
      assertUnauthenticated(await start(bearer(await token())), what);
      assert.equal(await countRows(server.app.datastore, 'ai_model_run'), before);
    });
  }

  it('API keys keep working beside JWTs (AUTH_API_KEYS default true)', async () => {
    const answer = await post(server, ApiKeysDocument, {}, bearer(server.adminKey!));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    dataOf(answer.body, 'apiKeys with the admin key');
  });

  it('neither the secret nor any token appears in the server’s logs', async () => {
    const token = await sign({ role: 'viewer' });
    await post(server, DatasetNamesDocument, {}, bearer(token));
    await post(server, DatasetNamesDocument, {}, bearer(`${token}x`));
    const logs = server.logs.join('');
    assert.ok(!logs.includes(SECRET), 'the secret is not logged');
    assert.ok(!logs.includes(token.split('.')[2]!), 'the token is not logged');
  });
});

describe('JWT bearer tokens, RS256 (AUTH_JWT_PUBLIC_KEY as PEM with literal \\n)', () => {
  let server: TestServer;
  let privateKey: PrivateKey;
  let otherPrivateKey: PrivateKey;
  let publicPem: string;

  before(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    otherPrivateKey = (await generateKeyPair('RS256')).privateKey;
    publicPem = await exportSPKI(pair.publicKey);
    // As an environment file holds it: one line, with literal \n where the PEM's line breaks are.
    const oneLine = publicPem.trim().replace(/\n/g, '\\n');
    assert.ok(!oneLine.includes('\n'));
    server = await startTestServer({ AUTH_JWT_PUBLIC_KEY: oneLine, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE });
  });
  after(async () => {
    await server?.stop();
  });

  it('an admin token signed with the private key may list API keys', async () => {
    const answer = await post(server, ApiKeysDocument, {}, bearer(await sign({ role: 'admin' }, { alg: 'RS256', key: privateKey })));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    dataOf(answer.body, 'apiKeys with an RS256 admin token');
  });

  it('a token signed with another RSA key gets HTTP 401 UNAUTHENTICATED', async () => {
    assertUnauthenticated(
      await post(server, ApiKeysDocument, {}, bearer(await sign({ role: 'admin' }, { alg: 'RS256', key: otherPrivateKey }))),
      'another RSA key',
    );
  });

  it('an HS256 token whose secret is the public key PEM (algorithm confusion) gets HTTP 401 UNAUTHENTICATED', async () => {
    assertUnauthenticated(
      await post(server, ApiKeysDocument, {}, bearer(await sign({ role: 'admin' }, { alg: 'HS256', key: encode(publicPem) }))),
      'HS256 with the PEM',
    );
  });
});

describe('AUTH_JWT_ROLE_CLAIM (a custom claim name) with AUTH_API_KEYS=false', () => {
  const CLAIM = 'https://aim.example/roles';
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_JWT_ROLE_CLAIM: CLAIM,
      AUTH_API_KEYS: 'false',
    });
  });
  after(async () => {
    await server?.stop();
  });

  it('the role is read from the configured claim: an admin token there may list API keys', async () => {
    const answer = await post(server, ApiKeysDocument, {}, bearer(await sign({ [CLAIM]: ['admin'] })));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    dataOf(answer.body, 'apiKeys with the custom claim');
  });

  it('a token with role only in the standard `role` claim names no known role here: HTTP 401 UNAUTHENTICATED', async () => {
    assertUnauthenticated(await post(server, DatasetNamesDocument, {}, bearer(await sign({ role: 'admin' }))), 'role in the wrong claim');
  });

  it('an API key, valid in the database, gets HTTP 401 UNAUTHENTICATED when AUTH_API_KEYS=false', async () => {
    assert.ok(server.adminKey, 'the harness created a key in the database');
    assertUnauthenticated(await post(server, DatasetNamesDocument, {}, bearer(server.adminKey)), 'API key with AUTH_API_KEYS=false, Authorization');
    assertUnauthenticated(
      await post(server, DatasetNamesDocument, {}, { authorization: '', 'x-api-key': server.adminKey }),
      'API key with AUTH_API_KEYS=false, X-API-Key',
    );
  });
});
