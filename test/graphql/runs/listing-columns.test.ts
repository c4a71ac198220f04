import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildSchema, getNamedType, isLeafType, isNonNullType, isObjectType, parse, type FormattedExecutionResult, type GraphQLObjectType } from 'graphql';
import type { ModelRunWithHistory, RunStatus } from '../../../src/modules/run/run.record';
import { RunRepository, type RunOrder } from '../../../src/modules/run/run.repository';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { expectedRunOrder, fewestStatements, runRecord } from '../../support/runs';

/**
 * A run listing reads only the columns of the fields asked for (run.selection.ts). Each ModelRun field
 * asked for alone in a listing answers what the whole row read by modelRun(id:) answers, the cursors
 * work when their column is not asked for, and the statements a page costs do not grow with it.
 */
const SCHEMA = buildSchema(readFileSync(path.resolve(__dirname, '../../../../schema.graphql'), 'utf8'));
const RUNS = 100;
const DATASETS = ['demo-iris', 'demo-station-readings'];
const BASE = Date.UTC(2025, 2, 1);

/** Every leaf below `type`, objects followed `depth` levels, connections as their count and first nodes; fields needing arguments left out. */
function selectionOf(type: GraphQLObjectType, depth: number): string {
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((argument) => isNonNullType(argument.type) && argument.defaultValue === undefined)) continue;
    const named = getNamedType(field.type);
    if (isLeafType(named)) parts.push(field.name);
    else if (isObjectType(named) && named.name.endsWith('Connection')) {
      if (depth > 1) parts.push(`${field.name}(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } }`);
    } else if (isObjectType(named) && depth > 0) parts.push(`${field.name} { ${selectionOf(named, depth - 1)} }`);
  }
  return parts.join(' ');
}

/** How ModelRun's field `name` is asked for: a leaf as such, an object with everything below it. */
function fieldSelection(name: string): string {
  const field = (SCHEMA.getType('ModelRun') as GraphQLObjectType).getFields()[name]!;
  const named = getNamedType(field.type);
  if (isLeafType(named)) return name;
  if (named.name.endsWith('Connection')) return `${name}(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } }`;
  return `${name} { ${selectionOf(named as GraphQLObjectType, 1)} }`;
}

/**
 * Run `index`: each status a run keeps while the test runs (no QUEUED run, which this server would
 * claim; RUNNING ones belong to another live server), and every optional value both set and null.
 */
