import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatasetByIdDocument, DatasetNamesDocument, DatasetsDocument } from '../generated/graphql';
import { metricValue, startTestServer, type TestServer } from '../support/app-harness';

describe('the embedded default (SQLite through ODBC, no configuration)', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('answers { datasets { name rowCount } } with iris (150) and station_readings (20,000)', async () => {
    const result = await server.graphql(DatasetNamesDocument);
    assert.equal(result.errors, undefined);
    assert.deepEqual(result.data?.datasets, [
      { name: 'iris', rowCount: 150 },
      { name: 'station_readings', rowCount: 20_000 },
    ]);
  });

  it('describes each dataset’s columns from the database catalog', async () => {
    const result = await server.graphql(DatasetsDocument);
    const iris = result.data?.datasets.find((dataset) => dataset.name === 'iris');
    assert.ok(iris);
    assert.deepEqual(iris.keyColumns, ['sample_id']);
    assert.deepEqual(iris.featureColumns, ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    assert.deepEqual(
      iris.columns?.map((column) => [column.name, column.type, column.nullable]),
      [
        ['sample_id', 'INTEGER', false],
        ['sepal_length', 'DOUBLE', false],
        ['sepal_width', 'DOUBLE', false],
        ['petal_length', 'DOUBLE', false],
        ['petal_width', 'DOUBLE', false],
        ['species', 'VARCHAR(32)', false],
      ],
    );
    const readings = result.data?.datasets.find((dataset) => dataset.name === 'station_readings');
    assert.deepEqual(readings?.keyColumns, ['station_id', 'measured_at']);
    assert.equal(readings?.columns?.length, 8);
    assert.match(readings?.createdAt ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('reads the columns of every dataset in one catalog statement (DataLoader batching)', async () => {
    const before = metricValue(await (await server.get('/metrics')).text(), 'db_statements_total', { kind: 'catalog' });
    const result = await server.graphql(DatasetsDocument);
    assert.equal(result.data?.datasets.length, 2);
    const afterwards = metricValue(await (await server.get('/metrics')).text(), 'db_statements_total', { kind: 'catalog' });
    assert.equal(afterwards - before, 1);
  });

  it('dataset(id) finds a dataset, and answers null for an id no dataset has', async () => {
    const found = await server.graphql(DatasetByIdDocument, { id: 'demo-iris' });
    assert.equal(found.data?.dataset?.name, 'iris');
    assert.equal(found.data?.dataset?.rowCount, 150);
    const missing = await server.graphql(DatasetByIdDocument, { id: "nope'; DROP TABLE ai_dataset; --" });
    assert.equal(missing.errors, undefined);
    assert.equal(missing.data?.dataset, null);
  });

  it('GET /healthz says the process is alive', async () => {
    const response = await server.get('/healthz');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('GET /readyz reports the database reachable and the pool state to an admin', async () => {
    const response = await server.get('/readyz', { authorization: `Bearer ${server.adminKey!}` });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { ready: boolean; database: Record<string, unknown>; pool: { max: number; size: number } };
    assert.equal(body.ready, true);
    assert.equal(body.database.dialect, 'sqlite');
    assert.equal(body.database.reachable, true);
    assert.match(String(body.database.serverVersion), /^3\.\d+/);
    assert.equal(body.pool.max, 4);
    assert.ok(body.pool.size >= 1 && body.pool.size <= 4);
  });

  it('GET /metrics exposes statement counts and durations by dialect and kind, and GraphQL requests by operation', async () => {
    await server.graphql(DatasetNamesDocument);
    const response = await server.get('/metrics');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    assert.ok(metricValue(text, 'db_statements_total', { dialect: 'sqlite', kind: 'select', outcome: 'ok' }) > 0);
    assert.ok(metricValue(text, 'db_statements_total', { dialect: 'sqlite', kind: 'upsert', outcome: 'ok' }) > 0, 'demo load upserts');
    assert.ok(metricValue(text, 'db_statements_total', { dialect: 'sqlite', kind: 'ddl', outcome: 'ok' }) > 0, 'migrations');
    assert.ok(metricValue(text, 'db_statement_duration_seconds_count', { dialect: 'sqlite', kind: 'select' }) > 0);
    assert.ok(metricValue(text, 'graphql_requests_total', { operation: 'DatasetNames', type: 'query', outcome: 'ok' }) >= 1);
    assert.ok(metricValue(text, 'graphql_request_duration_seconds_count', { operation: 'DatasetNames', type: 'query' }) >= 1);
    assert.ok(metricValue(text, 'db_pool_connections', { state: 'max' }) === 4);
  });

  it('GET /graphql from a browser serves the Apollo Sandbox landing page in development', async () => {
    const response = await server.get('/graphql', { accept: 'text/html' });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /sandbox/i);
  });

  it('a query with a syntax error gets GRAPHQL_PARSE_FAILED, and a field that does not exist GRAPHQL_VALIDATION_FAILED', async () => {
    const parse = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ datasets { name ' }),
    });
    assert.equal(((await parse.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code, 'GRAPHQL_PARSE_FAILED');
    const validation = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ datasets { password } }' }),
    });
    assert.equal(((await validation.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  });
});

describe('restarting the embedded default on the same data folder', () => {
  it('applies no migration and loads no demo rows the second time, and serves the same datasets', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-restart-'));
    const first = await startTestServer({ DATA_DIR: dataDir });
    await first.stop();
    assert.ok(first.logs.some((line) => line.includes('"msg":"demo dataset loaded"')));

    const second = await startTestServer({ DATA_DIR: dataDir });
    try {
      const migrations = second.logs.map((line) => JSON.parse(line) as { msg: string; applied?: number[] }).find((line) => line.msg === 'migrations applied');
      assert.deepEqual(migrations?.applied, []);
      assert.ok(!second.logs.some((line) => line.includes('"msg":"demo dataset loaded"')));
      const result = await second.graphql(DatasetNamesDocument);
      assert.deepEqual(
        result.data?.datasets.map((dataset) => dataset.rowCount),
        [150, 20_000],
      );
    } finally {
      await second.stop();
    }
  });
});
