import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { ModelRunResultDocument, RegisterDatasetDocument, RunReportUrlDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { HOSTILE_KEYS, HOSTILE_NAME } from '../../support/hostile-text';
import { createTable, dataOf, registerInput, runRecord, startInput, waitForRun } from '../../support/runs';
import { ANONYMOUS, assertUnauthenticated, bearer, createKey, datasetId, post } from '../auth/auth-support';

/** The JSON error a route answered with, and its status. */
async function jsonError(response: Response): Promise<{ status: number; code: unknown; field: unknown; message: unknown }> {
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await response.json()) as { errors: { message: string; extensions: { code: string; field?: string } }[] };
  assert.equal(body.errors.length, 1, JSON.stringify(body));
  const [error] = body.errors;
  return { status: response.status, code: error!.extensions.code, field: error!.extensions.field, message: error!.message };
}

/**
 * GET /runs/:id over real HTTP on the embedded default (SQLite over ODBC), with anonymous access off
 * (AUTH_ANONYMOUS=none): the credentials /graphql takes, JSON errors for unknown ids and bad
 * parameters, a page for a run that has not finished, and data shown as text, never as markup.
 */
describe('the run report page over HTTP (AUTH_ANONYMOUS=none)', () => {
  let server: TestServer;
  let runId: string;
  let viewerKey: string;
  let admin: Record<string, string>;

  before(async () => {
    server = await startTestServer({ AUTH_ANONYMOUS: 'none' });
    admin = bearer(server.adminKey!);
    viewerKey = (await createKey(server, 'report viewer', 'VIEWER')).key;
    const iris = await datasetId(server, 'iris');
    const input = startInput({ datasetId: iris, kRange: { min: 2, max: 4 }, nInit: 2, seed: 11, publishOutcomes: false });
    runId = dataOf(await server.graphql(StartModelRunDocument, { input }), 'start').startModelRun.id;
    assert.equal((await waitForRun(server, runId)).status, 'SUCCEEDED');
  });
  after(async () => {
    await server?.stop();
  });

  it('ModelRun.reportUrl is /runs/<id>, and a viewer key there gets an HTML page of the run with a policy that lets no script run', async () => {
    const { modelRun } = dataOf(await server.graphql(RunReportUrlDocument, { id: runId }, bearer(viewerKey)), 'reportUrl');
    assert.equal(modelRun?.reportUrl, `/runs/${runId}`);

    const response = await server.get(modelRun.reportUrl, { 'x-api-key': viewerKey });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.doesNotMatch(response.headers.get('content-security-policy') ?? '', /script-src/);
    const html = await response.text();
    assert.match(html, new RegExp(`<code id="run-id">${runId}</code>`));
    assert.match(html, /<h1 id="dataset-name">Run report: iris<\/h1>/);
    for (const chart of ['score-per-k', 'iteration-inertia', 'cluster-sizes', 'centroids', 'sample-points']) {
      assert.match(html, new RegExp(`<figure id="chart-${chart}"[^>]*><svg `), `chart ${chart} is inline SVG`);
    }
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/)/i, 'no script and nothing loaded from elsewhere');
  });

  it('no credentials, an unknown API key and a malformed Authorization header get the JSON 401 UNAUTHENTICATED /graphql gives', async () => {
    for (const [what, headers] of [
      ['no credentials', ANONYMOUS],
      ['an unknown API key', { 'x-api-key': 'aim_unknown_key_000000000000' }],
      ['Authorization: Basic', { authorization: 'Basic eHl6' }],
    ] as const) {
      const response = await server.get(`/runs/${runId}`, headers);
      const body = (await response.json()) as never;
      assertUnauthenticated({ status: response.status, body }, `page, ${what}`);
    }
    // The same key refused by /graphql, for comparison.
    assertUnauthenticated(await post(server, RunReportUrlDocument, { id: runId }, { 'x-api-key': 'aim_unknown_key_000000000000' }), 'graphql');
  });

  it('an unknown run id (a UUID no run has) and a malformed id both get JSON 404 NOT_FOUND', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-run-id', "1' OR '1'='1", '%E2%98%83']) {
      const error = await jsonError(await server.get(`/runs/${id}`, admin));
      assert.deepEqual([error.status, error.code, error.field], [404, 'NOT_FOUND', 'id'], `id ${id}: ${String(error.message)}`);
    }
  });

  it("x not among the run's features, x without y, a repeated x and a sample out of range get JSON 400 BAD_USER_INPUT naming the parameter", async () => {
    const cases: [string, string][] = [
      ['?x=no_such_feature&y=petal_width', 'x'],
      ['?x=petal_width&y=%3Cscript%3E', 'y'],
      ['?x=petal_width', 'y'],
      ['?y=petal_width', 'x'],
      ['?x=petal_width&x=sepal_width&y=petal_length', 'x'],
      ['?sample=0', 'sample'],
      ['?sample=5001', 'sample'],
      ['?sample=12abc', 'sample'],
    ];
    for (const [query, field] of cases) {
      const error = await jsonError(await server.get(`/runs/${runId}${query}`, admin));
      assert.deepEqual([error.status, error.code, error.field], [400, 'BAD_USER_INPUT', field], `${query}: ${String(error.message)}`);
    }
  });

  it('another method on /runs/:id gets JSON 405 METHOD_NOT_ALLOWED with Allow: GET, HEAD', async () => {
    const response = await fetch(`${server.url}/runs/${runId}`, { method: 'POST', headers: admin });
    assert.equal(response.headers.get('allow'), 'GET, HEAD');
    const error = await jsonError(response);
    assert.deepEqual([error.status, error.code], [405, 'METHOD_NOT_ALLOWED']);
  });

  it('a run still RUNNING gets a page saying it has not finished, with its progress and the iterations recorded so far, and no sample', async () => {
    const running = runRecord('demo-iris', {
      status: 'RUNNING',
      startedAt: new Date(),
      owner: 'another-live-server',
      progress: { iteration: 7, maxIterations: 600, fraction: 7 / 600, lastShift: 0.5 },
      iterations: [1, 2, 3].map((iteration) => ({
        k: 2,
        restart: 0,
        iteration,
        centroidShift: 1 / iteration,
        inertia: 300 - iteration,
        clusterSizes: [75, 75],
      })),
    });
    await new RunRepository(server.app.datastore).insert(running);

    const response = await server.get(`/runs/${running.id}`, admin);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /<strong id="run-status">RUNNING<\/strong>/);
    assert.match(html, /id="status-notice">This run has not finished: it is RUNNING, iteration 7 of at most 600 \(1\.2%\)/);
    assert.match(html, /<figure id="chart-iteration-inertia"/, 'the iterations so far are drawn');
    for (const chart of ['score-per-k', 'cluster-sizes', 'centroids', 'sample-points']) {
      assert.match(html, new RegExp(`<section id="chart-${chart}" class="chart-missing">`), `${chart} says it is not there yet`);
    }
  });

  it('a hostile dataset name and hostile key values show as escaped text: the page holds no markup of theirs', async () => {
    await createTable(
      server.app.datastore,
      {
        name: 'report_hostile',
        columns: [
          { name: 'label', type: 'string', length: 64, nullable: false },
          { name: 'f1', type: 'double' },
          { name: 'f2', type: 'double' },
        ],
        primaryKey: ['label'],
      },
      HOSTILE_KEYS.map((label, index) => ({ label, f1: index, f2: index % 2 === 0 ? 0 : 10 })),
    );
    const registered = await server.graphql(RegisterDatasetDocument, {
      input: registerInput({ name: HOSTILE_NAME, table: 'report_hostile', keyColumns: ['label'], featureColumns: ['f1', 'f2'] }),
    });
    const hostileId = dataOf(registered, 'register').registerDataset.id;
    const started = await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: hostileId, k: 2, seed: 3, publishOutcomes: false }) });
    const id = dataOf(started, 'start hostile').startModelRun.id;
    assert.equal((await waitForRun(server, id)).status, 'SUCCEEDED');
    const result = dataOf(await server.graphql(ModelRunResultDocument, { id }), 'result').modelRun!;
    assert.equal(result.dataset?.name, HOSTILE_NAME);

    const html = await (await server.get(`/runs/${id}`, admin)).text();
    assert.doesNotMatch(html, /<script|<img|<svg onload|<b>|<!-- -->/i, "no tag of the data's: each < of it is &lt;");
    assert.ok(html.includes('Run report: &lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; ☃ “quotes” &amp; &#39;apostrophes&#39;'), 'the name, escaped');
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;: cluster'), 'a key, escaped inside the SVG');
  });
});