function storedRun(index: number): ModelRunWithHistory {
  const status: RunStatus = (['SUCCEEDED', 'FAILED', 'RUNNING', 'SUCCEEDED', 'CANCELLED'] as const)[index % 5]!;
  const createdAt = new Date(BASE + index * 60_000);
  // Some cancelled runs never started (cancelled while queued).
  const started = !(status === 'CANCELLED' && index % 10 === 4);
  const finished = ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status);
  const succeeded = status === 'SUCCEEDED';
  const record = runRecord(DATASETS[index % 2]!, {
    id: `listing-columns-${String(index).padStart(3, '0')}`,
    status,
    idempotencyKey: index % 3 === 0 ? `key-${index}` : null,
    attempts: started ? 1 + (index % 3) : 0,
    progress: { iteration: index, maxIterations: 300 + index, fraction: succeeded ? 1 : index / 1000, lastShift: index % 7 === 0 ? null : index / 64 },
    createdAt,
    startedAt: started ? new Date(createdAt.getTime() + 500) : null,
    finishedAt: finished ? new Date(createdAt.getTime() + 1_500 + index) : null,
    heartbeatAt: status === 'RUNNING' ? new Date() : createdAt,
    owner: status === 'RUNNING' ? 'another-live-server' : `server-${index % 2}`,
    metrics: succeeded
      ? {
          inertia: 100 + index / 8,
          silhouette: index % 5 === 0 ? null : 0.5 - index / 1024,
          silhouetteSampled: index % 2 === 0,
          silhouetteSampleSize: 150,
          daviesBouldin: index % 9 === 0 ? null : 0.7,
          calinskiHarabasz: 500 + index,
          iterations: 3 + (index % 7),
          converged: index % 4 !== 3,
          timings: { readMs: 1.5, prepareMs: 2, clusterMs: 3.25, scoreMs: 4, ...(index % 2 === 0 ? { saveMs: 5 } : {}), publishMs: index % 3 === 0 ? null : 6 },
        }
      : null,
    iterations: succeeded ? [{ k: 2, restart: 1, iteration: 1, centroidShift: 0.5, inertia: 120 + index, clusterSizes: [70, 80] }] : null,
    kSelection:
      succeeded && index % 4 === 1
        ? {
            rule: 'MAX_SILHOUETTE',
            chosenK: 3,
            maxCappedByRows: false,
            scores: [{ k: 2, inertia: 10, silhouette: 0.4, daviesBouldin: null, calinskiHarabasz: 30, iterations: 4, converged: true }],
          }
        : null,
    centroids: succeeded ? [{ cluster: 0, original: [index, -index / 3, 1e-300, 2 ** 53], scaled: [0.1, 0.2, 0.3, 0.4] }] : null,
    clusterSizes: succeeded ? [75 - (index % 10), 75 + (index % 10)] : null,
    error: status === 'FAILED' ? { code: index % 12 === 1 ? 'EMPTY_INPUT' : 'NON_FINITE_VALUE', message: `run ${index} failed: ünïcödé` } : null,
    outcomesPublishedAt: succeeded && index % 2 === 0 ? new Date(createdAt.getTime() + 2_000) : null,
    publishError:
      succeeded && index % 2 === 1 ? { code: 'DB_QUERY_TIMEOUT', message: 'publishing timed out', at: new Date(createdAt.getTime() + 3_000) } : null,
  });
  const params = index % 4 === 1 ? { k: null, kRange: { min: 2, max: 5 }, nInit: 3, seed: -index } : { k: 2 + (index % 5), seed: index };
  return { ...record, params: { ...record.params, ...params } };
}

const TARGETS = [
  { label: 'SQLite', postgresql: false },
  { label: 'PostgreSQL', postgresql: true },
] as const;

