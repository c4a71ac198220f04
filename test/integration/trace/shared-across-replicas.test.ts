/**
 * Two servers on one PostgreSQL database: with the trace in the search engine, `ModelRun.trace` reads the
 * same documents on either server, whichever executed the run. With the file sink, the trace stays on
 * the server that executed it (docs/deployment.md says so): the other server reads an empty trace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import type { ResultOf } from '@graphql-typed-document-node/core';
import type { FormattedExecutionResult } from 'graphql';
import { setupElasticsearch } from '../../../src/telemetry/setup';
import { RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { createNoiseTable, dataOf, registerInput, startInput, waitForRun } from '../../support/runs';
import { searchEngineUrl } from '../../support/search-engine';
import {
  engineClient,
  pollUntil,
  removeTraceTargets,
  setUpTargets,
  traceEnv,
  traceOptionsFor,
  TraceRunTrace,
  traceTargets,
  type TraceEventNode,
} from '../../support/trace-engine';

type TraceResult = FormattedExecutionResult<ResultOf<typeof TraceRunTrace>>;

const RUN = { k: 3, nInit: 2, maxIterations: 50, seed: 11 } as const;

/** Every document of the run's trace as `server` serves it, oldest first. */
async function traceOn(server: TestServer, id: string): Promise<TraceEventNode[]> {
  const nodes: TraceEventNode[] = [];
  let cursor: string | null = null;
  for (;;) {
    const result: TraceResult = await server.graphql(TraceRunTrace, { id, actions: null, first: 100, after: cursor });
    const { edges, pageInfo } = dataOf(result, 'trace').modelRun!.trace;
    nodes.push(...edges.map((edge) => edge.node));
    if (!pageInfo.hasNextPage) return nodes;
    cursor = pageInfo.endCursor;
  }
}

async function twoServers(schema: PostgresqlSchema, envOf: (replica: number) => Record<string, string>): Promise<[TestServer, TestServer]> {
  const base = { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, RUN_CONCURRENCY: '1' };
  const a = await startTestServer({ ...base, ...envOf(0) });
  const b = await startTestServer({ ...base, ...envOf(1) });
  return [a, b];
}

async function runToEnd(server: TestServer, table: string, features: string[]): Promise<string> {
  const datasetId = dataOf(
    await server.graphql(RegisterDatasetDocument, { input: registerInput({ name: `${table} set`, table, keyColumns: ['id'], featureColumns: features }) }),
    'register',
  ).registerDataset.id;
  const id = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...RUN }) }), 'start').startModelRun.id;
  assert.equal((await waitForRun(server, id)).status, 'SUCCEEDED');
  return id;
}

describe('ModelRun.trace across two servers on one database', () => {
  const servers: TestServer[] = [];
  const schemas: PostgresqlSchema[] = [];
  const targets = traceTargets('replicas');
  let client: Client;

  before(async () => {
    client = await engineClient();
  });
  after(async () => {
    for (const server of servers) await server.stop();
    for (const schema of schemas) await schema.drop();
    await removeTraceTargets(client, targets);
  });

  it('with the search engine: both servers read the same documents of a run, ending with run-succeeded', async () => {
    const url = await searchEngineUrl();
    await setUpTargets(client, targets, () => setupElasticsearch(client, traceOptionsFor(url, targets)).then(() => undefined), { createStream: true });
    const schema = await createPostgresqlSchema('trace_replicas_es');
    schemas.push(schema);
    const features = await createNoiseTable(schema.datastore, 'tr_es_noise', 400, 3, 5);
    // One trace folder per server, as on two machines: only the search engine is shared.
    const [a, b] = await twoServers(schema, () =>
      traceEnv(url, { ...targets, traceDir: mkdtempSync(path.join(tmpdir(), 'aimodel-trace-replica-')) }, { ELASTICSEARCH_SETUP: 'false' }),
    );
    servers.push(a, b);
    const id = await runToEnd(a, 'tr_es_noise', features);

    const onA = await pollUntil(
      () => traceOn(a, id),
      (nodes) => nodes.some((node) => node.action === 'RUN_SUCCEEDED'),
      'the run-succeeded document in the search engine',
    );
    const onB = await traceOn(b, id);
    assert.ok(onA.some((node) => node.action === 'RUN_CLAIMED') && onA.some((node) => node.action === 'RUN_STARTED'));
    assert.deepEqual(onB, onA);
  });

  it('with the file sink: the trace is on the server that executed the run only, the other reads it empty', async () => {
    const schema = await createPostgresqlSchema('trace_replicas_file');
    schemas.push(schema);
    const features = await createNoiseTable(schema.datastore, 'tr_file_noise', 400, 3, 5);
    const [a, b] = await twoServers(schema, () => ({ TRACE_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-trace-file-')), TRACE_FLUSH_MS: '200' }));
    servers.push(a, b);
    const id = await runToEnd(a, 'tr_file_noise', features);

    const traces = await pollUntil(
      () => Promise.all([traceOn(a, id), traceOn(b, id)]),
      (both) => both.some((nodes) => nodes.some((node) => node.action === 'RUN_SUCCEEDED')),
      'the run-succeeded document in a trace file',
    );
    const [executing, other] = traces[0].length > 0 ? traces : [traces[1], traces[0]];
    assert.ok(executing.some((node) => node.action === 'RUN_STARTED'));
    assert.deepEqual(other, []);
  });
});
