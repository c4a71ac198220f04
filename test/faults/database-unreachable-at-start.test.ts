/**
 * PostgreSQL cannot be reached when the server starts, and comes back later: the server starts
 * anyway, says it is not ready, answers queries with DB_UNAVAILABLE, and recovers on its own — the
 * bootstrap retries with backoff (capped at 15 s) until it can prepare the database; nobody restarts
 * anything.
 *
 * How the outage is made: the server's connection string points at a switchable relay on a fixed
 * loopback port in front of the suite's PostgreSQL, run in a child process (test/support/process-relay.ts
 * says why the in-process relay of switchable-relay.ts deadlocks with psqlODBC).
 * The relay is closed before the server starts (connection refused, as from a stopped server) and
 * opened again once the test has seen the server fail. PostgreSQL itself keeps running: other test
 * files use it at the same time. The server gets a schema of its own (test/support/postgresql-schema.ts),
 * so its migrations create its own app tables and never touch the shared ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { ERROR_CATALOGUE } from '../../src/errors/catalogue';
import { DatasetNamesDocument } from '../generated/graphql';
import { startTestServer, type TestServer } from '../support/app-harness';
import { createPostgresqlSchema, type PostgresqlSchema } from '../support/postgresql-schema';
import { pollUntil } from '../support/runs';
import { startProcessRelay, type ProcessRelay } from '../support/process-relay';

const SCHEMA_TAG = 'faults_unreachable_at_start';
// /readyz gives its details to an admin only; with the database down no API key can be checked, a JWT can.
const JWT = { AUTH_JWT_SECRET: 'unreachable-at-start-test-secret-0123456789abcdef', AUTH_JWT_ISSUER: 'https://issuer.test', AUTH_JWT_AUDIENCE: 'readiness' };

interface Readiness {
  status: number;
  body: {
    ready: boolean;
    database: { dialect: string; reachable: boolean; prepared: boolean; serverVersion: string | null; error: { code: string; message: string } | null };
  };
}

async function readiness(server: TestServer): Promise<Readiness> {
  const token = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(JWT.AUTH_JWT_ISSUER)
    .setAudience(JWT.AUTH_JWT_AUDIENCE)
    .setSubject('operator-on-call')
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(JWT.AUTH_JWT_SECRET));
  const response = await server.get('/readyz', { authorization: `Bearer ${token}` });
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

describe('PostgreSQL unreachable when the server starts, reachable later', () => {
  let schema: PostgresqlSchema;
  let relay: ProcessRelay;
  let server: TestServer;

  before(async () => {
    schema = await createPostgresqlSchema(SCHEMA_TAG);
    relay = await startProcessRelay(`http://127.0.0.1:${schema.port}`);
    await relay.close();
    server = await startTestServer({
      ...JWT,
      DB_DIALECT: 'postgresql',
      DB_CONNECTION_STRING: schema.through(relay.port),
      DB_ACQUIRE_TIMEOUT_MS: '2000',
    });
  });

  after(async () => {
    await server?.stop();
    await relay?.stop();
    await schema?.drop();
  });

  it('starts anyway: /healthz 200, /readyz 503 with the database unreachable and unprepared', async () => {
    assert.equal(server.adminKey, null, 'the database was not ready at start');
    assert.equal((await server.get('/healthz')).status, 200);
    const { status, body } = await readiness(server);
    assert.equal(status, 503);
    assert.equal(body.ready, false);
    assert.equal(body.database.reachable, false);
    assert.equal(body.database.prepared, false);
    assert.deepEqual(body.database.error, { code: 'DB_UNAVAILABLE', message: ERROR_CATALOGUE.DB_UNAVAILABLE });
  });

  it('a query gets DB_UNAVAILABLE with the catalogue’s message (not an internal error, no driver text)', async () => {
    const result = await server.graphql(DatasetNamesDocument);
    assert.equal(result.data ?? null, null);
    assert.equal(result.errors?.length, 1, JSON.stringify(result.errors));
    assert.equal(result.errors[0]!.extensions?.code, 'DB_UNAVAILABLE');
    assert.equal(result.errors[0]!.message, ERROR_CATALOGUE.DB_UNAVAILABLE);
  });

  it('once the database is reachable the server recovers on its own: /readyz 200 and queries answer, with no restart', async (t) => {
    // The bootstrap has retried at least once while the database was away (backoff, not a single try).
    await pollUntil(
      () => Promise.resolve(server.app.bootstrap.current()),
      (state) => state.attempts >= 2,
      'a second bootstrap attempt',
    );
    const failedAttempts = server.app.bootstrap.current().attempts;
    assert.equal(server.app.bootstrap.current().done, false);

    await relay.open();
    // Bounded by the backoff cap (15 s) plus the preparation; the bound only turns a hang into a failure.
    const ready = await pollUntil(
      () => readiness(server),
      ({ status }) => status === 200,
      '/readyz answering 200',
      60_000,
      250,
    );
    assert.equal(ready.body.ready, true);
    assert.equal(ready.body.database.reachable, true);
    assert.equal(ready.body.database.prepared, true);
    assert.match(ready.body.database.serverVersion ?? '', /PostgreSQL/i);
    assert.equal(ready.body.database.error, null);
    const state = server.app.bootstrap.current();
    assert.ok(state.attempts > failedAttempts, `prepared by a later attempt (${state.attempts} > ${failedAttempts})`);
    t.diagnostic(`prepared at bootstrap attempt ${state.attempts}`);

    const result = await server.graphql(DatasetNamesDocument);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.deepEqual(result.data, { datasets: [] }, 'no demo datasets on PostgreSQL; the own schema starts empty');

    // The migrations ran in the server's own schema (the shared app tables were not touched).
    const [migrations] = await schema.datastore.query({ sql: 'SELECT COUNT(*) AS n FROM ai_schema_migrations', parameters: [], kind: 'select' });
    assert.ok(Number(migrations?.n) > 0, 'ai_schema_migrations in the test schema has the applied versions');
  });
});
