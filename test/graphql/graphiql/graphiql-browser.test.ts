import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { launchChromium, testOutputDirectory } from '../../support/browser';
import { createKey } from '../auth/auth-support';
import { StartModelRunDocument } from '../../generated/graphql';
import { dataOf, startInput, waitForRun } from '../../support/runs';

/** What a page did while the network was cut: requests it tried beyond the server, and CSP refusals. */
interface Offline {
  readonly page: Page;
  readonly outside: string[];
  readonly cspViolations: string[];
}

const QUERY = '{ datasets { name rowCount } }';

describe('GraphiQL in headless Chromium with no network beyond the server', () => {
  let server: TestServer;
  let browser: Browser;
  let viewerKey: string;

  before(async () => {
    // No anonymous access: a query runs only with a key from the Headers editor.
    server = await startTestServer({ AUTH_ANONYMOUS: 'none' });
    viewerKey = (await createKey(server, 'graphiql browser viewer', 'VIEWER')).key;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A page whose every request to anywhere but the server's origin is aborted and recorded, as if offline. */
  async function offlinePage(): Promise<Offline> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    const outside: string[] = [];
    const cspViolations: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      const url = request.url();
      if (url.startsWith(`${server.url}/`) || url.startsWith('data:')) {
        void request.continue();
      } else {
        outside.push(url);
        void request.abort('internetdisconnected');
      }
    });
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
    });
    return { page, outside, cspViolations };
  }

  async function postAsAdmin(query: string): Promise<unknown> {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey!}` },
      body: JSON.stringify({ query }),
    });
    return response.json();
  }

  /** Replaces the text of the CodeMirror editor in `container` by typing, as a person would. */
  async function typeInto(page: Page, container: string, text: string): Promise<void> {
    await page.click(`${container} .CodeMirror`);
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(text);
  }

  /** Runs the query editor's operation and reads the result pane's text once it has one. */
  async function runAndReadResult(page: Page): Promise<unknown> {
    await page.click('.graphiql-execute-button');
    const handle = await page.waitForFunction(
      () => {
        const { document } = globalThis as unknown as { document: { querySelector(selector: string): { CodeMirror?: { getValue(): string } } | null } };
        const text = document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '';
        return text.trim().startsWith('{') ? text : false;
      },
      { timeout: 15_000 },
    );
    return JSON.parse((await handle.jsonValue()) as string) as unknown;
  }

  it('the page loads from the server alone, and a typed query with an API key in the Headers editor returns the datasets the API serves', async () => {
    const { page, outside, cspViolations } = await offlinePage();
    await page.goto(`${server.url}/graphiql`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');

    await page.click('.graphiql-editor-tools button[data-name="headers"]');
    // The closing brace comes from the editor's bracket pairing, as it would for a person typing.
    await typeInto(page, '.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden)', `{"Authorization": "Bearer ${viewerKey}"`);
    await typeInto(page, '.graphiql-query-editor', QUERY);
    const result = await runAndReadResult(page);
    await page.screenshot({ path: path.join(testOutputDirectory('graphiql'), 'offline-query.png') });
    // A dialog too (Radix UI adds a <style> element for it), so the CSP is tried beyond the first paint.
    await page.click('button[aria-label="Open short keys dialog"]');
    await page.waitForSelector('[role="dialog"]');
    await page.keyboard.press('Escape');
    await page.close();

    assert.deepEqual(result, await postAsAdmin(QUERY));
    assert.deepEqual(
      (result as { data: { datasets: { name: string }[] } }).data.datasets.map((dataset) => dataset.name),
      ['iris', 'station_readings'],
    );
    assert.equal((result as { data: { datasets: { rowCount: number }[] } }).data.datasets[0]!.rowCount, 150);
    assert.deepEqual(outside, [], 'no request left the server');
    assert.deepEqual(cspViolations, [], 'nothing the page does is refused by its Content-Security-Policy');
  });

  it('without a key in the Headers editor, the same query is refused UNAUTHENTICATED: the key really comes from the editor', async () => {
    const { page, outside } = await offlinePage();
    await page.goto(`${server.url}/graphiql`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    await typeInto(page, '.graphiql-query-editor', QUERY);
    const result = (await runAndReadResult(page)) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    await page.close();

    assert.equal(result.data ?? null, null, JSON.stringify(result));
    assert.deepEqual(
      result.errors?.map((error) => error.extensions?.code),
      ['UNAUTHENTICATED'],
      JSON.stringify(result),
    );
    assert.deepEqual(outside, []);
  });

  it('offline, the landing page at /graphql still shows its bar; its GraphiQL link opens the IDE, which loads from the server alone', async () => {
    const { page, outside } = await offlinePage();
    await page.goto(`${server.url}/graphql`, { waitUntil: 'networkidle0' });
    const bar = await page.$eval('#graphiql-bar', (element) => (element as unknown as { innerText: string }).innerText);
    await page.screenshot({ path: path.join(testOutputDirectory('graphiql'), 'offline-landing-page.png') });
    const sandboxAttempts = [...outside];
    outside.length = 0;
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('#graphiql-bar a')]);
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    const landedAt = new URL(page.url()).pathname;
    await page.close();

    assert.match(bar, /Open GraphiQL, served by this server/);
    // Sandbox itself needs Apollo's CDN: its script was tried and cut off, and the bar stays usable.
    assert.ok(
      sandboxAttempts.some((url) => url.startsWith('https://embeddable-sandbox.cdn.apollographql.com/')),
      JSON.stringify(sandboxAttempts),
    );
    assert.equal(landedAt, '/graphiql');
    assert.deepEqual(outside, [], 'GraphiQL asked nothing beyond the server');
  });

  it('a subscription runs over graphql-ws on /graphql with the key from the Headers editor (as X-API-Key): the finished run comes back', async () => {
    const started = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 3, seed: 11 }) }), 'startModelRun');
    await waitForRun(server, started.startModelRun.id);
    const { page, outside, cspViolations } = await offlinePage();
    await page.goto(`${server.url}/graphiql`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    await page.click('.graphiql-editor-tools button[data-name="headers"]');
    await typeInto(page, '.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden)', `{"X-API-Key": "${viewerKey}"`);
    await typeInto(page, '.graphiql-query-editor', `subscription WatchRun { modelRunUpdated(id: "${started.startModelRun.id}") { id status params { k seed`);
    // GraphiQL parses the editor's text 100 ms after the last keystroke, and its fetcher picks the socket
    // from that parse: run before it, the operation would still look like the query typed before.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const result = await runAndReadResult(page);
    await page.close();

    // Subscriptions over HTTP are refused (subscriptionsOverHttpRefused): data here came over the socket.
    assert.deepEqual(result, { data: { modelRunUpdated: { id: started.startModelRun.id, status: 'SUCCEEDED', params: { k: 3, seed: 11 } } } });
    assert.deepEqual(outside, []);
    assert.deepEqual(cspViolations, [], "connect-src 'self' lets the page open its socket to the server");
  });
});
