import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app-harness';

/**
 * Every answer of /graphql holds the caller's data or says why not: none may be kept by a browser or
 * a proxy cache. Each says `cache-control: no-store`, whether it succeeds, fails, or never reaches
 * GraphQL (bad credentials, a body too large); none carries an ETag (a hash of the answer no cache
 * may keep) or says what serves it.
 */
describe('/graphql answers are never cached', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ GRAPHQL_BODY_LIMIT: '2kb' });
  });
  after(() => server.stop());

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}`, ...headers },
      body,
    });

  it('a query answered with data, by POST and by GET', async () => {
    const posted = await post(JSON.stringify({ query: '{ datasets { name } }' }));
    assert.equal(posted.status, 200);
    assert.ok(((await posted.json()) as { data?: { datasets?: unknown[] } }).data?.datasets?.length);
    assert.equal(posted.headers.get('cache-control'), 'no-store');
    const got = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ datasets { name } }')}`, {
      headers: { authorization: `Bearer ${server.adminKey}`, 'apollo-require-preflight': 'true' },
    });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('cache-control'), 'no-store');
    for (const answer of [posted, got]) {
      assert.equal(answer.headers.get('etag'), null);
      assert.equal(answer.headers.get('x-powered-by'), null);
    }
  });

  it('a query that fails to parse, one with bad credentials, and a body over the limit', async () => {
    const unparsable = await post(JSON.stringify({ query: '{ datasets {' }));
    assert.equal(unparsable.status, 400);
    assert.equal(unparsable.headers.get('cache-control'), 'no-store');
    const refused = await post(JSON.stringify({ query: '{ datasets { name } }' }), { authorization: 'Bearer aim_not-a-key' });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('cache-control'), 'no-store');
    const tooLarge = await post(JSON.stringify({ query: `{ datasets { name } } # ${'x'.repeat(4096)}` }));
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.headers.get('cache-control'), 'no-store');
  });
});
