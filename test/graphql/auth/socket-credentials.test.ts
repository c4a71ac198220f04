import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import { SignJWT } from 'jose';
import { ApiKeyRepository } from '../../../src/modules/api-key/api-key.repository';
import { ApiKeyService } from '../../../src/modules/api-key/api-key.service';
import { DatasetNamesDocument, ModelRunUpdatedDocument, RevokeApiKeyDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { refusedSubscription, requestOverWs, wsClient, type Closed } from '../../support/graphql-ws';
import { dataOf, insertForeignRunningRun, pollUntil } from '../../support/runs';
import { createKey } from './auth-support';

/** Only turns a socket that never closes into a failure instead of a hang; not a timing assertion. */
const BOUND_MS = 30_000;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${BOUND_MS} ms`)), BOUND_MS)));
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** A live modelRunUpdated subscription: its events so far, and how the server or the socket ended it. */
function liveSubscription(client: Client, runId: string): { events: unknown[]; ended: Promise<{ error: unknown } | 'complete'> } {
  const events: unknown[] = [];
  const ended = new Promise<{ error: unknown } | 'complete'>((resolve) => {
    client.subscribe(
      { query: print(ModelRunUpdatedDocument), variables: { id: runId } },
      { next: (value) => events.push(value), error: (error) => resolve({ error }), complete: () => resolve('complete') },
    );
  });
  return { events, ended };
}

/** Sockets outlive no credentials: revoking a key or a token's expiry closes them (4403). AUTH_ANONYMOUS=none. */
describe('graphql-ws sockets and the credentials they were opened with', () => {
  let server: TestServer;
  const clients: Client[] = [];
  const open = (params: Record<string, unknown>) => {
    const opened = wsClient(server.url, params);
    clients.push(opened.client);
    return opened;
  };
  const runningRun = () => insertForeignRunningRun(server.app.datastore);

  before(async () => {
    // No API-key cache, so a key revoked by another process is seen at the next check.
    server = await startTestServer({ AUTH_ANONYMOUS: 'none', RUN_HEARTBEAT_MS: '600000', AUTH_API_KEY_CACHE_MS: '0' });
  });
  after(async () => {
    for (const client of clients) await client.dispose();
    await server?.stop();
  });

  it('revokeApiKey closes the sockets opened with that key with 4403, ending their subscriptions; subscribing again is refused', async () => {
    const { key, apiKey } = await createKey(server, 'ws revoked while open', 'VIEWER');
    const other = await createKey(server, 'ws not revoked', 'VIEWER');
    const runId = await runningRun();
    const revoked = open({ authorization: `Bearer ${key}` });
    const kept = open({ 'x-api-key': other.key });
    const live = liveSubscription(revoked.client, runId);
    await pollUntil(
      () => Promise.resolve(live.events.length),
      (count) => count === 1,
      'the subscription’s first state',
    );
    assert.ok((await requestOverWs(kept.client, DatasetNamesDocument, {})).data, 'the other key’s socket is open');

    dataOf(await server.graphql(RevokeApiKeyDocument, { id: apiKey.id }), 'revokeApiKey');
    assert.equal((await within(revoked.closed, 'the close of the revoked key’s socket')).code, 4403);
    const ended = await live.ended;
    assert.equal((ended as { error: Closed }).error.code, 4403, JSON.stringify(ended));
    // The client opens a new socket for a new subscription: the revoked key is refused there at connection_init.
    const again = await refusedSubscription(revoked.client, runId);
    assert.deepEqual(again.events, []);
    assert.equal((again.error as Closed).code, 4403);
    // A socket opened with another key is not touched.
    assert.ok((await requestOverWs(kept.client, DatasetNamesDocument, {})).data, 'the other key’s socket is still open');
  });

  it('a key revoked by another process sharing the database: the next operation on an open socket closes it with 4403 and does not run', async () => {
    const { key, apiKey } = await createKey(server, 'ws revoked elsewhere', 'VIEWER');
    const socket = open({ authorization: `Bearer ${key}` });
    // A live subscription keeps the socket open.
    const live = liveSubscription(socket.client, await runningRun());
    await pollUntil(
      () => Promise.resolve(live.events.length),
      (count) => count === 1,
      'the subscription’s first state',
    );
    assert.ok((await requestOverWs(socket.client, DatasetNamesDocument, {})).data, 'the key works before');
    // Another process's service: this server is not told.
    await new ApiKeyService(new ApiKeyRepository(server.app.datastore)).revoke(apiKey.id);
    const refused = await requestOverWs(socket.client, DatasetNamesDocument, {}).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    assert.equal(((refused as { error: Closed }).error as Closed | undefined)?.code, 4403, `the operation must not run: ${JSON.stringify(refused)}`);
    assert.equal((await socket.closed).code, 4403);
    assert.equal(((await live.ended) as { error: Closed }).error.code, 4403);
  });
});

const ISSUER = 'https://issuer.test.example';
const AUDIENCE = 'ai-modeling-api-test';
const SECRET = 'test-only-hs256-secret-0123456789abcdef-0123456789abcdef-0123456';

describe('graphql-ws sockets opened with a JWT', () => {
  let server: TestServer;
  let client: Client | undefined;

  before(async () => {
    server = await startTestServer({
      AUTH_ANONYMOUS: 'none',
      RUN_HEARTBEAT_MS: '600000',
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
    });
  });
  after(async () => {
    await client?.dispose();
    await server?.stop();
  });

  it('a socket opened with a token that expires in 2 s works, then closes with 4403 once the token has expired', async () => {
    const token = await new SignJWT({ role: 'viewer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('alice')
      .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
      .sign(new TextEncoder().encode(SECRET));
    const runId = await insertForeignRunningRun(server.app.datastore);
    const socket = wsClient(server.url, { authorization: `Bearer ${token}` });
    client = socket.client;
    const live = liveSubscription(client, runId);
    assert.ok((await requestOverWs(client, DatasetNamesDocument, {})).data, 'the token works before it expires');
    assert.equal((await within(socket.closed, 'the close of the expired token’s socket')).code, 4403);
    assert.equal(live.events.length, 1, 'the run’s current state, before the token expired');
    assert.equal(((await live.ended) as { error: Closed }).error.code, 4403);
  });
});
