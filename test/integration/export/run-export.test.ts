import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DialectName } from '../../../src/config/dialect-name';
import type { Datastore } from '../../../src/datastore/datastore';
import type { Statement } from '../../../src/datastore/types';
import { AssignmentRepository, type Assignment } from '../../../src/modules/run/assignment.repository';
import { RunRepository } from '../../../src/modules/run/run.repository';
import {
  DatasetOutcomesDocument,
  ModelRunStateDocument,
  PublishRunOutcomesDocument,
  RegisterDatasetDocument,
  RunAssignmentsDocument,
  StartModelRunDocument,
  type DatasetOutcomesQuery,
  type RunAssignmentsQuery,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { csvText, parseCsv, type CsvField } from '../../support/csv';
import * as dialects from '../../../src/datastore/dialects';
import { embeddedDatastore, mariadbDatabase, openDatastore } from '../../support/databases';
import { PrefixedAppTablesMariadbDialect } from '../../support/prefixed-mariadb';
import { createOracleModeSchema } from '../../support/oracle-mode-schema';
import { createPostgresqlSchema } from '../../support/postgresql-schema';
import { APP_TABLES, createTable, dataOf, dropTables, pollUntil, registerInput, runRecord, startInput, waitForRun } from '../../support/runs';

/**
 * GET /runs/:id/{assignments,outcomes}.{csv,ndjson} over real HTTP, on the embedded default (SQLite),
 * PostgreSQL, MariaDB and the Oracle-mode engine (each in a schema or under a table prefix of this file's own): every row of the export
 * read back and compared value by value with what GraphQL gives for the same run (all pages), for a run
 * k-means computed and for one stored directly with extreme doubles and awkward keys over several
 * export pages; the refusals (401, 404, 409, 405); a client that goes away and a database that fails
 * after the first byte.
 */

// Keys a spreadsheet would take for formulas, CSV's own characters, Unicode beyond the BMP.
const AWKWARD_KEYS = [
  '=SUM(A1:A9)',
  '+cmd',
  '-2+3',
  '@import',
  '\tTAB',
  "'apostrophe",
  '-2',
  '-2.5e3',
  'comma,in',
  'say "hi"',
  'line\nbreak',
  'carriage\rreturn',
  'über 😀 日本語',
  ' leading space',
  '["a",1]',
];
const EXTREME_DOUBLES = [Number.MIN_VALUE, Number.MAX_VALUE, 0.1 + 0.2, 1 / 3, 1e-300, 2 ** 53 + 2, 1e21, 1e-7, 0, 123456.789];
// More than two export pages (5,000 rows each).
const STORED_ROWS = 12_003;

interface Target {
  readonly name: string;
  start(): Promise<{ server: TestServer; datastore: Datastore; stop(): Promise<void> }>;
}

async function inSchema(schema: { connectionString: string; datastore: Datastore; drop(): Promise<void> }, dialect: DialectName, env: Record<string, string>) {
  try {
    const server = await startTestServer({ DB_DIALECT: dialect, DB_CONNECTION_STRING: schema.connectionString, DEMO_DATASETS: 'false', ...env });
    return { server, datastore: schema.datastore, stop: () => server.stop().finally(() => schema.drop()) };
  } catch (error) {
    await schema.drop();
    throw error;
  }
}

function targets(env: Record<string, string> = {}): Target[] {
  return [
    {
      name: 'sqlite',
      async start() {
        const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-export-'));
        const server = await startTestServer({ DATA_DIR: dataDir, DEMO_DATASETS: 'false', ...env });
        const datastore = embeddedDatastore(dataDir);
        return { server, datastore, stop: () => Promise.all([server.stop(), datastore.close()]).then(() => undefined) };
      },
    },
    { name: 'postgresql', start: async () => inSchema(await createPostgresqlSchema('export'), 'postgresql', env) },
    { name: 'oracle', start: async () => inSchema(await createOracleModeSchema('export', 'oracle'), 'oracle', env) },
    { name: 'mariadb', start: () => onPrefixedMariadb(env) },
  ];
}

const OWN_TABLES = ['export_points', 'export_stored', 'export_analyzed'];

/**
 * The shared MariaDB database with this file's tables under a prefix of their own: DB_DIALECT=mysql means
 * the prefixed dialect in this process (as prefixed-mariadb-preload.ts makes it in a server process) while it runs.
 */
async function onPrefixedMariadb(env: Record<string, string>) {
  const prefix = `export_${process.pid.toString(36)}${Date.now().toString(36)}_`;
  const original = dialects.dialectFor;
  const replaceable = dialects as { dialectFor: typeof original };
  replaceable.dialectFor = (name) => (name === 'mysql' ? new PrefixedAppTablesMariadbDialect(prefix, OWN_TABLES) : original(name));
  const database = mariadbDatabase();
  const { datastore } = await openDatastore(database);
  const drop = async () => {
    try {
      await dropTables(datastore, [...APP_TABLES, ...OWN_TABLES]);
    } finally {
      await datastore.close();
      replaceable.dialectFor = original;
    }
  };
  try {
    const server = await startTestServer({ DB_DIALECT: 'mysql', DB_CONNECTION_STRING: database.connectionString, DEMO_DATASETS: 'false', ...env });
    assert.ok(server.app.datastore.dialect instanceof PrefixedAppTablesMariadbDialect, 'the server refined the test dialect away');
    return { server, datastore, stop: () => server.stop().finally(drop) };
  } catch (error) {
    await drop();
    throw error;
  }
}

interface Download {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** The response ended as HTTP says it should (the last chunk arrived). */
  readonly complete: boolean;
}

/** A GET over node:http, with what arrived and whether it was complete; `onFirstData` sees the request once bytes arrive. */
function download(url: string, headers: Record<string, string> = {}, onFirstData?: (request: http.ClientRequest) => void): Promise<Download> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      let first = true;
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (first) onFirstData?.(request);
        first = false;
      });
      response.on('error', () => undefined);
      response.on('close', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8'), complete: response.complete }),
      );
    });
    request.on('error', (error) => (onFirstData ? undefined : reject(error)));
  });
}