for (const target of TARGETS) {
  describe(`modelRuns reading only the columns asked for, ${target.label}`, () => {
    let server: TestServer;
    let schema: PostgresqlSchema | undefined;
    const stored: ModelRunWithHistory[] = Array.from({ length: RUNS }, (_, index) => storedRun(index));
    const newestFirst = expectedRunOrder(stored, { field: 'CREATED_AT', direction: 'DESC' });

    const request = async (query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
      const result: FormattedExecutionResult<Record<string, unknown>> = await server.graphql(parse(query), variables);
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      return result.data!;
    };
    const nodesOf = (data: Record<string, unknown>) => (data.modelRuns as { edges: { node: Record<string, unknown> }[] }).edges.map((edge) => edge.node);

    before(async () => {
      // No heartbeat during the test: only the requests' own statements are counted; no response cache:
      // a query asked again executes, and its statements are what is counted. ModelRun.iterations is
      // priced at 5,000 a run: a page of 100 of them needs a higher cost limit than the default.
      const env = { RUN_HEARTBEAT_MS: '600000', GRAPHQL_MAX_COST: '10000000', GRAPHQL_MAX_TOKENS: '100000', GRAPHQL_CACHE_MS: '0' };
      if (target.postgresql) {
        schema = await createPostgresqlSchema('gql_listcols');
        server = await startTestServer({ ...env, DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, DEMO_DATASETS: 'true' });
      } else {
        server = await startTestServer(env);
      }
      const repository = new RunRepository(server.app.datastore);
      for (const run of stored) await repository.insert(run);
    });
    after(async () => {
      await server?.stop();
      await schema?.drop();
    });

    it('each ModelRun field asked for alone in a listing answers what modelRun(id:) answers reading the whole row', async () => {
      const fields = Object.keys((SCHEMA.getType('ModelRun') as GraphQLObjectType).getFields());
      // The reference: every run read whole, every field at once (30 runs: trace and assignments cost a statement or more each).
      const ids = newestFirst.slice(0, 30);
      const every = `fragment Every on ModelRun { ${fields.map(fieldSelection).join(' ')} }`;
      const whole = await request(`{ ${ids.map((id, index) => `r${index}: modelRun(id: "${id}") { ...Every }`).join(' ')} } ${every}`);
      const reference = ids.map((_, index) => whole[`r${index}`] as Record<string, unknown>);
      assert.deepEqual(
        reference.map((run) => run.id),
        ids,
      );
      for (const field of fields) {
        const listed = nodesOf(await request(`{ modelRuns(first: 30) { edges { node { ${fieldSelection(field)} } } } }`));
        assert.deepEqual(
          listed.map((node) => node[field]),
          reference.map((run) => run[field]),
          field,
        );
      }
    });

    it('gives back the values stored: status, params, progress, metrics, error, publish error, timestamps and the dataset', async () => {
      const nodes = nodesOf(
        await request(`{ modelRuns(first: ${RUNS}) { edges { node {
          id status attempts params { k seed kRange { min max } } progress { iteration maxIterations fraction lastShift }
          metrics { inertia silhouette daviesBouldin timings { saveMs publishMs } } clusterSizes error { code message }
          publishError { code message at } createdAt startedAt finishedAt outcomesPublishedAt durationMs dataset { id }
        } } } }`),
      );
      const byId = new Map(stored.map((run) => [run.id, run]));
      assert.deepEqual(
        nodes.map((node) => node.id),
        newestFirst,
      );
      for (const node of nodes) {
        const run = byId.get(node.id as string)!;
        const iso = (date: Date | null) => date?.toISOString() ?? null;
        assert.deepEqual(
          node,
          {
            id: run.id,
            status: run.status,
            attempts: run.attempts,
            params: { k: run.params.k, seed: run.params.seed, kRange: run.params.kRange },
            progress: run.progress,
            metrics: run.metrics && {
              inertia: run.metrics.inertia,
              silhouette: run.metrics.silhouette,
              daviesBouldin: run.metrics.daviesBouldin,
              timings: { saveMs: run.metrics.timings.saveMs ?? null, publishMs: run.metrics.timings.publishMs },
            },
            clusterSizes: run.clusterSizes,
            error: run.error,
            publishError: run.publishError && { ...run.publishError, at: iso(run.publishError.at) },
            createdAt: iso(run.createdAt),
            startedAt: iso(run.startedAt),
            finishedAt: iso(run.finishedAt),
            outcomesPublishedAt: iso(run.outcomesPublishedAt),
            durationMs: run.startedAt && run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
            dataset: { id: run.datasetId },
          },
          run.id,
        );
      }
    });

    it('arguments omitted: the 20 newest runs; a dataset’s runs: that dataset’s, newest first', async () => {
      const omitted = nodesOf(await request('{ modelRuns { edges { node { reportUrl } } } }'));
      assert.deepEqual(
        omitted.map((node) => node.reportUrl),
        newestFirst.slice(0, 20).map((id) => `/runs/${id}`),
      );
      const ofIris = await request(`{ dataset(id: "demo-iris") { runs(first: ${RUNS}) { edges { node { reportUrl status } } } } }`);
      const edges = (ofIris.dataset as { runs: { edges: { node: { reportUrl: string; status: string } }[] } }).runs.edges;
      const iris = expectedRunOrder(
        stored.filter((run) => run.datasetId === 'demo-iris'),
        { field: 'CREATED_AT', direction: 'DESC' },
      );
      const statusOf = new Map(stored.map((run) => [run.id, run.status]));
      assert.deepEqual(
        edges.map((edge) => edge.node),
        iris.map((id) => ({ reportUrl: `/runs/${id}`, status: statusOf.get(id) })),
      );
    });

    it('pages by finishedAt when finishedAt is not asked for: every run once, in order, unfinished ones last', async () => {
      const order: RunOrder = { field: 'FINISHED_AT', direction: 'ASC' };
      const seen: string[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 50; pages++) {
        const data = await request(
          'query ($after: String) { modelRuns(first: 7, after: $after, orderBy: { field: FINISHED_AT, direction: ASC }) { pageInfo { hasNextPage endCursor } edges { node { reportUrl } } } }',
          { after },
        );
        const connection = data.modelRuns as { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { reportUrl: string } }[] };
        seen.push(...connection.edges.map((edge) => edge.node.reportUrl.slice('/runs/'.length)));
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      assert.deepEqual(seen, expectedRunOrder(stored, order));
    });

    it('Dataset.latestRun: each dataset’s newest run, the larger id of two created at the same time, as modelRun(id:) reads it', async () => {
      const tiedAt = new Date(BASE + RUNS * 60_000);
      const repository = new RunRepository(server.app.datastore);
      for (const id of ['listing-columns-tie-b', 'listing-columns-tie-a']) {
        await repository.insert({ ...storedRun(3), id, idempotencyKey: null, datasetId: 'demo-station-readings', createdAt: tiedAt });
      }
      const every = `fragment Every on ModelRun { ${['id', 'status', 'createdAt', 'metrics', 'params', 'progress', 'error', 'publishError'].map(fieldSelection).join(' ')} }`;
      const irisNewest = expectedRunOrder(
        stored.filter((run) => run.datasetId === 'demo-iris'),
        { field: 'CREATED_AT', direction: 'DESC' },
      )[0]!;
      const data = await request(
        `{ datasets { id latestRun { ...Every } } b: modelRun(id: "listing-columns-tie-b") { ...Every } i: modelRun(id: "${irisNewest}") { ...Every } } ${every}`,
      );
      const latest = Object.fromEntries((data.datasets as { id: string; latestRun: unknown }[]).map((dataset) => [dataset.id, dataset.latestRun]));
      assert.equal((data.i as { id: string }).id, irisNewest);
      assert.deepEqual(latest['demo-iris'], data.i);
      assert.deepEqual(latest['demo-station-readings'], data.b);
    });

    it('costs the same statements for 1, 20 and 100 runs with their datasets, metrics, progress, histories and total', async () => {
      const counted = async (first: number) => {
        const { statements, result } = await fewestStatements(server, () =>
          request(
            `{ modelRuns(first: ${first}) { totalCount edges { node { id status dataset { name } metrics { inertia } progress { fraction } iterations { inertia } } } } }`,
          ),
        );
        return { statements, nodes: nodesOf(result) };
      };
      const one = await counted(1);
      const twenty = await counted(20);
      const hundred = await counted(RUNS);
      assert.deepEqual([one.nodes.length, twenty.nodes.length, hundred.nodes.length], [1, 20, RUNS]);
      assert.deepEqual(new Set(hundred.nodes.map((node) => (node.dataset as { name: string }).name)), new Set(['iris', 'station_readings']));
      // The page with its datasets (a LEFT JOIN), the total, the histories: one statement each.
      assert.deepEqual([one.statements, twenty.statements, hundred.statements], [3, 3, 3]);
    });

    it('a run whose dataset is not registered lists with dataset null beside runs whose dataset is', async () => {
      const repository = new RunRepository(server.app.datastore);
      // Newer than every stored run, so it leads the listing; CANCELLED so this server leaves it alone.
      const orphan = runRecord('no-such-dataset', { id: 'listing-columns-orphan', status: 'CANCELLED', createdAt: new Date(BASE + (RUNS + 1) * 60_000) });
      await repository.insert(orphan);
      try {
        const nodes = nodesOf(await request(`{ modelRuns(first: 3) { edges { node { id dataset { id name } } } } }`));
        assert.deepEqual(nodes[0], { id: orphan.id, dataset: null });
        const names: Record<string, string> = { 'demo-iris': 'iris', 'demo-station-readings': 'station_readings' };
        assert.equal(nodes.length, 3);
        for (const node of nodes.slice(1)) {
          const dataset = node.dataset as { id: string; name: string };
          assert.equal(dataset.name, names[dataset.id], JSON.stringify(node));
        }
      } finally {
        await server.app.datastore.execute({
          sql: `DELETE FROM ${server.app.datastore.dialect.quoteIdentifier('ai_model_run')} WHERE ${server.app.datastore.dialect.quoteIdentifier('id')} = ?`,
          parameters: [orphan.id],
          kind: 'delete',
        });
      }
    });
  });
}
