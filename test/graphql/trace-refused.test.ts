/**
 * Refused or anonymous GraphQL requests do not grow the trace: anyone can send them as fast as they
 * like (each one used to add about 550 bytes to the trace files, never removed). They are counted in
 * /metrics by code and only sampled into the trace (TRACE_REFUSED_SAMPLE_RATE, here 0); requests of
 * authenticated callers are traced as before.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatasetNamesDocument } from '../generated/graphql';
import { metricValue, startTestServer, type TestServer } from '../support/app-harness';
import { pollUntil } from '../support/runs';
import { ANONYMOUS, bearer, post } from './auth/auth-support';

const DEEP_11 = '{ modelRuns { edges { node { dataset { runs { edges { node { dataset { latestRun { dataset { id } } } } } } } } } } }';

/** A line of the trace files: every document has an event action; only graphql-operation ones have the operation. */
interface TraceDocument {
  readonly event?: { readonly action?: string };
}
interface OperationDocument extends TraceDocument {
  readonly aimodel: { readonly graphql: { readonly operation_name: string; readonly error_codes: string[] } };
}

const isOperation = (document: TraceDocument): document is OperationDocument => document.event?.action === 'graphql-operation';

/** Every graphql-operation document in the daily trace files. */
async function operationDocuments(traceDir: string): Promise<OperationDocument[]> {
  const names = (await readdir(traceDir).catch(() => [] as string[])).filter((name) => /^trace-.*\.ndjson$/.test(name));
  const lines = (await Promise.all(names.map((name) => readFile(path.join(traceDir, name), 'utf8')))).flatMap((text) => text.split('\n').filter(Boolean));
  return lines.map((line) => JSON.parse(line) as TraceDocument).filter(isOperation);
}

describe('refused and anonymous requests with TRACE_REFUSED_SAMPLE_RATE=0 (production-like: AUTH_ANONYMOUS=none)', () => {
  let server: TestServer;
  let traceDir: string;

  before(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-trace-refused-'));
    traceDir = path.join(dataDir, 'trace');
    server = await startTestServer({ DATA_DIR: dataDir, AUTH_ANONYMOUS: 'none', TRACE_REFUSED_SAMPLE_RATE: '0', TRACE_FLUSH_MS: '20' });
  });
  after(async () => {
    await server?.stop();
  });

  it('60 anonymous, 5 bad-key and 3 too-deep requests leave no trace document and are counted by code; an authenticated request is traced', async () => {
    for (let request = 0; request < 60; request++) {
      const answer = await post(server, DatasetNamesDocument, {}, ANONYMOUS);
      assert.equal(answer.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    }
    for (let request = 0; request < 5; request++) assert.equal((await post(server, DatasetNamesDocument, {}, bearer('aim_not_a_key'))).status, 401);
    for (let request = 0; request < 3; request++) {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(server.adminKey!) },
        body: JSON.stringify({ query: DEEP_11 }),
      });
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      assert.equal(body.errors?.[0]?.extensions?.code, 'QUERY_TOO_DEEP');
    }
    const served = await post(server, DatasetNamesDocument, {}, bearer(server.adminKey!));
    assert.equal(served.body.errors, undefined);

    // The authenticated request's document is written after every refused one was answered.
    const documents = await pollUntil(
      () => operationDocuments(traceDir),
      (found) => found.length >= 1,
      'the authenticated request traced',
    );
    assert.deepEqual(
      documents.map((document) => [document.aimodel.graphql.operation_name, document.aimodel.graphql.error_codes]),
      [['DatasetNames', []]],
      'only the authenticated request is in the trace',
    );

    const metrics = await (await server.get('/metrics')).text();
    const refused = (code: string) => metricValue(metrics, 'graphql_refused_or_anonymous_requests_total', { code });
    assert.equal(refused('UNAUTHENTICATED'), 65);
    assert.equal(refused('QUERY_TOO_DEEP'), 3);
    assert.equal(refused('ANONYMOUS'), 0, 'refused anonymous requests count under their refusal');
  });
});
