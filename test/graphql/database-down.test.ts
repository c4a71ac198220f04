import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DatasetNamesDocument } from '../generated/graphql';
import { startTestServer, type TestServer } from '../support/app-harness';
import { ERROR_CATALOGUE } from '../../src/errors/catalogue';

const PASSWORD = 'S3cret-never-shown';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('a database that cannot be reached', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      DB_DIALECT: 'postgresql',
      DB_CONNECTION_STRING: `Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=${await closedPort()};Database=none;Uid=nobody;Pwd=${PASSWORD};`,
      DB_ACQUIRE_TIMEOUT_MS: '2000',
    });
  });
  after(async () => {
    await server?.stop();
  });

  it('does not stop the server from starting: /healthz answers 200', async () => {
    assert.equal((await server.get('/healthz')).status, 200);
  });

  it('/readyz answers 503 with the database unreachable, and only { ready: false } to an anonymous caller', async () => {
    const response = await server.get('/readyz');
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { ready: false });
  });

  it('a query gets DB_UNAVAILABLE with the catalogue’s message', async () => {
    const result = await server.graphql(DatasetNamesDocument);
    assert.equal(result.errors?.[0]?.extensions?.code, 'DB_UNAVAILABLE');
    assert.equal(result.errors?.[0]?.message, ERROR_CATALOGUE.DB_UNAVAILABLE);
  });

  it('an API key that cannot be looked up gets 503 DB_UNAVAILABLE with the catalogue’s message: no 401, no driver words', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer aim_not-checked-while-the-database-is-away' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    assert.equal(response.status, 503);
    const body = (await response.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    assert.equal(body.errors[0]?.extensions.code, 'DB_UNAVAILABLE');
    assert.equal(body.errors[0]?.message, ERROR_CATALOGUE.DB_UNAVAILABLE);
    assert.equal(typeof body.errors[0]?.extensions.requestId, 'string');
    assert.doesNotMatch(JSON.stringify(body), /127\.0\.0\.1|nobody|postgresql error|connection to server/i);
  });

  it('the connection string’s password appears in no response and no log line', async () => {
    const responses = [
      await (await server.get('/readyz')).text(),
      JSON.stringify(await server.graphql(DatasetNamesDocument)),
      await (await server.get('/metrics')).text(),
    ];
    for (const text of [...responses, ...server.logs]) assert.ok(!text.includes(PASSWORD), `leaked in: ${text.slice(0, 300)}`);
    assert.ok(server.logs.length > 0, 'the server logged the failure');
  });
});

describe('production mode', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ NODE_ENV: 'production' });
  });
  after(async () => {
    await server?.stop();
  });

  it('refuses introspection and serves no landing page, while queries work', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __schema { types { name } } }' }),
    });
    const body = (await response.json()) as { errors?: { extensions: { code: string } }[] };
    assert.equal(body.errors?.[0]?.extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    const page = await server.get('/graphql', { accept: 'text/html' });
    assert.doesNotMatch(await page.text(), /sandbox/i);
    assert.equal((await server.graphql(DatasetNamesDocument)).data?.datasets.length, 2);
  });
});
