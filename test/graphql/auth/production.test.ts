import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createClient } from 'graphql-ws';
import { print } from 'graphql';
import WebSocket from 'ws';
import { ApiKeysDocument, DatasetNamesDocument, ModelRunUpdatedDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { startMain, type MainProcess } from '../../support/main-process';
import { dataOf } from '../../support/runs';
import { ANONYMOUS, bearer, post } from './auth-support';

const MAIN = path.resolve(__dirname, '../../../src/main.js');
const SECRET = 'production-secret-that-must-never-be-logged-0123456789';
const JWT_ENV = { AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: 'https://issuer.example', AUTH_JWT_AUDIENCE: 'aim-production' };

/** This environment without anything that could change the server's configuration. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(DB_|AUTH_|NODE_ENV$|UV_THREADPOOL_SIZE$|DATA_DIR$|PORT$|HOST$)/.test(name)));
}

describe('NODE_ENV=production defaults (API keys, no anonymous access) over HTTP and graphql-ws', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ NODE_ENV: 'production' });
  });
  after(async () => {
    await server?.stop();
  });

  it('an anonymous request gets UNAUTHENTICATED and no data', async () => {
    const answer = await post(server, DatasetNamesDocument, {}, ANONYMOUS);
    assert.equal(answer.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(answer.body));
    assert.equal(answer.body.data ?? null, null);
  });

  it('an admin API key works', async () => {
    dataOf((await post(server, ApiKeysDocument, {}, bearer(server.adminKey!))).body, 'apiKeys as admin');
  });

  it('an anonymous graphql-ws connection is closed with 4403', async () => {
    const closed = await new Promise<number>((resolve) => {
      const client = createClient({
        url: `${server.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        lazy: true,
        retryAttempts: 0,
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      // Only the close code is awaited: what reaches the sink before it does not matter here.
      const ignore = (): void => undefined;
      client.subscribe({ query: print(ModelRunUpdatedDocument), variables: { id: 'any-run' } }, { next: ignore, error: ignore, complete: ignore });
    });
    assert.equal(closed, 4403);
  });
});

describe('the server process (dist/src/main.js) and its secrets', () => {
  let main: MainProcess | undefined;

  after(async () => {
    if (main?.child.exitCode === null) {
      main.child.kill('SIGTERM');
      await main.exited;
    }
  });

  it('refuses to start in production with AUTH_ANONYMOUS=viewer and a short AUTH_JWT_SECRET: exit 1, both named, the secret not printed', () => {
    const shortSecret = 'short-Pr0d-secret';
    const result = spawnSync(process.execPath, [MAIN], {
      env: {
        ...cleanEnv(),
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-prod-')),
        NODE_ENV: 'production',
        AUTH_ANONYMOUS: 'viewer',
        ...JWT_ENV,
        AUTH_JWT_SECRET: shortSecret,
      },
      encoding: 'utf8',
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /AUTH_ANONYMOUS must be none when NODE_ENV=production/);
    assert.match(result.stderr, /AUTH_JWT_SECRET must have at least 32 bytes/);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(shortSecret), 'the secret is not printed');
  });

  it('refuses to start in production with AUTH_API_KEYS=false and no JWT settings: exit 1', () => {
    const result = spawnSync(process.execPath, [MAIN], {
      env: { ...cleanEnv(), DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-prod-')), NODE_ENV: 'production', AUTH_API_KEYS: 'false' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /NODE_ENV=production needs authentication/);
  });

  it('a production server with a JWT secret accepts its tokens and never writes the secret or a token to its log', async () => {
    main = await startMain({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-prod-')), NODE_ENV: 'production', LOG_LEVEL: 'debug', ...JWT_ENV });
    const token = await new SignJWT({ role: 'viewer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(JWT_ENV.AUTH_JWT_ISSUER)
      .setAudience(JWT_ENV.AUTH_JWT_AUDIENCE)
      .setSubject('prod-user')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    dataOf(await main.graphql(DatasetNamesDocument, {}, bearer(token)), 'datasets with a JWT');
    const refused = await post(main, DatasetNamesDocument, {}, bearer(`${token}x`));
    assert.equal(refused.status, 401);
    const anonymous = await post(main, DatasetNamesDocument, {}, ANONYMOUS);
    assert.equal(anonymous.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');

    const logged = JSON.stringify(main.lines);
    assert.ok(main.lines.length > 0);
    assert.ok(!logged.includes(SECRET), 'the secret is not logged');
    assert.ok(!logged.includes(token.split('.')[2]!), 'no token signature is logged');
  });
});