const bearer = (key: string | null) => ({ authorization: `Bearer ${key}` });

async function graphqlAssignments(server: TestServer, runId: string): Promise<Assignment[]> {
  const nodes: Assignment[] = [];
  let after: string | null = null;
  for (;;) {
    const page: NonNullable<RunAssignmentsQuery['modelRun']>['assignments'] = dataOf(
      await server.graphql(RunAssignmentsDocument, { id: runId, first: 500, after, cluster: null }),
      'assignments',
    ).modelRun!.assignments;
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor ?? null;
  }
}

interface OutcomeNode {
  readonly entityKey: string;
  readonly runId: string;
  readonly cluster: number;
  readonly distance: number;
  readonly scoredAt: string;
}

/** The dataset's outcomes (all pages) that carry the run's id. */
async function graphqlOutcomes(server: TestServer, datasetId: string, runId: string): Promise<OutcomeNode[]> {
  const nodes: OutcomeNode[] = [];
  let after: string | null = null;
  for (;;) {
    const page: NonNullable<DatasetOutcomesQuery['dataset']>['outcomes'] = dataOf(
      await server.graphql(DatasetOutcomesDocument, { id: datasetId, first: 500, after }),
      'outcomes',
    ).dataset!.outcomes;
    nodes.push(...page.edges.map((edge) => edge.node as OutcomeNode).filter((node) => node.runId === runId));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor ?? null;
  }
}

type Kind = 'text' | 'integer' | 'double' | 'timestamp';

/** The CSV's records as objects, each cell decoded by its column's kind (a number from its text, a text cell unguarded). */
function decodeCsv(body: string, kinds: Record<string, Kind>): Record<string, unknown>[] {
  const [header, ...records] = parseCsv(body);
  const names = header!.map((field) => field.text);
  assert.deepEqual(names, Object.keys(kinds), 'the header names the GraphQL fields in order');
  const decode = (kind: Kind, field: CsvField) => {
    if (kind === 'text') return csvText(field);
    if (field.text === '' && !field.quoted) return null;
    return kind === 'timestamp' ? field.text : Number(field.text);
  };
  return records.map((record) => Object.fromEntries(names.map((name, index) => [name, decode(kinds[name]!, record[index]!)])));
}

