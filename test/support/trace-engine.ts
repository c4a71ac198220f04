import { startInput } from './runs';
/**
 * Helpers of the trace tests (test/integration/trace/): unique trace targets per test file, the
 * server's environment for them, the GraphQL operations the tests send, and reading what reached the
 * search engine.
 *
 * Parallel test files share one engine and the template names of src/telemetry/templates.ts are
 * fixed (aimodel-ecs, aimodel-model, aimodel-trace, aimodel-runs). So every file writes to its own
 * data stream and runs index, and cleans up only those: it never deletes the shared templates, which
 * another file may be relying on at that moment (the engine's data folder is wiped at every start).
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@elastic/elasticsearch';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Kind, parse, type FormattedExecutionResult } from 'graphql';
import { loadConfig } from '../../src/config/config';
import type { TraceOptions } from '../../src/telemetry/options';
import type { TraceCounters } from '../../src/telemetry/trace-writer';
import type { TestServer } from './app-harness';
import { searchEngineUrl } from './search-engine';

export interface TraceTargets {
  /** ELASTICSEARCH_TRACE_STREAM: `logs-aimodel.trace-<unique>`. */
  readonly stream: string;
  /** ELASTICSEARCH_RUNS_INDEX: `aimodel-runs-<unique>`. */
  readonly runsIndex: string;
  /** TRACE_DIR: a fresh temporary folder (the spool lives in its `spool/`). */
  readonly traceDir: string;
}

/**
 * Names no other test file (or earlier run) uses, all lower case as index names must be. The data
 * stream's namespace has no '-' (Elastic's naming scheme: logs-<dataset>-<namespace>), so the trace
 * template's pattern, `logs-aimodel.trace-*`, is the same for every test file.
 */
export function traceTargets(tag: string): TraceTargets {
  const namespace = `${tag}${process.pid}${Date.now().toString(36)}`.toLowerCase().replace(/[^a-z0-9]/g, '');
  return {
    stream: `logs-aimodel.trace-${namespace}`,
    runsIndex: `aimodel-runs-${namespace}`,
    traceDir: mkdtempSync(path.join(tmpdir(), `aimodel-trace-${tag}-`)),
  };
}

/**
 * Runs `setup` (setupElasticsearch or the elastic:setup CLI) until the runs index has the runs
 * template's mapping, and, with `createStream`, creates the data stream from the trace template.
 *
 * Why a loop: the template names are fixed (aimodel-runs, aimodel-trace) but the runs template's
 * pattern is `<ELASTICSEARCH_RUNS_INDEX>*`, so a test file running setup at the same moment can
 * replace it between this file's template and its runs index. The runs index then gets dynamic
 * mappings; it is deleted and setup runs again. Returns the number of attempts.
 */
export async function setUpTargets(client: Client, targets: TraceTargets, setup: () => Promise<void>, options: { createStream: boolean }): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    await setup();
    const mapping = await client.indices.getMapping({ index: targets.runsIndex });
    const fields = mappedFields(Object.values(mapping)[0]?.mappings.properties);
    let ok = fields.get('aimodel.run.status') === 'keyword' && fields.get('aimodel.run.duration_ms') === 'long';
    if (ok && options.createStream) {
      await client.indices.createDataStream({ name: targets.stream }, { ignore: [400] });
      const { data_streams: streams } = await client.indices.getDataStream({ name: targets.stream });
      ok = streams[0]?.template === 'aimodel-trace';
    }
    if (ok) return attempt;
    if (attempt >= 5) assert.fail(`setup of ${targets.runsIndex} / ${targets.stream} lost the template race ${attempt} times`);
    await removeTraceTargets(client, targets);
  }
}

/**
 * The server's environment for a trace in `url` (OpenSearch has no ILM, so ELASTICSEARCH_ILM=false),
 * flushed every 200 ms.
 */
export function traceEnv(url: string, targets: TraceTargets, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ELASTICSEARCH_URL: url,
    ELASTICSEARCH_ILM: 'false',
    ELASTICSEARCH_TRACE_STREAM: targets.stream,
    ELASTICSEARCH_RUNS_INDEX: targets.runsIndex,
    TRACE_DIR: targets.traceDir,
    TRACE_FLUSH_MS: '200',
    ...extra,
  };
}

/** The TraceOptions the server would build from traceEnv (for setupElasticsearch in the test itself). */
export function traceOptionsFor(url: string, targets: TraceTargets): TraceOptions {
  return loadConfig({ DATA_DIR: targets.traceDir, ...traceEnv(url, targets) }).trace;
}

