import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { FormattedExecutionResult } from 'graphql';
import type { Datastore } from '../../src/datastore/datastore';
import type { ColumnDefinition, Row, SqlValue, TableDefinition } from '../../src/datastore/types';
import type { ModelRunRecord, ModelRunWithHistory, RunParams, RunStatus } from '../../src/modules/run/run.record';
import { RunRepository, type RunOrder } from '../../src/modules/run/run.repository';
import { SeededRandom } from '../../src/shared/seeded-random';
import {
  ModelRunStateDocument,
  RunPublishesOutcomesDocument,
  ModelRunsPageDocument,
  type ModelRunsPageQuery,
  type RegisterDatasetInput,
  type RunSummaryFragment,
  type StartModelRunInput,
  type UpdateDatasetInput,
} from '../generated/graphql';
import type { TestServer } from './app-harness';
import { countStoredAssignments } from './assignments';

/** Shared helpers for the model-run tests (test/graphql/runs/). */

/** A startModelRun input: the given fields, every other optional field null (codegen's avoidOptionals). */
export function startInput(fields: Partial<StartModelRunInput> & Pick<StartModelRunInput, 'datasetId'>): StartModelRunInput {
  return {
    algorithm: null,
    batchSize: null,
    idempotencyKey: null,
    initialization: null,
    k: null,
    kRange: null,
    maxIterations: null,
    nInit: null,
    preparation: null,
    publishOutcomes: null,
    seed: null,
    tolerance: null,
    ...fields,
  };
}

/** A registerDataset input with description and outcomeTable null unless given. */
export function registerInput(
  fields: Partial<RegisterDatasetInput> & Pick<RegisterDatasetInput, 'name' | 'table' | 'keyColumns' | 'featureColumns'>,
): RegisterDatasetInput {
  return { description: null, outcomeTable: null, ...fields };
}

/** An updateDataset input changing only the given fields. */
export function updateInput(fields: Partial<UpdateDatasetInput>): UpdateDatasetInput {
  return { description: undefined, featureColumns: null, keyColumns: null, name: null, outcomeTable: undefined, ...fields };
}