/** Every row equal, value by value (a double by Object.is), in the same order. */
function assertSameRows(what: string, actual: readonly Record<string, unknown>[], expected: readonly object[]): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} rows, GraphQL has ${expected.length}`);
  expected.forEach((row, index) => {
    for (const [name, value] of Object.entries(row)) {
      if (name === '__typename') continue;
      const got = actual[index]![name];
      assert.ok(Object.is(got, value), `${what}, row ${index}, ${name}: export ${JSON.stringify(got)}, GraphQL ${JSON.stringify(value)}`);
    }
  });
}

const ASSIGNMENT_KINDS: Record<string, Kind> = { entityKey: 'text', cluster: 'integer', distance: 'double' };
const OUTCOME_KINDS: Record<string, Kind> = { entityKey: 'text', runId: 'text', cluster: 'integer', distance: 'double', scoredAt: 'timestamp' };

/** Exports all four files of a run and compares each with GraphQL's assignments and outcomes of it. */
async function assertExportsMatchGraphql(server: TestServer, runId: string, datasetId: string, what: string): Promise<number> {
  const assignments = await graphqlAssignments(server, runId);
  const outcomes = await graphqlOutcomes(server, datasetId, runId);
  assert.ok(assignments.length > 0 && outcomes.length === assignments.length, `${what}: ${assignments.length} assignments, ${outcomes.length} outcomes`);
  // The outcome table holds the run's assignments, each distance bit for bit (SQLite's REAL is read whole).
  const assigned = new Map(assignments.map((node) => [node.entityKey, node]));
  for (const outcome of outcomes) {
    const assignment = assigned.get(outcome.entityKey);
    assert.ok(assignment, `${what}: outcome ${JSON.stringify(outcome.entityKey)} has no assignment`);
    assert.equal(outcome.cluster, assignment.cluster, `${what}, ${JSON.stringify(outcome.entityKey)}: cluster`);
    assert.ok(
      Object.is(outcome.distance, assignment.distance),
      `${what}, ${JSON.stringify(outcome.entityKey)}: outcome distance ${outcome.distance}, assigned ${assignment.distance}`,
    );
  }
  for (const [file, expected, kinds] of [
    ['assignments', assignments, ASSIGNMENT_KINDS],
    ['outcomes', outcomes, OUTCOME_KINDS],
  ] as const) {
    const csv = await download(`${server.url}/runs/${runId}/${file}.csv`, bearer(server.adminKey));
    assert.equal(csv.status, 200, csv.body);
    assert.ok(csv.complete);
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(csv.headers['content-disposition'], `attachment; filename="run-${runId}-${file}.csv"`);
    assertSameRows(`${what} ${file}.csv`, decodeCsv(csv.body, kinds), expected);

    const ndjson = await download(`${server.url}/runs/${runId}/${file}.ndjson`, bearer(server.adminKey));
    assert.equal(ndjson.status, 200, ndjson.body);
    assert.equal(ndjson.headers['content-type'], 'application/x-ndjson; charset=utf-8');
    const lines = ndjson.body.split('\n');
    assert.equal(lines.pop(), '', 'the last line ends in LF');
    const objects = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      objects.map((object) => Object.keys(object)),
      objects.map(() => Object.keys(kinds)),
    );
    assertSameRows(`${what} ${file}.ndjson`, objects, expected);
  }
  return assignments.length;
}

/** A SUCCEEDED run stored as a server would store it (or, `rows`, as one before migration 7), with `rows` assignments (awkward keys and extreme doubles first), then published over GraphQL. */
async function storeRun(
  server: TestServer,
  datastore: Datastore,
  datasetId: string,
  rows: number,
  publish = true,
  storage: 'chunks' | 'rows' = 'chunks',
): Promise<string> {
  const finishedAt = new Date(Date.UTC(2026, 11, 3, 22, 15, 30, 123));
  const stored = runRecord(datasetId, { status: 'SUCCEEDED', startedAt: new Date(finishedAt.getTime() - 1000), finishedAt });
  const run = { ...stored, params: { ...stored.params, publishOutcomes: publish } };
  await new RunRepository(datastore).insert(run);
  const assignments: Assignment[] = Array.from({ length: rows }, (_, index) => ({
    entityKey: AWKWARD_KEYS[index] ?? `entity ${String(index).padStart(6, '0')}`,
    cluster: index % 7,
    distance: EXTREME_DOUBLES[index % EXTREME_DOUBLES.length]! / (index < EXTREME_DOUBLES.length ? 1 : 1 + index / 1e6),
  }));
  const repository = new AssignmentRepository(datastore);
  await datastore.transaction((transaction) =>
    storage === 'rows' ? repository.saveRows(run.id, assignments, transaction) : repository.save(run.id, assignments, transaction),
  );
  if (publish) dataOf(await server.graphql(PublishRunOutcomesDocument, { runId: run.id }), 'publishRunOutcomes');
  return run.id;
}

async function registerPoints(server: TestServer, datastore: Datastore, table: string): Promise<string> {
  await createTable(
    datastore,
    {
      name: table,
      columns: [
        { name: 'name', type: 'string', length: 64, nullable: false },
        { name: 'x', type: 'double' },
        { name: 'y', type: 'double' },
      ],
      primaryKey: ['name'],
    },
    AWKWARD_KEYS.flatMap((key, index) => [
      { name: key, x: index, y: index % 3 },
      { name: `${key} twin`, x: index + 100, y: (index % 3) + 100 },
    ]),
  );
  return dataOf(
    await server.graphql(RegisterDatasetDocument, { input: registerInput({ name: table, table, keyColumns: ['name'], featureColumns: ['x', 'y'] }) }),
    'registerDataset',
  ).registerDataset.id;
}

/** Statements of an export's keyset pages after the first (the key bound as "> ?"). */
const isLaterExportPage = (statement: Statement) => statement.sql.includes('ai_run_assignment') && statement.sql.includes(' > ?');

/** Runs `before` ahead of the server's later export page statements (the in-process server's own datastore). */
function beforeLaterPages(server: TestServer, before: (statement: Statement, count: number) => Promise<void>): { pages: () => number; restore(): void } {
  const datastore = server.app.datastore;
  const original = datastore.query.bind(datastore);
  let count = 0;
  datastore.query = async (statement) => {
    if (isLaterExportPage(statement)) await before(statement, ++count);
    return original(statement);
  };
  return { pages: () => count, restore: () => void Reflect.deleteProperty(datastore, 'query') };
}

for (const target of targets()) {
  describe(`run exports on ${target.name}`, () => {
    let running: Awaited<ReturnType<Target['start']>>;

    before(async () => {
      running = await target.start();
    });
    after(async () => {
      await running?.stop();
    });

    it('a run k-means computed and published: both CSVs and both NDJSONs hold every row GraphQL gives, value by value, awkward keys included', async () => {
      const { server, datastore } = running;
      const datasetId = await registerPoints(server, datastore, 'export_points');
      const started = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, k: 2, seed: 3 }) }), 'start').startModelRun;
      const ended = await waitForRun(server, started.id);
      assert.equal(ended.status, 'SUCCEEDED', JSON.stringify(ended.error));
      assert.ok(ended.outcomesPublishedAt);
      assert.equal(await assertExportsMatchGraphql(server, started.id, datasetId, 'k-means run'), AWKWARD_KEYS.length * 2);
    });

    it(`a stored run of ${STORED_ROWS} assignments with extreme doubles: every export page, value by value equal to GraphQL's`, async () => {
      const { server, datastore } = running;
      const datasetId = await registerPoints(server, datastore, 'export_stored');
      const runId = await storeRun(server, datastore, datasetId, STORED_ROWS);
      assert.equal(await assertExportsMatchGraphql(server, runId, datasetId, 'stored run'), STORED_ROWS);
    });

    // Unanalyzed, PostgreSQL pages by a sort of every row after the key: 400 ms a page of 1M rows instead of a range scan.
    if (target.name === 'postgresql') {
      it('publishing analyzes the outcome table, so its pages by key are planned on statistics that know the rows', async () => {
        const { server, datastore } = running;
        const lastAnalyze = async () => {
          const [row] = await datastore.query({
            sql: "SELECT last_analyze FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'ai_cluster_outcome'",
            parameters: [],
            kind: 'select',
          });
          return row?.last_analyze instanceof Date ? row.last_analyze.getTime() : null;
        };
        const before = await lastAnalyze();
        const datasetId = await registerPoints(server, datastore, 'export_analyzed');
        await storeRun(server, datastore, datasetId, 100);
        await pollUntil(
          lastAnalyze,
          (after) => after !== null && (before === null || after > before),
          'an ANALYZE of ai_cluster_outcome after the publish',
          10_000,
        );
      });
    }
  });
}

