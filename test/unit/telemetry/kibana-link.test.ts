import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DASHBOARD_ID, kibanaRunUrl } from '../../../src/telemetry/kibana-link';

const NDJSON_FILE = path.resolve(__dirname, '../../../../kibana/saved-objects.ndjson');

/** The KQL query of the dashboard link's app state (`_a=(query:(language:kuery,query:'…'))`). */
function kqlOf(url: string): { dashboard: string; query: string; language: string } {
  const { hash } = new URL(url);
  const match = /^#\/view\/([^?]+)\?(.*)$/.exec(hash);
  assert.ok(match, `a dashboard view link: ${hash}`);
  const appState = new URLSearchParams(match[2]!.replace(/\+/g, '%2B')).get('_a');
  assert.ok(appState, 'the link has app state');
  const query = /^\(query:\(language:(\w+),query:'([^']*)'\)\)$/.exec(appState);
  assert.ok(query, `app state holds a query: ${appState}`);
  return { dashboard: match[1]!, language: query[1]!, query: query[2]! };
}

describe('kibanaRunUrl', () => {
  it("links the dashboard filtered on the run's trace.id as a KQL query", () => {
    const runId = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    const url = kibanaRunUrl('https://kibana.example:5601', runId);
    assert.ok(url.startsWith('https://kibana.example:5601/app/dashboards#/view/'));
    const { dashboard, language, query } = kqlOf(url);
    assert.equal(dashboard, DASHBOARD_ID);
    assert.equal(language, 'kuery');
    assert.equal(query, `trace.id:"${runId}"`);
    assert.match(url, /_g=\(time:\(from:now-90d,to:now\)\)/);
  });

  it("percent-encodes characters that would otherwise end the URL's query or start a second fragment", () => {
    const runId = 'run a&b=c#d+e/f';
    const url = kibanaRunUrl('http://kibana', runId);
    assert.ok(!url.slice(url.indexOf('#') + 1).includes('#'), 'no second fragment');
    const { query } = kqlOf(url);
    assert.equal(query, `trace.id:"${runId}"`);
  });

  it('the dashboard id is the id of the dashboard object in kibana/saved-objects.ndjson', () => {
    const dashboards = readFileSync(NDJSON_FILE, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { type: string; id: string })
      .filter((object) => object.type === 'dashboard');
    assert.deepEqual(
      dashboards.map((object) => object.id),
      [DASHBOARD_ID],
    );
  });
});
