import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { databaseSnapshot, gql, onlyError, postRaw, type RawResponse } from './limits-support';

/** What reaches /graphql before GraphQL does: body size, JSON, UTF-8, CSRF prevention. */

const REGISTER = 'mutation ($input: RegisterDatasetInput!) { registerDataset(input: $input) { id name } }';
const registerInput = (fields: Record<string, unknown>) => ({
  name: 'body test',
  table: 'iris',
  keyColumns: ['sample_id'],
  featureColumns: ['petal_length'],
  ...fields,
});

/** A JSON error body in GraphQL's shape, never Express's HTML page. */
function assertJsonError(response: RawResponse, status: number, code: string, message: RegExp): void {
  assert.equal(response.status, status, response.text.slice(0, 300));
  assert.match(response.contentType, /^application\/json/);
  assert.doesNotMatch(response.text, /<html|<!DOCTYPE|<pre>/i);
  const error = onlyError(response, code, message);
  assert.equal(Object.keys(response.body!).join(), 'errors');
  assert.ok(!JSON.stringify(error).includes('stack'), 'no stack');
}

describe('HTTP requests to /graphql', () => {
  let server: TestServer;
  let snapshot: Record<string, number>;

  before(async () => {
    server = await startTestServer();
    snapshot = await databaseSnapshot(server.app.datastore);
  });
  after(async () => {
    await server?.stop();
  });

  describe('request bodies (GRAPHQL_BODY_LIMIT, default 1 MiB)', () => {
    it('a 10 MB body gets 413 with a JSON PAYLOAD_TOO_LARGE error, and nothing is written', async () => {
      const body = JSON.stringify({ query: REGISTER, variables: { input: registerInput({ name: 'too large', description: 'x'.repeat(10 * 1024 * 1024) }) } });
      const response = await postRaw(server, body);
      assertJsonError(response, 413, 'PAYLOAD_TOO_LARGE', /larger than 1,048,576 bytes \(GRAPHQL_BODY_LIMIT\); nothing was executed/);
      assert.deepEqual(response.body!.errors![0]!.extensions, { code: 'PAYLOAD_TOO_LARGE', limit: 'GRAPHQL_BODY_LIMIT', maximum: 1_048_576 });
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot, 'the database is unchanged');
    });

    it('without a Content-Length (chunked), the limit holds while the body is read', async () => {
      const chunk = Buffer.from('x'.repeat(64 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent === 0) controller.enqueue(Buffer.from(`{"query":"{ datasets { name } }","variables":{"pad":"`));
          if (sent >= 2 * 1024 * 1024) {
            controller.enqueue(Buffer.from('"}}'));
            controller.close();
            return;
          }
          controller.enqueue(chunk);
          sent += chunk.length;
        },
      });
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
        body: stream,
        duplex: 'half',
      });
      assert.equal(response.status, 413);
      assert.equal(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, 'PAYLOAD_TOO_LARGE');
    });

    it('a gzip body that inflates past the limit (a zip bomb) gets 413 too', async () => {
      const inflated = JSON.stringify({ query: '{ datasets { name } }', variables: { pad: ' '.repeat(20 * 1024 * 1024) } });
      const compressed = gzipSync(inflated);
      assert.ok(compressed.length < 100 * 1024, 'the compressed body itself is small');
      assertJsonError(await postRaw(server, compressed, { 'content-encoding': 'gzip' }), 413, 'PAYLOAD_TOO_LARGE', /GRAPHQL_BODY_LIMIT/);
    });

    it('a body under the limit with a 900 KB name reaches the service, whose own length check refuses it (BAD_USER_INPUT), briefly', async () => {
      const name = 'n'.repeat(900 * 1024);
      const response = await gql(server, REGISTER, { input: registerInput({ name }) });
      const error = onlyError(response, 'BAD_USER_INPUT', /A dataset name must have 1 to 128 characters/);
      assert.equal(error.extensions?.field, 'name');
      assert.ok(response.text.length < 2_000, `the 900 KB value is not echoed back (${response.text.length} characters)`);
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot);
    });

    it('malformed JSON gets 400 with a JSON BAD_REQUEST error', async () => {
      for (const body of ['{"query": "{ datasets { name } }"', '{query: 1}', '{"query": "{ datasets { name } }"}}', 'null']) {
        assertJsonError(await postRaw(server, body), 400, 'BAD_REQUEST', /not valid JSON/);
      }
    });

    it('invalid UTF-8 in the body gets 400 BAD_REQUEST naming the byte, and nothing is written', async () => {
      // A lone continuation byte and 0xFF where '@@' is, after multi-byte characters (so the offset is in bytes).
      const text = JSON.stringify({ query: REGISTER, variables: { input: registerInput({ name: 'żółw @@' }) } });
      const head = Buffer.from(text.slice(0, text.indexOf('@@')));
      const bad = Buffer.concat([head, Buffer.from([0x80, 0xff]), Buffer.from(text.slice(text.indexOf('@@') + 2))]);
      const at = head.length;
      const response = await postRaw(server, bad);
      assertJsonError(response, 400, 'BAD_REQUEST', new RegExp(`not valid UTF-8 \\(first invalid byte at offset ${at}\\)`));
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot);
      // Valid multi-byte UTF-8 is of course fine.
      const ok = await gql(server, '{ dataset(id: "żółw 🐢") { id } }');
      assert.deepEqual(ok.body, { data: { dataset: null } });
    });

    it('a charset other than UTF-8 gets 415 in JSON; an empty or non-GraphQL JSON body gets 400', async () => {
      assertJsonError(
        await postRaw(server, '{"query":"{ datasets { name } }"}', { 'content-type': 'application/json; charset=latin1' }),
        415,
        'BAD_REQUEST',
        /unsupported charset "LATIN1"/,
      );
      assertJsonError(await postRaw(server, '{}'), 400, 'BAD_REQUEST', /POST body missing/);
      assertJsonError(await postRaw(server, '{"query": 42}'), 400, 'BAD_REQUEST', /GraphQL queries must be strings/);
      assertJsonError(await postRaw(server, '[{"query":"{ datasets { name } }"}]'), 400, 'BAD_REQUEST', /batching/i);
      // A persisted query whose hash is not its text's: Apollo's 400 without a code, the request's own fault.
      const mismatched = JSON.stringify({ query: '{ datasets { id } }', extensions: { persistedQuery: { version: 1, sha256Hash: '00' } } });
      assertJsonError(await postRaw(server, mismatched), 400, 'BAD_REQUEST', /provided sha does not match query/);
    });

    it('duplicated variable names in an operation are refused with GRAPHQL_VALIDATION_FAILED', async () => {
      const response = await gql(server, 'query ($a: Int, $a: Int) { modelRuns(first: $a) { edges { node { id } } } }', { a: 1 });
      assert.equal(response.status, 400);
      const errors = response.body?.errors ?? [];
      assert.ok(errors.length > 0);
      assert.ok(errors.every((error) => error.extensions?.code === 'GRAPHQL_VALIDATION_FAILED'));
      assert.ok(errors.some((error) => error.message.includes('There can be only one variable named "$a"')));
    });
  });

  describe('CSRF prevention (Apollo’s, kept on)', () => {
    const csrf = /Cross-Site Request Forgery/;

    it('a GET query without apollo-require-preflight is refused with 400', async () => {
      const response = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ datasets { name } }')}`, {
        headers: { authorization: `Bearer ${server.adminKey}` },
      });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      assert.equal(body.errors[0]!.extensions.code, 'BAD_REQUEST');
      assert.match(body.errors[0]!.message, csrf);
    });

    it('a POST with a "simple" content type (text/plain, form encodings) is refused with 400', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const response = await postRaw(server, JSON.stringify({ query: '{ datasets { name } }' }), { 'content-type': type });
        assert.equal(response.status, 400, type);
        assert.match(response.body?.errors?.[0]?.message ?? '', csrf, type);
      }
    });

    it('with the preflight header a GET query answers, and a GET mutation is refused (405)', async () => {
      const headers = { authorization: `Bearer ${server.adminKey}`, 'apollo-require-preflight': 'true' };
      const query = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ datasets { name } }')}`, { headers });
      assert.equal(query.status, 200);
      assert.equal(((await query.json()) as { data: { datasets: unknown[] } }).data.datasets.length, 2);
      const mutation = await fetch(`${server.url}/graphql?query=${encodeURIComponent('mutation { deleteDataset(id: "demo-iris") { id } }')}`, { headers });
      assert.equal(mutation.status, 405);
      assert.equal(((await mutation.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, 'METHOD_NOT_ALLOWED');
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot);
    });

    it('another method on /graphql (PUT, DELETE, PATCH) is a JSON 405 METHOD_NOT_ALLOWED that names GET and POST, and nothing runs', async () => {
      for (const method of ['PUT', 'DELETE', 'PATCH']) {
        const response = await fetch(`${server.url}/graphql`, {
          method,
          headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'mutation { deleteDataset(id: "demo-iris") { id } }' }),
        });
        assert.equal(response.status, 405, method);
        assert.match(response.headers.get('allow') ?? '', /GET.*POST/, method);
        assert.equal(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, 'METHOD_NOT_ALLOWED', method);
      }
      assert.deepEqual(await databaseSnapshot(server.app.datastore), snapshot);
    });
  });
});
