import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { DatasetByIdDocument, RegisterDatasetDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { registerInput } from '../../support/runs';

interface AccessLine {
  msg: string;
  requestId: string;
  method: string;
  path: string;
  operation?: string;
  status: number;
  durationMs: number;
}

/** The access-log lines written so far, parsed. */
function accessLines(server: TestServer): AccessLine[] {
  return server.logs.map((line) => JSON.parse(line) as AccessLine & { msg: string }).filter((line) => line.msg === 'request');
}

/** The one access-log line with this request id. */
function lineOf(server: TestServer, requestId: string): AccessLine {
  const lines = accessLines(server).filter((line) => line.requestId === requestId);
  assert.equal(lines.length, 1, `one access-log line for ${requestId}, got ${JSON.stringify(lines)}`);
  return lines[0]!;
}

/** The access log is written when the response closes: poll briefly for the line. */
async function waitForLine(server: TestServer, requestId: string): Promise<AccessLine> {
  for (let attempt = 0; attempt < 100 && !accessLines(server).some((line) => line.requestId === requestId); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return lineOf(server, requestId);
}

describe('the access log', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('a GraphQL POST gets one line with its request id (sent back in X-Request-Id), method, path, operation name, status and duration', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}`, 'x-request-id': 'access-log-test-1' },
      body: JSON.stringify({ query: print(DatasetByIdDocument), variables: { id: 'demo-iris' }, operationName: 'DatasetById' }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-request-id'), 'access-log-test-1');
    const line = await waitForLine(server, 'access-log-test-1');
    assert.deepEqual([line.method, line.path, line.operation, line.status], ['POST', '/graphql', 'DatasetById', 200]);
    assert.equal(typeof line.durationMs, 'number');
    assert.ok(line.durationMs >= 0);
  });

  it('without X-Request-Id, or with one that is not a plain id, the server makes one, sends it back and logs it', async () => {
    for (const sent of [undefined, 'forged\nline {"msg":"x"}']) {
      const response = await fetch(`${server.url}/healthz`, { headers: sent === undefined ? {} : { 'x-request-id': encodeURIComponent(sent) + ' !' } });
      const requestId = response.headers.get('x-request-id');
      assert.match(requestId ?? '', /^[0-9a-f-]{36}$/);
      const line = await waitForLine(server, requestId!);
      assert.deepEqual([line.method, line.path, line.operation, line.status], ['GET', '/healthz', undefined, 200]);
    }
  });

  it('the operation name is the one the document holds when the client names none, and invalid when it is not a plain name', async () => {
    const named = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'access-log-test-named' },
      body: JSON.stringify({ query: 'query OnlyNames { datasets { name } }' }),
    });
    assert.equal(named.status, 200);
    assert.equal((await waitForLine(server, 'access-log-test-named')).operation, 'OnlyNames');
    const odd = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'access-log-test-odd' },
      body: JSON.stringify({ query: 'query A { datasets { name } }', operationName: 'not a name' }),
    });
    assert.equal(odd.status, 400);
    assert.equal((await waitForLine(server, 'access-log-test-odd')).operation, 'invalid');
  });

  it("a hostile request's variables, query text and credentials reach no log line, whether it succeeds, fails or comes as a GET", async () => {
    const secret = 'sk_live_51HostileSecretValue0123456789';
    const queryMarker = 'queryTextMarker7c1f';
    const before = server.logs.length;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` };
    // Served: the secret is a variable of a query that runs.
    const served = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...headers, 'x-request-id': 'hostile-1' },
      body: JSON.stringify({ query: `${print(DatasetByIdDocument)} # ${queryMarker}`, variables: { id: secret, password: secret } }),
    });
    assert.equal(served.status, 200);
    // Refused: the secret is in input the server rejects (not an identifier).
    const refused = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { ...headers, 'x-request-id': 'hostile-2' },
      body: JSON.stringify({
        query: print(RegisterDatasetDocument),
        variables: { input: registerInput({ name: secret, table: `${secret}; DROP TABLE x`, keyColumns: [secret], featureColumns: [secret] }) },
      }),
    });
    assert.equal(refused.status, 200);
    assert.ok(((await refused.json()) as { errors?: unknown[] }).errors?.length);
    // A GET carries query and variables in the query string.
    const query = encodeURIComponent(`query Hostile($id: ID!) { dataset(id: $id) { id } } # ${queryMarker}`);
    const viaGet = await fetch(`${server.url}/graphql?query=${query}&variables=${encodeURIComponent(JSON.stringify({ id: secret }))}`, {
      headers: { authorization: `Bearer ${server.adminKey}`, 'apollo-require-preflight': 'true', 'x-request-id': 'hostile-3' },
    });
    assert.equal(viaGet.status, 200);
    // Wrong credentials that look like a key: 401, and the key is not logged either.
    const wrongKey = `aim_${secret}`;
    const unauthenticated = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${wrongKey}`, 'x-request-id': 'hostile-4' },
      body: JSON.stringify({ query: '{ datasets { id } }', variables: { secret } }),
    });
    assert.equal(unauthenticated.status, 401);

    const lines = await Promise.all(['hostile-1', 'hostile-2', 'hostile-3', 'hostile-4'].map((id) => waitForLine(server, id)));
    assert.deepEqual(
      lines.map((line) => [line.method, line.path, line.operation ?? null, line.status]),
      [
        ['POST', '/graphql', 'DatasetById', 200],
        ['POST', '/graphql', 'RegisterDataset', 200],
        ['GET', '/graphql', 'Hostile', 200],
        ['POST', '/graphql', null, 401],
      ],
    );
    const written = server.logs.slice(before);
    for (const needle of [secret, queryMarker, server.adminKey!, 'DROP TABLE']) {
      assert.deepEqual(
        written.filter((line) => line.includes(needle)),
        [],
        `no log line holds ${needle}`,
      );
    }
  });
});

describe('unknown routes and wrong methods', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('an unknown route gets a JSON 404 NOT_FOUND naming it, not Express HTML, and one access-log line', async () => {
    const response = await fetch(`${server.url}/nope/deeper?x=1`, { headers: { 'x-request-id': 'not-found-1' } });
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await response.json(), { errors: [{ message: 'No route GET /nope/deeper', extensions: { code: 'NOT_FOUND' } }] });
    const line = await waitForLine(server, 'not-found-1');
    assert.deepEqual([line.method, line.path, line.status], ['GET', '/nope/deeper', 404]);
  });

  it('a long unknown path is cut short in the answer', async () => {
    const response = await fetch(`${server.url}/${'a'.repeat(5_000)}`);
    const body = (await response.json()) as { errors: { message: string }[] };
    assert.equal(response.status, 404);
    assert.equal(body.errors[0]!.message, `No route GET /${'a'.repeat(199)}…`);
  });

  it('POST /healthz, /readyz and /metrics get a JSON 405 METHOD_NOT_ALLOWED with Allow: GET, HEAD', async () => {
    for (const route of ['/healthz', '/readyz', '/metrics']) {
      const response = await fetch(`${server.url}${route}`, { method: 'POST' });
      assert.equal(response.status, 405, route);
      assert.equal(response.headers.get('allow'), 'GET, HEAD');
      assert.deepEqual(await response.json(), {
        errors: [{ message: `${route} takes GET, HEAD, not POST`, extensions: { code: 'METHOD_NOT_ALLOWED' } }],
      });
    }
  });
});
