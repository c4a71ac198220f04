import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DASHBOARD_ID, kibanaRunUrl } from '../../../src/telemetry/kibana-link';
import { kqlOf } from '../../support/kibana-panels';

const NDJSON_FILE = path.resolve(__dirname, '../../../../kibana/saved-objects.ndjson');

describe('kibanaRunUrl', () => {
  it("links the dashboard filtered on the run's labels.run_id as a KQL query", () => {
    const runId = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    const url = kibanaRunUrl('https://kibana.example:5601', runId);
    assert.ok(url.startsWith('https://kibana.example:5601/app/dashboards#/view/'));
    const { dashboard, language, query } = kqlOf(url);
    assert.equal(dashboard, DASHBOARD_ID);
    assert.equal(language, 'kuery');
    assert.equal(query, `labels.run_id:"${runId}"`);
    assert.match(url, /_g=\(time:\(from:now-90d,to:now\)\)/);
  });

  it("percent-encodes characters that would otherwise end the URL's query or start a second fragment", () => {
    const runId = 'run a&b=c#d+e/f';
    const url = kibanaRunUrl('http://kibana', runId);
    assert.ok(!url.slice(url.indexOf('#') + 1).includes('#'), 'no second fragment');
    const { query } = kqlOf(url);
    assert.equal(query, `labels.run_id:"${runId}"`);
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