/** An Elasticsearch 8 client on the engine, through this process's shared proxy. */
export async function engineClient(): Promise<Client> {
  return new Client({ node: await searchEngineUrl(), requestTimeout: 60_000 });
}

/** Deletes this file's data stream and runs index (never the shared templates, see above). */
export async function removeTraceTargets(client: Client, targets: TraceTargets): Promise<void> {
  await client.indices.deleteDataStream({ name: targets.stream }, { ignore: [404] }).catch(() => undefined);
  await client.indices.delete({ index: targets.runsIndex, ignore_unavailable: true }, { ignore: [404] }).catch(() => undefined);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `read` until `done` holds. The bound only turns a state that never comes into a failure
 * instead of a hang; it is not a timing assertion.
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, boundMs = 120_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${boundMs} ms; last seen: ${JSON.stringify(value).slice(0, 2_000)}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// GraphQL: the operations the trace tests send. Written here (not in test/operations) so that their
// operation names, which the graphql-operation documents record, are fixed by this file.

export const gql = <TResult = Record<string, unknown>, TVariables = Record<string, unknown>>(text: string) =>
  parse(text) as unknown as TypedDocumentNode<TResult, TVariables>;

export interface RunResult {
  id: string;
  status: string;
  durationMs: number | null;
  outcomesPublishedAt: string | null;
  error: { code: string; message: string } | null;
  progress: { iteration: number; maxIterations: number };
  params: { k: number | null; kRange: { min: number; max: number } | null; nInit: number };
  metrics: { inertia: number; iterations: number } | null;
  clusterSizes: number[] | null;
  iterations: { k: number; restart: number; iteration: number; inertia: number }[] | null;
  kSelection: {
    chosenK: number;
    scores: { k: number; inertia: number; silhouette: number | null; daviesBouldin: number | null; calinskiHarabasz: number | null }[];
  } | null;
  kibanaUrl: string | null;
}

export const TraceStartRun = gql<{ startModelRun: { id: string; status: string } }, { input: Record<string, unknown> }>(`
  mutation TraceStartRun($input: StartModelRunInput!) { startModelRun(input: $input) { id status } }`);

export const TraceCancelRun = gql<{ cancelModelRun: { id: string; status: string } }, { id: string }>(`
  mutation TraceCancelRun($id: ID!) { cancelModelRun(id: $id) { id status } }`);

export const TraceRunStatus = gql<
  {
    modelRun: {
      id: string;
      status: string;
      error: { code: string } | null;
      outcomesPublishedAt: string | null;
      publishError: { code: string } | null;
      params: { publishOutcomes: boolean };
    } | null;
  },
  { id: string }
>(`
  query TraceRunStatus($id: ID!) { modelRun(id: $id) { id status error { code } outcomesPublishedAt publishError { code } params { publishOutcomes } } }`);

export const TraceRunResult = gql<{ modelRun: RunResult | null }, { id: string }>(`
  query TraceRunResult($id: ID!) {
    modelRun(id: $id) {
      id status durationMs outcomesPublishedAt error { code message }
      progress { iteration maxIterations }
      params { k kRange { min max } nInit }
      metrics { inertia iterations }
      clusterSizes
      iterations { k restart iteration inertia }
      kSelection { chosenK scores { k inertia silhouette daviesBouldin calinskiHarabasz } }
      kibanaUrl
    }
  }`);

export interface TraceEventNode {
  id: string;
  timestamp: string;
  action: string;
  outcome: string | null;
  durationMs: number | null;
  durationNs: number | null;
  document: Record<string, unknown>;
}

export const TraceRunTrace = gql<
  {
    modelRun: {
      trace: {
        totalCount: number;
        edges: { cursor: string; node: TraceEventNode }[];
        pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
      };
    } | null;
  },
  { id: string; actions: string[] | null; first: number | null; after: string | null }
>(`
  query TraceRunTrace($id: ID!, $actions: [TraceAction!], $first: Int, $after: String) {
    modelRun(id: $id) {
      trace(actions: $actions, first: $first, after: $after) {
        totalCount
        edges { cursor node { id timestamp action outcome durationMs durationNs document } }
        pageInfo { hasNextPage hasPreviousPage endCursor }
      }
    }
  }`);

export const TraceDatasets = gql<{ datasets: { id: string; name: string; rowCount: number }[] }, Record<string, never>>(`
  query TraceDatasets { datasets { id name rowCount } }`);

/** A startModelRun input with every optional field null unless given (the same builder as the run tests'). */
export function runInput(fields: Record<string, unknown> & { datasetId: string }): Record<string, unknown> {
  return { ...startInput({ datasetId: fields.datasetId }), ...fields };
}

/** The data of a result that must have no errors. */
export function dataOf<T>(result: FormattedExecutionResult<T>, what: string): T {
  assert.equal(result.errors, undefined, `${what}: ${JSON.stringify(result.errors)}`);
  assert.ok(result.data, `${what}: no data`);
  return result.data;
}

/** The run an operation of this file was about: its `id` variable, or the id of the run a mutation returned. */
function runOf(variables: unknown, data: unknown): string | undefined {
  const id = (variables as { id?: unknown } | undefined)?.id;
  if (typeof id === 'string') return id;
  const returned = Object.values((data ?? {}) as Record<string, { id?: unknown } | null>)[0]?.id;
  return typeof returned === 'string' ? returned : undefined;
}

/**
 * Sends GraphQL through the test server and counts what it sent by operation name and outcome, so a
 * test can compare with the graphql-operation documents.
 */
export class CountingClient {
  readonly sent = new Map<string, { success: number; failure: number }>();
  /** Per run, the operations sent on it (its id as the `id` variable, or the run a mutation returned), by name. */
  readonly sentOnRun = new Map<string, Map<string, number>>();

  constructor(readonly server: TestServer) {}

  async send<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables?: TVariables): Promise<FormattedExecutionResult<TResult>> {
    const result = await this.server.graphql(document, variables);
    const definition = document.definitions.find((node) => node.kind === Kind.OPERATION_DEFINITION);
    const name = definition && 'name' in definition && definition.name ? definition.name.value : 'anonymous';
    const entry = this.sent.get(name) ?? { success: 0, failure: 0 };
    if (result.errors?.length) entry.failure += 1;
    else entry.success += 1;
    this.sent.set(name, entry);
    const runId = runOf(variables, result.data);
    if (runId) {
      const ofRun = this.sentOnRun.get(runId) ?? new Map<string, number>();
      ofRun.set(name, (ofRun.get(name) ?? 0) + 1);
      this.sentOnRun.set(runId, ofRun);
    }
    return result;
  }

  total(): number {
    return [...this.sent.values()].reduce((sum, entry) => sum + entry.success + entry.failure, 0);
  }

  async startRun(input: Record<string, unknown> & { datasetId: string }): Promise<string> {
    return dataOf(await this.send(TraceStartRun, { input: runInput(input) }), 'startModelRun').startModelRun.id;
  }

  /** The run's status; PUBLISHING for a SUCCEEDED run whose outcomes are still being published. */
  async status(id: string): Promise<string> {
    const run = dataOf(await this.send(TraceRunStatus, { id }), 'modelRun').modelRun;
    assert.ok(run, `modelRun(${id}) is null`);
    const publishing = run.status === 'SUCCEEDED' && run.params.publishOutcomes && run.outcomesPublishedAt === null && run.publishError === null;
    return publishing ? 'PUBLISHING' : run.status;
  }

  /** Polls modelRun(id) until its status is one of `statuses`. */
  waitForStatus(id: string, statuses: readonly string[], boundMs = 180_000): Promise<string> {
    return pollUntil(
      () => this.status(id),
      (status) => statuses.includes(status),
      `run ${id} reaching ${statuses.join('|')}`,
      boundMs,
    );
  }

  /** Waits for a terminal status and asserts it is SUCCEEDED; returns the run's full result. */
  async succeeded(id: string): Promise<RunResult> {
    await this.waitForStatus(id, ['SUCCEEDED', 'FAILED', 'CANCELLED']);
    const run = dataOf(await this.send(TraceRunResult, { id }), 'modelRun').modelRun;
    assert.ok(run);
    assert.equal(run.status, 'SUCCEEDED', `run ${id}: ${JSON.stringify(run.error)}`);
    return run;
  }
}

