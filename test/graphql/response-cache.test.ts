import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { metricValue, startTestServer, type TestServer } from '../support/app-harness';
import { statementsSoFar } from '../support/runs';
import { createPostgresqlSchema, type PostgresqlSchema } from '../support/postgresql-schema';
import { redisTestPrefix, removeRedisKeys, testRedisUrl } from '../support/test-redis';

/**
 * The response cache (src/plugins/response-cache/) answers a query again only while no write has
 * committed since: every answer it gives equals the answer of the same fields executed (the same
 * query with `apiKeys`, which it never keeps, beside them). The servers keep answers for a minute
 * (GRAPHQL_CACHE_MS=60000), so an answer that follows a change can only come from the change clock.
 */
const RUN_FIELDS = `id status attempts createdAt startedAt finishedAt outcomesPublishedAt durationMs clusterSizes
  progress { fraction iteration rowsRead } metrics { inertia silhouette iterations } error { code message }
  params { k algorithm featureColumns } dataset { id name description updatedAt }`;
const LISTING = `modelRuns(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${RUN_FIELDS} } } }
  datasets { id name description table keyColumns featureColumns updatedAt latestRun { id status } }`;
const operation = (source: string) => parse(source) as TypedDocumentNode<Record<string, unknown>, Record<string, never>>;
const CACHED = operation(`{ ${LISTING} }`);
const EXECUTED = operation(`{ ${LISTING} apiKeys { id } }`);

async function ask(server: TestServer, document = CACHED): Promise<Record<string, unknown>> {
  const answer = await server.graphql(document);
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
  const { apiKeys: _keys, ...data } = answer.data!;
  return data;
}

async function cacheCount(server: TestServer, result: 'hit' | 'miss' | 'bypass'): Promise<number> {
  return metricValue(await (await server.get('/metrics')).text(), 'graphql_response_cache_total', { result });
}

/** The cached answer, checked equal to the executed one, value by value. */
async function askChecked(server: TestServer, what: string): Promise<Record<string, unknown>> {
  const cached = await ask(server);
  assert.deepEqual(cached, await ask(server, EXECUTED), `after ${what}: the listing equals the executed one`);
  return cached;
}