describe('run export refusals and failures on sqlite', () => {
  let server: TestServer;
  let datastore: Datastore;
  let datasetId: string;
  let published: string;

  before(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-export-refusals-'));
    // No anonymous access, and one pooled connection: a connection an export kept would stop every other request.
    server = await startTestServer({ DATA_DIR: dataDir, DEMO_DATASETS: 'false', AUTH_ANONYMOUS: 'none', DB_POOL_MAX: '1' });
    datastore = embeddedDatastore(dataDir);
    datasetId = await registerPoints(server, datastore, 'export_refusals');
    // Stored one row per entity, as before migration 7: the faults below hook the per-entity table's page statements.
    published = await storeRun(server, datastore, datasetId, STORED_ROWS, true, 'rows');
  });
  after(async () => {
    await server?.stop();
    await datastore?.close();
  });

  const errorOf = (response: Download) => {
    assert.match(String(response.headers['content-type']), /^application\/json/);
    return (JSON.parse(response.body) as { errors: { message: string; extensions: { code: string } }[] }).errors[0]!;
  };

  it('without credentials 401 UNAUTHENTICATED, as /graphql answers; a wrong key 401; a viewer key 200 for GET and HEAD (no role is below viewer, so no 403 can arise)', async () => {
    for (const file of ['assignments.csv', 'outcomes.ndjson']) {
      const anonymous = await download(`${server.url}/runs/${published}/${file}`);
      assert.equal(anonymous.status, 401);
      assert.equal(errorOf(anonymous).extensions.code, 'UNAUTHENTICATED');
      const graphql = await server.graphql(ModelRunStateDocument, { id: published }, { authorization: '' });
      assert.equal(graphql.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', 'GraphQL refuses the same caller');

      const wrong = await download(`${server.url}/runs/${published}/${file}`, bearer('aim_not-a-key'));
      assert.equal(wrong.status, 401);
      assert.equal(errorOf(wrong).extensions.code, 'UNAUTHENTICATED');
    }
    const viewer = await server.app.apiKeys.create('export viewer', 'viewer');
    const byViewer = await download(`${server.url}/runs/${published}/outcomes.csv`, { 'x-api-key': viewer.key });
    assert.equal(byViewer.status, 200);
    assert.equal(parseCsv(byViewer.body).length, STORED_ROWS + 1);
    const head = await fetch(`${server.url}/runs/${published}/outcomes.ndjson`, { method: 'HEAD', headers: { 'x-api-key': viewer.key } });
    assert.deepEqual([head.status, head.headers.get('content-type'), await head.text()], [200, 'application/x-ndjson; charset=utf-8', '']);
  });

  it('an unknown or malformed run id: 404 NOT_FOUND, even an id of 10,000 characters; POST: 405', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'not%20a%20run', 'x'.repeat(10_000), '%E2%80%AE']) {
      for (const file of ['assignments.csv', 'assignments.ndjson', 'outcomes.csv', 'outcomes.ndjson']) {
        const response = await download(`${server.url}/runs/${id}/${file}`, bearer(server.adminKey));
        assert.equal(response.status, 404, `${id.slice(0, 40)} ${file}`);
        const error = errorOf(response);
        assert.equal(error.extensions.code, 'NOT_FOUND');
        assert.ok(error.message.length < 200, error.message);
        // The report page answers the same id with the same error.
        const report = await download(`${server.url}/runs/${id}`, bearer(server.adminKey));
        assert.deepEqual([report.status, errorOf(report)], [404, error]);
      }
    }
    const post = await fetch(`${server.url}/runs/${published}/assignments.csv`, { method: 'POST', headers: bearer(server.adminKey) });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('a queued, running or failed run: 409 RUN_NOT_SUCCEEDED for both files; never published or replaced outcomes: 409 OUTCOMES_NOT_PUBLISHED', async () => {
    const runs = new RunRepository(datastore);
    for (const status of ['QUEUED', 'RUNNING', 'FAILED', 'CANCELLED'] as const) {
      const run = runRecord(datasetId, { status, owner: 'another-live-server', heartbeatAt: new Date() });
      await runs.insert(run);
      for (const file of ['assignments.csv', 'outcomes.ndjson']) {
        const response = await download(`${server.url}/runs/${run.id}/${file}`, bearer(server.adminKey));
        assert.equal(response.status, 409, `${status} ${file}`);
        const error = errorOf(response);
        assert.equal(error.extensions.code, 'RUN_NOT_SUCCEEDED');
        assert.match(error.message, new RegExp(status));
      }
    }
    const unpublished = await storeRun(server, datastore, datasetId, 10, false);
    const never = await download(`${server.url}/runs/${unpublished}/outcomes.csv`, bearer(server.adminKey));
    assert.equal(never.status, 409);
    assert.equal(errorOf(never).extensions.code, 'OUTCOMES_NOT_PUBLISHED');
    assert.equal((await download(`${server.url}/runs/${unpublished}/assignments.csv`, bearer(server.adminKey))).status, 200);

    // Another run of the dataset published over every entity of the first: none of its outcome rows is left.
    const first = await storeRun(server, datastore, datasetId, 50);
    const later = await storeRun(server, datastore, datasetId, 50);
    const replaced = await download(`${server.url}/runs/${first}/outcomes.ndjson`, bearer(server.adminKey));
    assert.equal(replaced.status, 409);
    assert.equal(errorOf(replaced).extensions.code, 'OUTCOMES_NOT_PUBLISHED');
    assert.equal((await download(`${server.url}/runs/${later}/outcomes.ndjson`, bearer(server.adminKey))).status, 200);
  });

  it('a client that goes away after the first bytes: no page is read after the one in flight, and the one connection is back in the pool', async () => {
    let serverSawClose!: () => void;
    const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
    const listener = (request: http.IncomingMessage, response: http.ServerResponse) => {
      if (request.url?.endsWith('/assignments.ndjson')) response.once('close', serverSawClose);
    };
    server.app.httpServer.prependListener('request', listener);
    // The second page is read only once the server has seen the client go.
    const hook = beforeLaterPages(server, (_statement, count) => (count === 1 ? closed : Promise.resolve()));
    try {
      const partial = await download(`${server.url}/runs/${published}/assignments.ndjson`, bearer(server.adminKey), (request) => request.destroy());
      assert.equal(partial.complete, false);
      await pollUntil(
        () => Promise.resolve(server.logs.join('').includes('export stopped: the client went away')),
        (logged) => logged,
        'the export logging that it stopped',
      );
    } finally {
      hook.restore();
      server.app.httpServer.off('request', listener);
    }
    assert.equal(hook.pages(), 1, 'only the page in flight when the client went was read after the first');
    const line = JSON.parse(server.logs.find((text) => text.includes('export stopped'))!) as { rows: number };
    assert.equal(line.rows, 10_000, 'two pages of 5,000 were read, of 12,003');
    const ready = (await (await server.get('/readyz', bearer(server.adminKey))).json()) as { pool: { inUse: number; max: number } };
    assert.deepEqual([ready.pool.inUse, ready.pool.max], [0, 1]);
    // With DB_POOL_MAX=1, any request needing the database shows the connection is free.
    const again = await download(`${server.url}/runs/${published}/assignments.csv`, bearer(server.adminKey));
    assert.equal(parseCsv(again.body).length, STORED_ROWS + 1);
  });

  it('the database failing after the first bytes: the chunked response is cut short (never complete), the log has the code, no client or log line the driver text', async () => {
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    // Between the first page (sent) and the second, the table goes away: the database itself refuses the read.
    const hook = beforeLaterPages(server, async (_statement, count) => {
      if (count === 1)
        await datastore.execute({ sql: `ALTER TABLE ${q('ai_run_assignment')} RENAME TO ${q('export_assignments_away')}`, parameters: [], kind: 'ddl' });
    });
    let cut: Download;
    try {
      cut = await download(`${server.url}/runs/${published}/assignments.csv`, bearer(server.adminKey));
    } finally {
      hook.restore();
      await datastore.execute({ sql: `ALTER TABLE ${q('export_assignments_away')} RENAME TO ${q('ai_run_assignment')}`, parameters: [], kind: 'ddl' });
    }
    assert.equal(cut.status, 200);
    assert.equal(cut.complete, false, 'the response must not look complete');
    assert.ok(cut.body.startsWith('entityKey,cluster,distance\r\n'), cut.body.slice(0, 100));
    assert.doesNotMatch(cut.body, /no such table|export_assignments_away|SQLITE/i);
    const failure = server.logs.find((text) => text.includes('export failed after the response began'));
    assert.ok(failure, 'the failure is logged');
    const line = JSON.parse(failure) as { level: number; code: string; rows: number };
    assert.deepEqual([line.code, line.rows], ['DB_ERROR', 5_000]);
    assert.ok(
      server.logs.every((text) => !/no such table/i.test(text)),
      'the driver text is logged at debug only',
    );
  });
});
