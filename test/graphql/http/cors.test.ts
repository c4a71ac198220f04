import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { DatasetByIdDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';

const QUERY = print(DatasetByIdDocument);

/** A browser's preflight for a JSON POST with a bearer key, from `origin`. */
function preflight(server: TestServer, origin: string, route = '/graphql'): Promise<Response> {
  return fetch(`${server.url}${route}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
}

function assertAllowed(response: Response, origin: string): void {
  assert.equal(response.headers.get('access-control-allow-origin'), origin);
  assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
  assert.match(response.headers.get('vary') ?? '', /\bOrigin\b/);
}

function assertNoCorsHeaders(response: Response): void {
  assert.equal(response.headers.get('access-control-allow-origin'), null);
  assert.equal(response.headers.get('access-control-allow-credentials'), null);
}

describe('CORS in development with CORS_ORIGINS unset', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('a preflight from http://localhost:5173 gets 204 with the origin, credentials, POST and the auth and CSRF headers allowed', async () => {
    const response = await preflight(server, 'http://localhost:5173');
    assert.equal(response.status, 204);
    assertAllowed(response, 'http://localhost:5173');
    assert.deepEqual(
      response.headers
        .get('access-control-allow-headers')
        ?.split(',')
        .map((header) => header.trim()),
      [
        'authorization',
        'content-type',
        'apollo-require-preflight',
        'x-apollo-operation-name',
        'apollographql-client-name',
        'apollographql-client-version',
        'traceparent',
        'tracestate',
        'x-api-key',
        'x-request-id',
      ],
    );
    assert.deepEqual(response.headers.get('access-control-allow-methods'), 'GET,POST');
  });

  it('every loopback origin is allowed, on any port: 127.0.0.1, [::1], https on localhost', async () => {
    for (const origin of ['http://127.0.0.1:3000', 'http://[::1]:8080', 'https://localhost:5173', 'http://localhost']) {
      const response = await preflight(server, origin);
      assert.equal(response.status, 204, origin);
      assertAllowed(response, origin);
    }
  });

  it('a preflight from a remote origin, or one that only looks local, gets no CORS header', async () => {
    for (const origin of ['https://evil.example', 'http://localhost.evil.example', 'http://127.0.0.1.evil.example:80', 'null']) {
      assertNoCorsHeaders(await preflight(server, origin));
    }
  });

  it('the JSON POST that follows an allowed preflight reads the data, with the origin echoed', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'http://localhost:5173', 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
      body: JSON.stringify({ query: QUERY, variables: { id: 'demo-iris' } }),
    });
    assert.equal(response.status, 200);
    assertAllowed(response, 'http://localhost:5173');
    // What a page's script may read besides the simple headers: the request id, and an export's file name.
    assert.deepEqual(response.headers.get('access-control-expose-headers')?.split(','), ['x-request-id', 'content-disposition']);
    const body = (await response.json()) as { data: { dataset: { id: string; name: string; rowCount: number } } };
    assert.deepEqual([body.data.dataset.id, body.data.dataset.name, body.data.dataset.rowCount], ['demo-iris', 'iris', 150]);
  });

  it('CSRF prevention stays on: a simple text/plain POST and a GET without a preflight header are refused with 400 even from an allowed origin', async () => {
    const origin = 'http://localhost:5173';
    const simplePost = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { origin, 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ datasets { id } }' }),
    });
    assert.equal(simplePost.status, 400);
    assert.doesNotMatch(await simplePost.text(), /demo-iris/);
    const simpleGet = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ datasets { id } }')}`, { headers: { origin } });
    assert.equal(simpleGet.status, 400);
    assert.doesNotMatch(await simpleGet.text(), /demo-iris/);
    // The same GET with Apollo's preflight header is served.
    const preflighted = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ datasets { id } }')}`, {
      headers: { origin, 'apollo-require-preflight': 'true' },
    });
    assert.equal(preflighted.status, 200);
    assert.match(await preflighted.text(), /demo-iris/);
  });
});

describe('CORS with CORS_ORIGINS set', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ CORS_ORIGINS: 'https://app.example.com, https://admin.example.com:8443' });
  });
  after(() => server.stop());

  it('the listed origins are allowed, on every route a browser calls', async () => {
    assertAllowed(await preflight(server, 'https://app.example.com'), 'https://app.example.com');
    assertAllowed(await preflight(server, 'https://admin.example.com:8443'), 'https://admin.example.com:8443');
    const readyz = await fetch(`${server.url}/readyz`, { headers: { origin: 'https://app.example.com' } });
    assertAllowed(readyz, 'https://app.example.com');
  });

  it('the list replaces the loopback default, and near misses of a listed origin are refused', async () => {
    for (const origin of ['http://localhost:5173', 'http://app.example.com', 'https://app.example.com:444', 'https://admin.example.com']) {
      assertNoCorsHeaders(await preflight(server, origin));
    }
  });
});

describe('CORS in production with CORS_ORIGINS unset', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ NODE_ENV: 'production' });
  });
  after(() => server.stop());

  it('no origin is allowed, not even a loopback one', async () => {
    assertNoCorsHeaders(await preflight(server, 'http://localhost:5173'));
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'http://localhost:5173', 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
      body: JSON.stringify({ query: QUERY, variables: { id: 'demo-iris' } }),
    });
    assertNoCorsHeaders(response);
  });
});

describe('CORS_ORIGINS that is not a list of origins', () => {
  it('the server process refuses to start with the configuration error naming each bad entry, and exits 1', async () => {
    const child = spawn(process.execPath, [path.resolve(__dirname, '../../../src/main.js')], {
      env: {
        ...process.env,
        PORT: '0',
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-cors-')),
        CORS_ORIGINS: 'https://app.example.com/graphql,app.example.com,*',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A server that starts anyway would never exit: the bound turns that into a failure, not a hang.
    const bound = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(bound);
    assert.equal(code, 1);
    assert.match(stderr, /^CONFIG_INVALID: Invalid configuration:\n/);
    assert.ok(stderr.includes('CORS_ORIGINS: "https://app.example.com/graphql" is not an origin'), stderr);
    assert.ok(stderr.includes('write "https://app.example.com"'), stderr);
    assert.ok(stderr.includes('CORS_ORIGINS: "app.example.com" is not an origin: write scheme://host[:port]'), stderr);
    assert.ok(stderr.includes('CORS_ORIGINS: "*" is not allowed'), stderr);
  });
});