async function send(server: TestServer, source: string): Promise<Record<string, unknown>> {
  const answer = await server.graphql(operation(source));
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
  return answer.data!;
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms; last ${JSON.stringify(value).slice(0, 400)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface TraceLine {
  readonly event?: { readonly action?: string; readonly outcome?: string };
  readonly labels?: { readonly run_id?: string };
  readonly aimodel?: { readonly run?: { readonly id?: string[] }; readonly graphql?: { readonly operation_name?: string } };
}

/** The graphql-operation documents of the trace files in `traceDir`. */
async function traceLines(traceDir: string): Promise<TraceLine[]> {
  const names = (await readdir(traceDir).catch(() => [] as string[])).filter((name) => /^trace-.*\.ndjson$/.test(name));
  const texts = await Promise.all(names.map((name) => readFile(path.join(traceDir, name), 'utf8')));
  return texts
    .flatMap((text) => text.split('\n').filter(Boolean))
    .map((line) => JSON.parse(line) as TraceLine)
    .filter((document) => document.event?.action === 'graphql-operation');
}

/** Whether the answer lists a dataset described as `text`. */
const describes = (data: Record<string, unknown> | undefined, text: string) =>
  (data?.datasets as { description: string | null }[]).some((dataset) => dataset.description === text);

/**
 * `writer` describes demo-iris as `text`; `reader`, which kept the listing before, answers with it within
 * 10 s, and that answer is the executed one.
 */
async function seenElsewhere(writer: TestServer, reader: TestServer, text: string): Promise<void> {
  await send(writer, `mutation { updateDataset(id: "demo-iris", input: { description: "${text}" }) { id } }`);
  const changed = await until(
    `the reader sees "${text}"`,
    () => ask(reader),
    (data) => describes(data, text),
    10_000,
  );
  assert.deepEqual(changed, await ask(reader, EXECUTED));
}

const runsOf = (data: Record<string, unknown>) =>
  (data.modelRuns as { edges: { node: { id: string; status: string; outcomesPublishedAt: string | null } }[] }).edges.map((edge) => edge.node);

describe('the response cache on one server (SQLite)', () => {
  let server: TestServer;
  let dataDir: string;
  before(async () => {
    // No periodic write (the run leases' check) inside a count of statements.
    dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-response-cache-'));
    server = await startTestServer({
      DATA_DIR: dataDir,
      GRAPHQL_CACHE_MS: '60000',
      AUTH_ANONYMOUS: 'none',
      RUN_HEARTBEAT_MS: '600000',
      TRACE_FLUSH_MS: '20',
    });
  });
  after(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a repeated query from memory, equal to the executed answer', async () => {
    const first = await askChecked(server, 'start');
    const hits = await cacheCount(server, 'hit');
    assert.deepEqual(await ask(server), first);
    assert.deepEqual(await ask(server), first);
    assert.equal((await cacheCount(server, 'hit')) - hits, 2, 'the two repeats were hits');
    assert.ok((await cacheCount(server, 'bypass')) >= 1, 'the executed form (with apiKeys) bypassed it');
  });

  it('shows each change at once: a run started, run to its end, published again; a dataset updated, registered, deleted', async () => {
    await ask(server);
    const { startModelRun } = (await send(server, 'mutation { startModelRun(input: { datasetId: "demo-iris", k: 3, seed: 7 }) { id } }')) as {
      startModelRun: { id: string };
    };
    // It runs meanwhile: its listing is compared with the executed one once it has ended.
    const listed = runsOf(await ask(server));
    assert.ok(
      listed.some((run) => run.id === startModelRun.id),
      'the started run is listed by the very next query',
    );
    // Its progress and end are written by the executor, not by a request: each write retires the answers.
    await until(
      'the run ends',
      () => ask(server, EXECUTED),
      (data) => runsOf(data).find((run) => run.id === startModelRun.id)?.status === 'SUCCEEDED',
    );
    const ended = await askChecked(server, 'the run ended');
    const published = runsOf(ended).find((run) => run.id === startModelRun.id)!.outcomesPublishedAt;
    await until(
      'a later publishedAt',
      async () => {
        await send(server, `mutation { publishRunOutcomes(runId: "${startModelRun.id}") { id } }`);
        return runsOf(await askChecked(server, 'publishRunOutcomes')).find((run) => run.id === startModelRun.id)!.outcomesPublishedAt;
      },
      (at) => at !== published,
    );

    await send(server, 'mutation { updateDataset(id: "demo-iris", input: { description: "Fisher’s irises, ✓ cached" }) { id } }');
    const datasets = (await askChecked(server, 'updateDataset')).datasets as { id: string; description: string | null }[];
    assert.equal(datasets.find((dataset) => dataset.id === 'demo-iris')?.description, 'Fisher’s irises, ✓ cached');

    const { registerDataset } = (await send(
      server,
      'mutation { registerDataset(input: { name: "iris again", table: "iris", keyColumns: ["sample_id"], featureColumns: ["sepal_length"] }) { id } }',
    )) as { registerDataset: { id: string } };
    assert.ok(((await askChecked(server, 'registerDataset')).datasets as { id: string }[]).some((dataset) => dataset.id === registerDataset.id));
    await send(server, `mutation { deleteDataset(id: "${registerDataset.id}") { id } }`);
    assert.ok(!((await askChecked(server, 'deleteDataset')).datasets as { id: string }[]).some((dataset) => dataset.id === registerDataset.id));
  });

  it('executes a query asked by 20 clients at once, just after a write, once: the others wait for its answer', async () => {
    const single = async () => {
      const before = await statementsSoFar(server);
      await ask(server);
      return (await statementsSoFar(server)) - before;
    };
    await send(server, 'mutation { updateDataset(id: "demo-iris", input: { description: "one" }) { id } }');
    const alone = await single();
    assert.ok(alone >= 1, 'executed');
    await send(server, 'mutation { updateDataset(id: "demo-iris", input: { description: "twenty" }) { id } }');
    const before = await statementsSoFar(server);
    const answers = await Promise.all(Array.from({ length: 20 }, () => ask(server)));
    const statements = (await statementsSoFar(server)) - before;
    assert.equal(statements, alone, 'the statements of one execution');
    for (const answer of answers) assert.deepEqual(answer, answers[0]);
    assert.deepEqual(answers[0], await ask(server, EXECUTED));
    assert.ok(describes(answers[0], 'twenty'));
  });

  it('executes every query while a write of the server is under way, and keeps nothing computed meanwhile', async () => {
    await ask(server);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const writing = server.app.datastore.transaction(async (transaction) => {
      await transaction.execute({ sql: 'UPDATE ai_dataset SET description = ? WHERE id = ?', parameters: ['written under way', 'demo-iris'], kind: 'update' });
      await held;
    });
    // Once the transaction's write has begun, every query bypasses the cache.
    await until(
      'a query bypassing the cache',
      async () => {
        const before = await cacheCount(server, 'bypass');
        await ask(server);
        return (await cacheCount(server, 'bypass')) - before;
      },
      (bypassed) => bypassed === 1,
      10_000,
    );
    const during = await ask(server);
    assert.ok(!describes(during, 'written under way'), 'not committed yet');
    release();
    await writing;
    const misses = await cacheCount(server, 'miss');
    const after = await ask(server);
    assert.equal((await cacheCount(server, 'miss')) - misses, 1, 'executed: nothing kept while the write was under way');
    assert.ok(describes(after, 'written under way'));
    assert.deepEqual(after, await ask(server, EXECUTED));
  });

  it('keeps answers by the values of the variables the operation declares, whatever else is sent', async () => {
    const query = operation('query Page($first: Int) { modelRuns(first: $first) { totalCount edges { node { id } } } }');
    const counts = async () => ({ hit: await cacheCount(server, 'hit'), miss: await cacheCount(server, 'miss') });
    const start = await counts();
    const sent: Record<string, unknown>[] = [{ first: 2, junk: 'x'.repeat(10_000) }, { junk: 2, first: 2 }, { first: 2 }, { first: 3 }];
    const answers = [];
    for (const variables of sent) answers.push(await server.graphql(query, variables as never));
    const end = await counts();
    assert.deepEqual({ hit: end.hit - start.hit, miss: end.miss - start.miss }, { hit: 2, miss: 2 });
    assert.deepEqual(answers[1], answers[0]);
    for (const answer of answers) assert.equal(answer.errors, undefined);
  });

  it('keeps a variable left out (its default) apart from one sent as null (no default): each answer as executed', async () => {
    const edges = (answer: { data?: Record<string, unknown> | null }) => (answer.data!.modelRuns as { edges: unknown[] }).edges.length;
    const total = ((await send(server, '{ modelRuns { totalCount } }')).modelRuns as { totalCount: number }).totalCount;
    assert.ok(total >= 1, `the earlier tests left ${total} runs; this one needs one`);
    // Both orders, each on a document of its own: whichever comes first keeps its answer, the other must not be given it.
    const orders: Record<string, unknown>[][] = [
      [{}, { first: null }],
      [{ first: null }, {}],
    ];
    for (const [index, order] of orders.entries()) {
      const query = operation(`query Page${index}($first: Int = 0) { modelRuns(first: $first) { totalCount edges { node { id } } } }`);
      for (const variables of [...order, ...order]) {
        const answer = await server.graphql(query, variables as never);
        assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
        assert.equal(edges(answer), 'first' in variables ? Math.min(total, 20) : 0, `Page${index} with variables ${JSON.stringify(variables)}`);
      }
    }
  });

  it('traces an answer given from the cache as the executed one: the run it names, its operation', async () => {
    const { startModelRun } = (await send(server, 'mutation { startModelRun(input: { datasetId: "demo-iris", k: 2, seed: 11 }) { id } }')) as {
      startModelRun: { id: string };
    };
    await until(
      'the run ends',
      () => send(server, `{ modelRun(id: "${startModelRun.id}") { status } }`),
      (data) => !['QUEUED', 'RUNNING'].includes((data.modelRun as { status: string }).status),
    );
    const query = operation(`query OneRun { modelRun(id: "${startModelRun.id}") { id status metrics { inertia } } }`);
    const hits = await cacheCount(server, 'hit');
    const [executed, cached] = [await server.graphql(query), await server.graphql(query)];
    assert.deepEqual(cached, executed);
    assert.equal((await cacheCount(server, 'hit')) - hits, 1, 'the second was answered from the cache');
    const documents = await until(
      'both operations traced',
      async () => (await traceLines(path.join(dataDir, 'trace'))).filter((document) => document.aimodel?.graphql?.operation_name === 'OneRun'),
      (found) => found.length >= 2,
      10_000,
    );
    for (const document of documents) {
      assert.deepEqual(document.aimodel?.run?.id, [startModelRun.id]);
      assert.equal(document.labels?.run_id, startModelRun.id);
      assert.equal(document.event?.outcome, 'success');
    }
  });

  it('keeps no answer with an error, and keeps answers apart by role', async () => {
    const viewerKey = (await server.app.apiKeys.create('cache viewer', 'viewer')).key;
    const asViewer = { authorization: `Bearer ${viewerKey}` };
    const query = operation('{ modelRun(id: "no-such-run") { id } datasets { name } }');
    const viewer = await server.graphql(query, undefined, asViewer);
    const admin = await server.graphql(query);
    assert.deepEqual(viewer.data, admin.data);
    const anonymous = await server.graphql(query, undefined, { authorization: '' });
    assert.ok(anonymous.errors?.length, 'no role: refused, however the others were answered');
    const again = await server.graphql(query, undefined, { authorization: '' });
    assert.deepEqual(again, anonymous, 'and refused again, not answered from a kept answer');
  });
});

describe('the response cache across servers on one database (PostgreSQL)', () => {
  let schema: PostgresqlSchema;
  const servers: TestServer[] = [];
  const redisUrl = testRedisUrl();
  const prefix = redisTestPrefix('response-cache');
  before(async () => {
    schema = await createPostgresqlSchema('gql_respcache');
    const env = { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, DEMO_DATASETS: 'true' };
    servers.push(await startTestServer({ ...env, GRAPHQL_CACHE_MS: '60000', REDIS_URL: redisUrl, REDIS_PREFIX: prefix }));
    // The reader's own periodic write (the run leases' check, every RUN_HEARTBEAT_MS) would retire its answers too.
    servers.push(await startTestServer({ ...env, GRAPHQL_CACHE_MS: '60000', REDIS_URL: redisUrl, REDIS_PREFIX: prefix, RUN_HEARTBEAT_MS: '600000' }));
    servers.push(await startTestServer({ ...env, GRAPHQL_CACHE_MS: '300' }));
  });
  after(async () => {
    for (const server of servers) await server.stop();
    await schema?.drop();
    await removeRedisKeys(redisUrl, prefix);
  });

  it('with Redis: a change made through another server retires this one’s answers', async () => {
    const [writer, reader] = servers as [TestServer, TestServer];
    const before = await ask(reader);
    assert.deepEqual(await ask(reader), before, 'kept');
    // Kept for a minute: only the message through Redis can retire it within the wait.
    await seenElsewhere(writer, reader, 'told through Redis');
  });

  it('without Redis: another server’s change shows within GRAPHQL_CACHE_MS', async () => {
    const [writer, , alone] = servers as [TestServer, TestServer, TestServer];
    await ask(alone);
    await seenElsewhere(writer, alone, 'seen after 300 ms');
  });
});
