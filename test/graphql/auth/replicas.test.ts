import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { CancelModelRunDocument, DatasetNamesDocument, ModelRunUpdatedDocument, RevokeApiKeyDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { wsClient } from '../../support/graphql-ws';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from '../../support/redis';
import { dataOf, insertForeignRunningRun, pollUntil, startInput } from '../../support/runs';
import { assertUnauthenticated, bearer, createKey, datasetId, post } from './auth-support';

/**
 * Two servers on one PostgreSQL database and one Redis (REDIS_URL, a prefix of this test's own): the
 * startModelRun rate limit counts both servers' calls, and a key revoked on one stops working on the
 * other at once, although the other had just verified and cached it.
 */
describe('PostgreSQL, two servers sharing Redis: rate limit and API-key revocation', () => {
  const prefix = uniqueRedisPrefix('replica-auth');
  let schema: PostgresqlSchema;
  let a: TestServer;
  let b: TestServer;
  let irisId: string;
  let env: Record<string, string>;

  before(async () => {
    schema = await createPostgresqlSchema('replica_auth');
    env = {
      DB_DIALECT: 'postgresql',
      DB_CONNECTION_STRING: schema.connectionString,
      DEMO_DATASETS: 'true',
      RUN_HEARTBEAT_MS: '600000',
      RATE_LIMIT_RUNS_PER_MINUTE: '2',
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: prefix,
    };
    a = await startTestServer(env);
    b = await startTestServer(env);
    irisId = await datasetId(a, 'iris');
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await schema?.drop();
    await deleteRedisKeys(prefix);
  });

  it('after two startModelRun calls of one key on A, the third, on B, is RATE_LIMITED with retryAfterSeconds', async () => {
    const operator = (await createKey(a, 'replica operator', 'OPERATOR')).key;
    const start = (server: TestServer, seed: number) =>
      server.graphql(StartModelRunDocument, { input: startInput({ datasetId: irisId, k: 2, seed, publishOutcomes: false }) }, bearer(operator));
    dataOf(await start(a, 1), 'first start, on A');
    dataOf(await start(a, 2), 'second start, on A');

    const third = await start(b, 3);
    assert.equal(third.errors?.length, 1, JSON.stringify(third));
    const [error] = third.errors;
    assert.equal(error!.extensions?.code, 'RATE_LIMITED', JSON.stringify(third.errors));
    const retryAfterSeconds = error!.extensions?.retryAfterSeconds as number;
    assert.ok(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 1 && retryAfterSeconds <= 60, `retryAfterSeconds ${retryAfterSeconds}`);
    assert.match(error!.message, /^At most 2 model runs started per 60 s per caller; retry in \d+ s$/);
    assert.equal(third.data ?? null, null);
    // Another key has a count of its own, on either server.
    const other = (await createKey(a, 'other operator', 'OPERATOR')).key;
    dataOf(
      await b.graphql(StartModelRunDocument, { input: startInput({ datasetId: irisId, k: 2, seed: 4, publishOutcomes: false }) }, bearer(other)),
      'another key on B',
    );
  });

  it('a key B has just verified (and cached) is refused by B with 401 as soon as A has revoked it', async () => {
    const { key, apiKey } = await createKey(a, 'soon revoked', 'VIEWER');
    const names = (server: TestServer) => post(server, DatasetNamesDocument, {}, bearer(key));
    const before = await names(b);
    assert.equal(before.status, 200, JSON.stringify(before.body));
    assert.ok(dataOf(before.body, 'datasets on B').datasets.some((dataset) => dataset.name === 'iris'));

    assert.equal(dataOf(await a.graphql(RevokeApiKeyDocument, { id: apiKey.id }), 'revoke on A').revokeApiKey.id, apiKey.id);
    assertUnauthenticated(await names(b), 'the revoked key on B');
    assertUnauthenticated(await names(a), 'the revoked key on A');
  });

  it('a graphql-ws socket opened on B with a key revoked on A is closed by B with 4403, ending its subscription', async () => {
    const { key, apiKey } = await createKey(a, 'socket on B', 'VIEWER');
    // A run that stays RUNNING (its owner is no server here), so the subscription stays open.
    const runId = await insertForeignRunningRun(schema.datastore, irisId);
    const socket = wsClient(b.url, { authorization: `Bearer ${key}` });
    const events: unknown[] = [];
    const ended = new Promise<unknown>((resolve) => {
      socket.client.subscribe(
        { query: print(ModelRunUpdatedDocument), variables: { id: runId } },
        { next: (value) => events.push(value), error: resolve, complete: () => resolve('complete') },
      );
    });
    try {
      await pollUntil(
        () => Promise.resolve(events.length),
        (count) => count === 1,
        'the subscription’s first state',
      );
      dataOf(await a.graphql(RevokeApiKeyDocument, { id: apiKey.id }), 'revoke on A');
      // Bounded only so that a socket that stays open fails instead of hanging.
      const closed = await Promise.race([socket.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000).unref())]);
      assert.equal(closed?.code, 4403, 'B closed the socket');
      assert.equal(((await ended) as { code?: number }).code, 4403);
    } finally {
      await socket.client.dispose();
      dataOf(await a.graphql(CancelModelRunDocument, { id: runId }), 'cancel the run');
    }
  });

  it('a key revoked with `npm run apikey -- revoke` (REDIS_URL set) is refused at once by both servers, which had just cached it', async () => {
    const { key, apiKey } = await createKey(a, 'revoked from the command line', 'VIEWER');
    const names = (server: TestServer) => post(server, DatasetNamesDocument, {}, bearer(key));
    for (const server of [a, b]) assert.equal((await names(server)).status, 200);

    const { UV_THREADPOOL_SIZE: _inherited, ...parentEnv } = process.env;
    const cli = spawnSync(process.execPath, [path.resolve(__dirname, '../../../src/cli/apikey.js'), 'revoke', '--id', apiKey.id], {
      env: { ...parentEnv, ...env },
      encoding: 'utf8',
    });
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(cli.stdout, `revoked API key ${apiKey.id} "revoked from the command line"\n`);
    assertUnauthenticated(await names(b), 'the revoked key on B');
    assertUnauthenticated(await names(a), 'the revoked key on A');
  });
});