// ---------------------------------------------------------------------------------------------
// The server's side: /readyz trace counters and the spool file.

export async function traceCounters(server: TestServer): Promise<TraceCounters & { readyStatus: number }> {
  // The counters are among the details /readyz gives an admin only.
  const response = await server.get('/readyz', { authorization: `Bearer ${server.adminKey!}` });
  const body = (await response.json()) as { trace: TraceCounters };
  assert.ok(body.trace, `/readyz has no trace counters: ${JSON.stringify(body)}`);
  return { ...body.trace, readyStatus: response.status };
}

export function spoolFile(targets: TraceTargets): string {
  return path.join(targets.traceDir, 'spool', 'spool.ndjson');
}

/** A document in the spool, as much of it as tests read. */
interface SpooledDocument {
  _id: string;
  _target: string;
  event: { action: string };
  trace?: { id: string };
}

/** The spool's size in bytes (0 when it does not exist) and its documents. */
export async function spoolContent(targets: TraceTargets): Promise<{ bytes: number; documents: SpooledDocument[] }> {
  const bytes = await stat(spoolFile(targets)).then(
    (info) => info.size,
    () => 0,
  );
  const text = bytes > 0 ? await readFile(spoolFile(targets), 'utf8') : '';
  return {
    bytes,
    documents: text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as SpooledDocument),
  };
}