export const TERMINAL: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Every table the app creates or the demo load fills, on any database. */
export const APP_TABLES = [
  'ai_schema_migrations',
  'ai_dataset',
  'ai_model_run',
  'ai_run_assignment',
  'ai_run_assignment_chunk',
  'ai_cluster_outcome',
  'iris',
  'station_readings',
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `read` until `done` holds for its value. The bound only turns a state that never comes into a
 * failure instead of a hang; it is not a timing assertion.
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, boundMs = 60_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + boundMs;
  let last: T;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${boundMs} ms; last seen: ${JSON.stringify(last)}`);
    await sleep(everyMs);
  }
}

/** The run's state through `modelRun(id)`; fails on a GraphQL error or an unknown id. */
export async function runState(server: Pick<TestServer, 'graphql'>, id: string): Promise<RunSummaryFragment> {
  const result = await server.graphql(ModelRunStateDocument, { id });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  assert.ok(result.data?.modelRun, `modelRun(${id}) is null`);
  return result.data.modelRun;
}

/**
 * Whether a run is settled: in a terminal state and, once SUCCEEDED with outcomes to publish, done
 * publishing them (outcomesPublishedAt or publishError set). A run is SUCCEEDED once its results are
 * stored, and its outcomes follow in a transaction of their own.
 */
export async function isSettled(
  server: Pick<TestServer, 'graphql'>,
  run: Pick<RunSummaryFragment, 'id' | 'status' | 'outcomesPublishedAt' | 'publishError'>,
): Promise<boolean> {
  if (!TERMINAL.includes(run.status)) return false;
  if (run.status !== 'SUCCEEDED' || run.outcomesPublishedAt !== null || run.publishError !== null) return true;
  const result = await server.graphql(RunPublishesOutcomesDocument, { id: run.id });
  return !dataOf(result, 'modelRun.params').modelRun?.params.publishOutcomes;
}

/**
 * Polls modelRun(id) until its status is one of `statuses` (default: any terminal one) and, once
 * SUCCEEDED, it is settled (isSettled).
 */
export async function waitForRun(
  server: Pick<TestServer, 'graphql'>,
  id: string,
  statuses: readonly RunStatus[] = TERMINAL,
  boundMs = 60_000,
): Promise<RunSummaryFragment> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const run = await pollUntil(
      () => runState(server, id),
      (state) => statuses.includes(state.status),
      `run ${id} reaching ${statuses.join('|')}`,
      Math.max(1, deadline - Date.now()),
    );
    if (run.status !== 'SUCCEEDED' || (await isSettled(server, run))) return run;
    if (Date.now() > deadline) assert.fail(`run ${id} did not finish publishing within ${boundMs} ms; last seen: ${JSON.stringify(run)}`);
    await sleep(50);
  }
}

/** The data of a result that must have no errors. */
export function dataOf<T>(result: FormattedExecutionResult<T>, what: string): T {
  assert.equal(result.errors, undefined, `${what}: ${JSON.stringify(result.errors)}`);
  assert.ok(result.data, `${what}: no data`);
  return result.data;
}

/** Asserts exactly one error with `extensions.code` = code and a message matching `message`; returns it. */
export function assertGraphqlError(
  result: FormattedExecutionResult<unknown>,
  code: string,
  message: RegExp,
): { message: string; extensions?: Record<string, unknown> } {
  assert.ok(result.errors && result.errors.length > 0, `expected ${code}, got data ${JSON.stringify(result.data)}`);
  const [error] = result.errors;
  assert.equal(error!.extensions?.code, code, `expected ${code}, got ${JSON.stringify(result.errors)}`);
  assert.match(error!.message, message);
  return error!;
}

/** Every run id, all pages of `modelRuns` read with the given page size. */
export async function allRunIds(server: Pick<TestServer, 'graphql'>, pageSize = 500): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const result = await server.graphql(ModelRunsPageDocument, { first: pageSize, after, filter: null, orderBy: null });
    const page: ModelRunsPageQuery['modelRuns'] = dataOf(result, 'modelRuns').modelRuns;
    ids.push(...page.edges.map((edge) => edge.node.id));
    if (!page.pageInfo.hasNextPage) return ids;
    after = page.pageInfo.endCursor;
  }
}

/** The sum of every sample of a Prometheus counter whose labels include `labels`. */
export function metricSum(metricsText: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

// Scrapes of /metrics made through statementsSoFar, per server: each one runs a statement of its own.
const scrapes = new WeakMap<TestServer, number>();

/**
 * SQL statements the server has run so far, all kinds and outcomes (db_statements_total), less those the
 * scrapes themselves ran: every scrape counts the run queue (model_run_queue_depth) with one SELECT.
 */
export async function statementsSoFar(server: TestServer): Promise<number> {
  const text = await (await server.get('/metrics')).text();
  const made = (scrapes.get(server) ?? 0) + 1;
  scrapes.set(server, made);
  return metricSum(text, 'db_statements_total') - made;
}

/**
 * What `send` gives and the fewest SQL statements it cost in `attempts` tries. The run queue's claimer polls
 * once a second with a statement of its own, which can fall inside one try's window but not inside all of
 * them; a request that costs more statements costs them every time.
 */
export async function fewestStatements<T>(server: TestServer, send: () => Promise<T>, attempts = 3): Promise<{ statements: number; result: T }> {
  let fewest: { statements: number; result: T } | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const before = await statementsSoFar(server);
    const result = await send();
    const statements = (await statementsSoFar(server)) - before;
    if (!fewest || statements < fewest.statements) fewest = { statements, result };
  }
  return fewest!;
}

export async function dropTables(datastore: Datastore, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    await datastore.execute({ sql: `DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(table)}`, parameters: [], kind: 'ddl' });
  }
}

/** Creates a table from a definition and fills it through the dialect's UPSERT in one transaction. */
export async function createTable(datastore: Datastore, table: TableDefinition, rows: readonly Record<string, SqlValue>[]): Promise<void> {
  await datastore.execute(datastore.dialect.compileCreateTable(table));
  if (rows.length > 0) {
    await datastore.executeAll(datastore.dialect.compileUpsert({ table: table.name, keyColumns: table.primaryKey, columns: table.columns, rows }));
  }
}

/**
 * A table `name` with an integer key `id` and `features` double columns f1…fN of uniform noise from a
 * fixed seed: no cluster structure, so k-means with a tiny tolerance keeps iterating (a long run).
 */
export async function createNoiseTable(datastore: Datastore, name: string, rows: number, features: number, seed: number): Promise<string[]> {
  const featureColumns = Array.from({ length: features }, (_, index) => `f${index + 1}`);
  const columns: ColumnDefinition[] = [
    { name: 'id', type: 'integer', nullable: false },
    ...featureColumns.map((column) => ({ name: column, type: 'double' as const })),
  ];
  const random = new SeededRandom(seed);
  const data = Array.from({ length: rows }, (_, index) => {
    const row: Record<string, SqlValue> = { id: index + 1 };
    for (const column of featureColumns) row[column] = Math.round(random.next() * 1e6) / 1e3;
    return row;
  });
  await createTable(datastore, { name, columns, primaryKey: ['id'] }, data);
  return featureColumns;
}

/** The parameters of a long but bounded run over a noise table: many restarts, a tiny tolerance. */
export const LONG_RUN = { k: 8, nInit: 20, maxIterations: 10_000, tolerance: 1e-12, seed: 7 } as const;

export interface OutcomeTableRow {
  readonly entityKey: string;
  readonly runId: string;
  readonly cluster: number;
  readonly distance: number;
  readonly scoredAt: string;
}

/** A dataset's rows of an outcome table, read with plain SQL (the dialect's quoting), by entity key. */
export async function readOutcomeTable(datastore: Datastore, datasetId: string, table = 'ai_cluster_outcome'): Promise<OutcomeTableRow[]> {
  const q = (name: string) => datastore.dialect.quoteIdentifier(name);
  const rows: Row[] = await datastore.query({
    // The distance whole, as the server reads it (SQLite's driver would read it through 15 digits).
    sql: `SELECT ${q('entity_key')}, ${q('run_id')}, ${q('cluster')}, ${datastore.dialect.exactDoubleSelectSql(q('distance'))}, ${q('scored_at')} FROM ${q(table)} WHERE ${q('dataset_id')} = ? ORDER BY ${q('entity_key')}`,
    parameters: [datasetId],
    kind: 'select',
  });
  return rows.map((row) => ({
    entityKey: String(row.entity_key),
    runId: String(row.run_id),
    cluster: Number(row.cluster),
    distance: datastore.dialect.exactDouble(row.distance),
    scoredAt: row.scored_at instanceof Date ? row.scored_at.toISOString() : String(row.scored_at),
  }));
}

/** Every row of an outcome table (all datasets), for before/after snapshots. */
export async function snapshotOutcomeTable(datastore: Datastore, table = 'ai_cluster_outcome'): Promise<string[]> {
  const q = (name: string) => datastore.dialect.quoteIdentifier(name);
  const rows = await datastore.query({
    sql: `SELECT ${q('dataset_id')}, ${q('entity_key')}, ${q('run_id')}, ${q('cluster')}, ${q('distance')}, ${q('scored_at')} FROM ${q(table)} ORDER BY ${q('dataset_id')}, ${q('entity_key')}`,
    parameters: [],
    kind: 'select',
  });
  return rows.map((row) =>
    JSON.stringify([
      row.dataset_id,
      row.entity_key,
      row.run_id,
      Number(row.cluster),
      Number(row.distance),
      row.scored_at instanceof Date ? row.scored_at.toISOString() : row.scored_at,
    ]),
  );
}

/** How many assignments a run has stored, as rows or in chunks (plain SQL). */
export function countAssignments(datastore: Datastore, runId: string): Promise<number> {
  return countStoredAssignments(datastore, runId);
}

/** A run record to insert through RunRepository, as if some server had created it. */
export function runRecord(datasetId: string, overrides: Partial<ModelRunWithHistory> & { params?: Partial<RunParams> } = {}): ModelRunWithHistory {
  const { params, ...rest } = overrides;
  const now = new Date();
  return {
    id: randomUUID(),
    datasetId,
    status: 'QUEUED',
    params: {
      k: 2,
      kRange: null,
      initialization: 'KMEANS_PLUS_PLUS',
      nInit: 1,
      maxIterations: 300,
      tolerance: 1e-6,
      seed: 1,
      preparation: { missing: 'DROP', scaling: 'STANDARD' },
      publishOutcomes: true,
      table: 'iris',
      keyColumns: ['sample_id'],
      featureColumns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
      ...params,
    },
    idempotencyKey: null,
    progress: { iteration: 0, maxIterations: 300, fraction: 0, lastShift: null },
    metrics: null,
    iterations: null,
    kSelection: null,
    centroids: null,
    clusterSizes: null,
    preparation: null,
    error: null,
    attempts: 0,
    owner: 'test',
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    heartbeatAt: now,
    outcomesPublishedAt: null,
    publishError: null,
    ...rest,
  };
}

/**
 * Inserts a RUNNING run owned by another (live) server: nothing here executes it, so it stays RUNNING
 * (with a long RUN_HEARTBEAT_MS) and a subscription to it stays open until it is cancelled.
 */
export async function insertForeignRunningRun(datastore: Datastore, datasetId = 'demo-iris'): Promise<string> {
  const run = runRecord(datasetId, { status: 'RUNNING', startedAt: new Date(), owner: 'another-live-server' });
  await new RunRepository(datastore).insert(run);
  return run.id;
}

/** The run ids in the order the API documents: the column (NULLs last in either direction), then the id, both in the direction. */
export function expectedRunOrder(runs: readonly ModelRunRecord[], order: RunOrder): string[] {
  const sign = order.direction === 'ASC' ? 1 : -1;
  const value = (run: ModelRunRecord) => (order.field === 'CREATED_AT' ? run.createdAt : run.finishedAt)?.getTime() ?? null;
  return [...runs]
    .sort((a, b) => {
      const [x, y] = [value(a), value(b)];
      if (x === null || y === null) return x === y ? sign * (a.id < b.id ? -1 : 1) : x === null ? 1 : -1;
      return sign * (x - y || (a.id < b.id ? -1 : 1));
    })
    .map((run) => run.id);
}
