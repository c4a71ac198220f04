import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app-harness';

const NODE_MODULES = path.resolve(__dirname, '../../../../node_modules');
const YEAR_CACHE = 'public, max-age=31536000, immutable';

/** Every src= and href= of an HTML page. */
function referencedUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);
}

describe('GET /graphiql and its assets over HTTP', () => {
  let server: TestServer;
  let page: Response;
  let html: string;

  before(async () => {
    server = await startTestServer();
    page = await server.get('/graphiql');
    html = await page.text();
  });
  after(async () => {
    await server?.stop();
  });

  it('the page is HTML under a CSP of only this server, with its script in a file: no inline script, no external URL', () => {
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(
      page.headers.get('content-security-policy'),
      "default-src 'none'; script-src 'self'; style-src 'self'; style-src-elem 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, 'every script has a src and no body');
    assert.doesNotMatch(html, /https?:\/\//);
    const urls = referencedUrls(html);
    assert.deepEqual(
      urls.filter((url) => !url.startsWith('/graphiql/assets/')),
      ['data:,'],
      'besides the empty icon, only served assets',
    );
    assert.deepEqual(
      urls.filter((url) => url.startsWith('/graphiql/assets/') && !url.startsWith('/graphiql/assets/page@')),
      [
        '/graphiql/assets/graphiql@4.1.2/graphiql.min.css',
        '/graphiql/assets/react@18.3.1/umd/react.production.min.js',
        '/graphiql/assets/react-dom@18.3.1/umd/react-dom.production.min.js',
        '/graphiql/assets/graphiql@4.1.2/graphiql.min.js',
      ],
    );
  });

  it("each package file is served byte for byte from node_modules, with its content type and a year's cache", async () => {
    const expected: [string, string, string][] = [
      ['/graphiql/assets/graphiql@4.1.2/graphiql.min.js', 'graphiql/graphiql.min.js', 'text/javascript; charset=utf-8'],
      ['/graphiql/assets/graphiql@4.1.2/graphiql.min.css', 'graphiql/graphiql.min.css', 'text/css; charset=utf-8'],
      ['/graphiql/assets/react@18.3.1/umd/react.production.min.js', 'react/umd/react.production.min.js', 'text/javascript; charset=utf-8'],
      ['/graphiql/assets/react-dom@18.3.1/umd/react-dom.production.min.js', 'react-dom/umd/react-dom.production.min.js', 'text/javascript; charset=utf-8'],
    ];
    for (const [url, file, type] of expected) {
      const response = await server.get(url);
      assert.equal(response.status, 200, url);
      assert.equal(response.headers.get('content-type'), type, url);
      assert.equal(response.headers.get('cache-control'), YEAR_CACHE, url);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', url);
      assert.ok(Buffer.from(await response.arrayBuffer()).equals(readFileSync(path.join(NODE_MODULES, file))), `${url} is ${file}`);
    }
  });

  it("the page's own script and styles come from static/graphiql/, versioned by content, and the script points GraphiQL at /graphql", async () => {
    const own = referencedUrls(html).filter((url) => url.startsWith('/graphiql/assets/page@'));
    assert.deepEqual(
      own.map((url) => url.replace(/page@[0-9a-f]{12}\//, 'page@<hash>/')),
      ['/graphiql/assets/page@<hash>/graphiql-page.css', '/graphiql/assets/page@<hash>/graphiql-page.js'],
    );
    const script = await server.get(own[1]!);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(script.headers.get('cache-control'), YEAR_CACHE);
    const text = await script.text();
    assert.equal(text, readFileSync(path.resolve(__dirname, '../../../../static/graphiql/graphiql-page.js'), 'utf8'));
    assert.match(text, /new URL\('\/graphql', window\.location\.href\)/);
    assert.match(text, /subscriptionUrl: socket\.href/);
    const styles = await server.get(own[0]!);
    assert.equal(styles.headers.get('content-type'), 'text/css; charset=utf-8');
  });

  it('nothing else of node_modules is reachable: other files, source maps, versions and directories get the JSON 404', async () => {
    for (const url of [
      '/graphiql/assets/graphiql@4.1.2/package.json',
      '/graphiql/assets/graphiql@4.1.2/graphiql.min.js.map',
      '/graphiql/assets/graphiql@4.1.2/',
      '/graphiql/assets/graphiql@4.1.1/graphiql.min.js',
      '/graphiql/assets/react@18.3.1/umd/react.development.js',
      '/graphiql/assets/react@18.3.1/umd/..%2f..%2fpackage.json',
      '/graphiql/assets/',
    ]) {
      const response = await server.get(url);
      assert.equal(response.status, 404, url);
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      assert.equal(body.errors[0]!.extensions.code, 'NOT_FOUND', url);
    }
  });

  it('POST /graphiql is 405 with Allow: GET, HEAD', async () => {
    const response = await fetch(`${server.url}/graphiql`, { method: 'POST' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, HEAD');
  });

  it("a browser's GET /graphql gets Apollo's landing page with a link to /graphiql above Sandbox, styled under the page's own nonce", async () => {
    const response = await server.get('/graphql', { accept: 'text/html' });
    assert.equal(response.status, 200);
    const landing = await response.text();
    assert.match(landing, /<nav id="graphiql-bar">No internet\? Open <a href="\/graphiql">GraphiQL<\/a>, served by this server\./);
    assert.match(landing, /embeddable-sandbox\.cdn\.apollographql\.com/, 'Sandbox is still offered');
    const nonces = new Set([...landing.matchAll(/nonce="?([0-9a-f]+)/g)].map((match) => match[1]));
    assert.equal(nonces.size, 1, 'the bar uses the nonce of the page it joins');
    assert.ok(landing.indexOf('graphiql-bar') < landing.indexOf('embeddableSandbox'), 'the bar comes first');
  });
});

describe('GET /graphiql with introspection off', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ GRAPHQL_INTROSPECTION: 'false' });
  });
  after(async () => {
    await server?.stop();
  });

  it('is an unknown route: the JSON 404, and no asset is served either', async () => {
    for (const url of ['/graphiql', '/graphiql/assets/graphiql@4.1.2/graphiql.min.js']) {
      const response = await server.get(url);
      assert.equal(response.status, 404, url);
      assert.deepEqual(await response.json(), { errors: [{ message: `No route GET ${url}`, extensions: { code: 'NOT_FOUND' } }] });
    }
  });

  it("a browser's GET /graphql gets no landing page and so no link", async () => {
    const response = await server.get('/graphql', { accept: 'text/html' });
    assert.doesNotMatch(await response.text(), /graphiql/i);
  });
});
