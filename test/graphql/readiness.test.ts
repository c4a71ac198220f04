import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { ERROR_CATALOGUE } from '../../src/errors/catalogue';
import { startTestServer, type TestServer } from '../support/app-harness';
import { postgresqlDatabase } from '../support/databases';
import { createKey } from './auth/auth-support';

const ISSUER = 'https://issuer.readiness.example';
const AUDIENCE = 'ai-modeling-api-readiness';
const SECRET = 'readiness-test-only-hs256-secret-0123456789abcdef-0123456789abcd';
const JWT_ENV = { AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE };
const WRONG_PASSWORD = 'Wrong-Pass-never-shown-77';

function token(role: string): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(`readiness-${role}`)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

async function readyz(server: TestServer, headers: Record<string, string>): Promise<{ status: number; text: string; body: Record<string, unknown> }> {
  const response = await server.get('/readyz', headers);
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

const ANONYMOUS = {};

describe('/readyz with the database refusing the password', () => {
  let server: TestServer;
  let user: string;

  before(async () => {
    const connectionString = postgresqlDatabase().connectionString;
    user = /(?:^|;)\s*Uid\s*=\s*([^;]+)/i.exec(connectionString)![1]!;
    server = await startTestServer({
      ...JWT_ENV,
      LOG_LEVEL: 'debug',
      DB_DIALECT: 'postgresql',
      DB_CONNECTION_STRING: connectionString.replace(/((?:^|;)\s*Pwd\s*=)[^;]*/i, `$1${WRONG_PASSWORD}`),
      DB_ACQUIRE_TIMEOUT_MS: '2000',
    });
  });
  after(async () => {
    await server?.stop();
  });

  it('an anonymous caller gets { ready: false } with 503 and nothing else', async () => {
    const answer = await readyz(server, ANONYMOUS);
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.body, { ready: false });
  });

  it('an admin (JWT) gets the details, the database error as DB_UNAVAILABLE with the catalogue’s message; neither answer names the user or the password', async () => {
    const admin = await readyz(server, { authorization: `Bearer ${await token('admin')}` });
    assert.equal(admin.status, 503);
    const database = admin.body.database as Record<string, unknown>;
    assert.equal(database.reachable, false);
    assert.equal(database.prepared, false);
    assert.deepEqual(database.error, { code: 'DB_UNAVAILABLE', message: ERROR_CATALOGUE.DB_UNAVAILABLE });
    for (const answer of [admin, await readyz(server, ANONYMOUS)]) {
      for (const word of [user, WRONG_PASSWORD, 'password', 'authentication', 'FATAL'])
        assert.ok(!answer.text.includes(word), `/readyz shows "${word}": ${answer.text}`);
    }
    // The driver's words are for the operator's log, at debug only.
    const withDriverText = server.logs.filter((line) => line.includes('password authentication failed'));
    assert.ok(withDriverText.length > 0, 'the server log has the driver text');
    assert.ok(
      withDriverText.every((line) => (JSON.parse(line) as { level: number }).level === 20),
      'at debug only',
    );
    assert.ok(
      server.logs.every((line) => !line.includes(WRONG_PASSWORD)),
      'no log line has the password',
    );
  });

  it('a viewer or operator token gets only { ready }, like an anonymous caller', async () => {
    for (const role of ['viewer', 'operator']) {
      const answer = await readyz(server, { authorization: `Bearer ${await token(role)}` });
      assert.equal(answer.status, 503);
      assert.deepEqual(answer.body, { ready: false }, role);
    }
  });
});

describe('/readyz with the database ready', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer(JWT_ENV);
  });
  after(async () => {
    await server?.stop();
  });

  it('an anonymous caller gets { ready: true } with 200 and nothing else', async () => {
    const answer = await readyz(server, ANONYMOUS);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { ready: true });
  });

  it('an admin API key gets the details: dialect, server version, pool and trace counters', async () => {
    const answer = await readyz(server, { authorization: `Bearer ${server.adminKey!}` });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.ready, true);
    const database = answer.body.database as Record<string, unknown>;
    assert.equal(database.dialect, 'sqlite');
    assert.equal(database.reachable, true);
    assert.equal(database.prepared, true);
    assert.match(String(database.serverVersion), /^\d+\.\d+/);
    assert.equal(database.error, null);
    assert.ok(answer.body.pool && typeof answer.body.pool === 'object');
    assert.ok(answer.body.trace && typeof answer.body.trace === 'object');
  });

  it('a viewer API key, an unknown API key and a malformed Authorization header get only { ready: true }', async () => {
    const { key } = await createKey(server, 'readiness viewer', 'VIEWER');
    for (const headers of [{ 'x-api-key': key }, { 'x-api-key': 'aim_unknown' }, { authorization: 'Basic abc' }] as Record<string, string>[]) {
      const answer = await readyz(server, headers);
      assert.equal(answer.status, 200, JSON.stringify(headers));
      assert.deepEqual(answer.body, { ready: true }, JSON.stringify(headers));
    }
  });
});
