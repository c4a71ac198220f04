import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, startInput } from '../../support/runs';
import { bearer, countRows, createKey, datasetId } from './auth-support';

/**
 * RATE_LIMIT_RUNS_PER_MINUTE=2: per caller (API key), a fixed one-minute window. The three calls of a
 * test follow each other at once, well inside one minute.
 */
describe('the startModelRun rate limit (RATE_LIMIT_RUNS_PER_MINUTE=2)', () => {
  let server: TestServer;
  let irisId: string;

  const start = (key: string, seed: number) =>
    server.graphql(StartModelRunDocument, { input: startInput({ datasetId: irisId, k: 2, seed, publishOutcomes: false }) }, bearer(key));

  before(async () => {
    server = await startTestServer({ RATE_LIMIT_RUNS_PER_MINUTE: '2' });
    irisId = await datasetId(server, 'iris');
  });
  after(async () => {
    await server?.stop();
  });

  it('the third startModelRun of one key within the minute is RATE_LIMITED with retryAfterSeconds, and writes no run', async () => {
    const operator = (await createKey(server, 'busy operator', 'OPERATOR')).key;
    dataOf(await start(operator, 1), 'first start');
    dataOf(await start(operator, 2), 'second start');
    const runsBefore = await countRows(server.app.datastore, 'ai_model_run');

    const third = await start(operator, 3);
    assert.equal(third.errors?.length, 1, JSON.stringify(third));
    const [error] = third.errors;
    assert.equal(error!.extensions?.code, 'RATE_LIMITED', JSON.stringify(third.errors));
    const retryAfterSeconds = error!.extensions?.retryAfterSeconds;
    assert.equal(typeof retryAfterSeconds, 'number');
    assert.ok((retryAfterSeconds as number) > 0 && (retryAfterSeconds as number) <= 60, `retryAfterSeconds ${String(retryAfterSeconds)}`);
    assert.match(error!.message, /At most 2 model runs started per 60 s per caller/);
    assert.equal(third.data ?? null, null);
    assert.equal(await countRows(server.app.datastore, 'ai_model_run'), runsBefore);

    // Still limited on a fourth try: refusals do not reset the window.
    assert.equal((await start(operator, 4)).errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    assert.equal(await countRows(server.app.datastore, 'ai_model_run'), runsBefore);
  });

  it('another key is counted on its own and is not limited by the first key’s calls', async () => {
    const first = (await createKey(server, 'first operator', 'OPERATOR')).key;
    const second = (await createKey(server, 'second operator', 'OPERATOR')).key;
    dataOf(await start(first, 1), 'first key, 1');
    dataOf(await start(first, 2), 'first key, 2');
    assert.equal((await start(first, 3)).errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    const runsBefore = await countRows(server.app.datastore, 'ai_model_run');
    dataOf(await start(second, 1), 'second key, 1');
    dataOf(await start(second, 2), 'second key, 2');
    assert.equal(await countRows(server.app.datastore, 'ai_model_run'), runsBefore + 2);
  });
});

describe('the startModelRun rate limit for JWT callers (per token subject)', () => {
  const SECRET = 'rate-limit-test-secret-of-at-least-32-bytes!';
  let server: TestServer;
  let irisId: string;

  /** A fresh operator token for `subject` (each with its own jti, so no two tokens are the same). */
  const token = (subject: string, jti: string) =>
    new SignJWT({ role: 'operator' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://issuer.example')
      .setAudience('aim')
      .setSubject(subject)
      .setJti(jti)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
  const start = async (subject: string, jti: string) =>
    server.graphql(
      StartModelRunDocument,
      { input: startInput({ datasetId: irisId, k: 2, seed: 1, publishOutcomes: false }) },
      bearer(await token(subject, jti)),
    );

  before(async () => {
    server = await startTestServer({
      RATE_LIMIT_RUNS_PER_MINUTE: '2',
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWT_ISSUER: 'https://issuer.example',
      AUTH_JWT_AUDIENCE: 'aim',
    });
    irisId = await datasetId(server, 'iris');
  });
  after(async () => {
    await server?.stop();
  });

  it('new tokens for the same subject share its count: the third start is RATE_LIMITED; another subject is not', async () => {
    dataOf(await start('alice', 'a1'), 'alice 1');
    dataOf(await start('alice', 'a2'), 'alice 2');
    const runsBefore = await countRows(server.app.datastore, 'ai_model_run');
    const third = await start('alice', 'a3');
    assert.equal(third.errors?.[0]?.extensions?.code, 'RATE_LIMITED', JSON.stringify(third));
    assert.equal(await countRows(server.app.datastore, 'ai_model_run'), runsBefore);
    dataOf(await start('bob', 'b1'), 'bob 1');
  });
});
