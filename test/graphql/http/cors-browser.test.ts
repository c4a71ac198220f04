import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import type { Browser } from 'puppeteer-core';
import { DatasetByIdDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { launchChromium, servePage, testOutputDirectory } from '../../support/browser';

const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>frontend</title></head><body><pre id="result">…</pre></body></html>';

/** What the server answered a browser's request: seen on the API's own HTTP server. */
interface Answered {
  method: string;
  origin: string | undefined;
  status: number;
  allowOrigin: string | undefined;
}

type FetchOutcome = { ok: true; status: number; body: unknown } | { ok: false; name: string; message: string };

describe('a page on another origin calls the API from headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let allowedPage: Awaited<ReturnType<typeof servePage>>;
  let otherPage: Awaited<ReturnType<typeof servePage>>;
  const answered: Answered[] = [];

  before(async () => {
    allowedPage = await servePage(PAGE);
    otherPage = await servePage(PAGE);
    server = await startTestServer({ CORS_ORIGINS: allowedPage.origin });
    server.app.httpServer.on('request', (request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => {
      response.on('finish', () => {
        const allowOrigin = response.getHeader('access-control-allow-origin');
        answered.push({ method: request.method!, origin: request.headers.origin, status: response.statusCode, allowOrigin: allowOrigin as string | undefined });
      });
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await allowedPage?.close();
    await otherPage?.close();
  });

  /** Opens the page at `origin` and runs fetch() of DatasetById with a bearer key from it; the outcome is also written into the page. */
  async function fetchFrom(origin: string): Promise<{ outcome: FetchOutcome; page: import('puppeteer-core').Page }> {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    const outcome = await page.evaluate(
      async (url: string, key: string, query: string): Promise<FetchOutcome> => {
        let outcome: FetchOutcome;
        try {
          const response = await fetch(`${url}/graphql`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ query, variables: { id: 'demo-iris' } }),
          });
          outcome = { ok: true, status: response.status, body: await response.json() };
        } catch (error) {
          outcome = { ok: false, name: (error as Error).name, message: (error as Error).message };
        }
        // The test's lib has no DOM types: the page's document, as far as this needs it.
        const { document } = globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } };
        document.getElementById('result').textContent = JSON.stringify(outcome, null, 2);
        return outcome;
      },
      server.url,
      server.adminKey!,
      print(DatasetByIdDocument),
    );
    return { outcome, page };
  }

  it('from the origin in CORS_ORIGINS, fetch reads the dataset the API serves, after a preflight answered with that origin', async () => {
    const direct = await server.graphql(DatasetByIdDocument, { id: 'demo-iris' });
    const { outcome, page } = await fetchFrom(allowedPage.origin);
    await page.screenshot({ path: path.join(testOutputDirectory('cors'), 'allowed-origin.png') });
    await page.close();

    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.status, 200);
    assert.deepEqual(outcome.body, { data: direct.data });
    const dataset = (outcome.body as { data: { dataset: { id: string; name: string; rowCount: number; columns: { name: string }[] } } }).data.dataset;
    assert.deepEqual([dataset.id, dataset.name, dataset.rowCount], ['demo-iris', 'iris', 150]);
    assert.deepEqual(
      dataset.columns.map((column) => column.name),
      ['sample_id', 'sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'],
    );
    const fromPage = answered.filter((entry) => entry.origin === allowedPage.origin);
    assert.deepEqual(
      fromPage.map((entry) => [entry.method, entry.status, entry.allowOrigin]),
      [
        ['OPTIONS', 204, allowedPage.origin],
        ['POST', 200, allowedPage.origin],
      ],
    );
  });

  it("a simple cross-origin POST the browser sends without a preflight (no-cors, text/plain) is refused 400 by Apollo's CSRF prevention", async () => {
    const seenBefore = answered.length;
    const page = await browser.newPage();
    await page.goto(`${otherPage.origin}/`);
    const type = await page.evaluate(async (url: string) => {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        mode: 'no-cors',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: '{ datasets { id name } }' }),
      });
      return response.type;
    }, server.url);
    await page.close();

    assert.equal(type, 'opaque');
    const posts = answered.slice(seenBefore).filter((entry) => entry.origin === otherPage.origin && entry.method === 'POST');
    assert.deepEqual(
      posts.map((entry) => [entry.status, entry.allowOrigin]),
      [[400, undefined]],
    );
  });

  it('from an origin not listed, fetch fails with a TypeError: the preflight is answered without Access-Control-Allow-Origin and the POST is never sent', async () => {
    const seenBefore = answered.length;
    const { outcome, page } = await fetchFrom(otherPage.origin);
    await page.screenshot({ path: path.join(testOutputDirectory('cors'), 'refused-origin.png') });
    await page.close();

    assert.equal(outcome.ok, false);
    assert.equal((outcome as { name: string }).name, 'TypeError');
    const fromPage = answered.slice(seenBefore).filter((entry) => entry.origin === otherPage.origin);
    assert.deepEqual(
      fromPage.map((entry) => [entry.method, entry.allowOrigin]),
      [['OPTIONS', undefined]],
    );
  });
});