// ---------------------------------------------------------------------------------------------
// The engine's side.

export interface StoredDocument {
  readonly _id: string;
  readonly _index: string;
  readonly _source: Record<string, unknown>;
}

/** Every document of `index` matching `query`, through the scroll API. */
export async function searchAll(client: Client, index: string, query: object = { match_all: {} }): Promise<StoredDocument[]> {
  const documents: StoredDocument[] = [];
  let response = await client.search({ index, query, size: 5_000, scroll: '1m', sort: ['_doc'], ignore_unavailable: true });
  try {
    for (;;) {
      const hits = response.hits.hits;
      documents.push(...hits.map((hit) => ({ _id: hit._id!, _index: hit._index, _source: hit._source as Record<string, unknown> })));
      if (hits.length === 0 || !response._scroll_id) break;
      response = await client.scroll({ scroll_id: response._scroll_id, scroll: '1m' });
    }
  } finally {
    if (response._scroll_id) await client.clearScroll({ scroll_id: response._scroll_id }).catch(() => undefined);
  }
  return documents;
}

/** The run's documents in the trace data stream (refreshed first). */
export async function runDocuments(client: Client, targets: TraceTargets, runId: string): Promise<StoredDocument[]> {
  await client.indices.refresh({ index: targets.stream, ignore_unavailable: true });
  return searchAll(client, targets.stream, { term: { 'trace.id': runId } });
}

export function byAction(documents: readonly StoredDocument[]): Map<string, StoredDocument[]> {
  const grouped = new Map<string, StoredDocument[]>();
  for (const document of documents) {
    const event = document._source.event as { action?: string } | undefined;
    const action = String(event?.action);
    grouped.set(action, [...(grouped.get(action) ?? []), document]);
  }
  return grouped;
}

/** The number of documents a finished, published, SUCCEEDED run writes to the trace stream. */
export function expectedRunDocumentCount(run: RunResult): number {
  const kEvaluated = run.params.kRange ? run.params.kRange.max - run.params.kRange.min + 1 : 0;
  // run-started, run-claimed (a run claimed once), preparation, every iteration, k-evaluated per k, run-succeeded, one per cluster, outcomes-published
  return 1 + 1 + 1 + run.progress.iteration + kEvaluated + 1 + (run.clusterSizes?.length ?? 0) + (run.outcomesPublishedAt ? 1 : 0);
}

/** Waits until the engine holds every trace document of each run (refreshing as it polls). */
export async function waitForRunDocuments(client: Client, targets: TraceTargets, runs: readonly RunResult[]): Promise<void> {
  for (const run of runs) {
    const expected = expectedRunDocumentCount(run);
    await pollUntil(
      async () => {
        await client.indices.refresh({ index: targets.stream, ignore_unavailable: true });
        return (await client.count({ index: targets.stream, query: { term: { 'trace.id': run.id } }, ignore_unavailable: true })).count;
      },
      (count) => count >= expected,
      `the engine holding the ${expected} trace documents of run ${run.id}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Mappings.

interface MappingNode {
  type?: string;
  properties?: Record<string, MappingNode>;
}

/** Every mapped leaf field of a mapping's `properties`, with its type: `{ 'aimodel.run.id': 'keyword', … }`. */
export function mappedFields(properties: Record<string, MappingNode> | undefined, prefix = ''): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [name, node] of Object.entries(properties ?? {})) {
    const full = `${prefix}${name}`;
    if (node.properties) for (const [inner, type] of mappedFields(node.properties, `${full}.`)) fields.set(inner, type);
    else fields.set(full, node.type ?? 'object');
  }
  return fields;
}

/** Every leaf path of a document's _source (arrays of objects are descended into, arrays of values are leaves). */
export function sourceFields(value: unknown, prefix = '', into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    const objects = value.filter((item) => item !== null && typeof item === 'object');
    if (objects.length === 0) into.add(prefix);
    for (const item of objects) sourceFields(item, prefix, into);
    return into;
  }
  if (value !== null && typeof value === 'object') {
    for (const [name, inner] of Object.entries(value)) sourceFields(inner, prefix ? `${prefix}.${name}` : name, into);
    return into;
  }
  if (prefix) into.add(prefix);
  return into;
}
