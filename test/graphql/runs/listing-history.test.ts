import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IterationRecord, ModelRunWithHistory } from '../../../src/modules/run/run.record';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { RunsListingDocument, RunsListingWithHistoryDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, fewestStatements, runRecord } from '../../support/runs';

/**
 * A run listing reads each run's row without its per-iteration history; ModelRun.iterations reads the
 * histories of the whole page in one batch. Both forms give back the values stored.
 */
describe('modelRuns listing with and without ModelRun.iterations', () => {
  let server: TestServer;
  const DATASETS = ['demo-iris', 'demo-station-readings'];
  const RUNS = 50;
  const stored = new Map<string, ModelRunWithHistory>();

  before(async () => {
    // No heartbeat during the test: only the request's own statements are counted. ModelRun.iterations is
    // priced at 5,000 a run (the records a run keeps): 50 of them need a higher cost limit than the default.
    // No response cache: a query asked again executes, and its statements are what is counted.
    server = await startTestServer({ RUN_HEARTBEAT_MS: '600000', GRAPHQL_MAX_COST: '300000', GRAPHQL_CACHE_MS: '0' });
    const repository = new RunRepository(server.app.datastore);
    const base = Date.UTC(2025, 0, 1);
    for (let index = 0; index < RUNS; index++) {
      const createdAt = new Date(base + index * 60_000);
      const finishedAt = new Date(createdAt.getTime() + 1_000);
      // Every fifth run is still RUNNING: no history, no results yet.
      const running = index % 5 === 0;
      const run = runRecord(DATASETS[index % 2]!, {
        id: `listing-history-${String(index).padStart(2, '0')}`,
        status: running ? 'RUNNING' : 'SUCCEEDED',
        createdAt,
        startedAt: createdAt,
        finishedAt: running ? null : finishedAt,
        heartbeatAt: finishedAt,
        progress: { iteration: running ? index : 3 + (index % 7), maxIterations: 300, fraction: running ? index / 300 : 1, lastShift: null },
        metrics: running
          ? null
          : {
              inertia: 100 + index / 8,
              silhouette: index % 3 === 0 ? null : 0.5 - index / 1024,
              silhouetteSampled: false,
              silhouetteSampleSize: 150,
              daviesBouldin: 0.7,
              calinskiHarabasz: 500,
              iterations: 3 + (index % 7),
              converged: true,
              timings: { readMs: 1, prepareMs: 1, clusterMs: 1, scoreMs: 1, saveMs: 1, publishMs: null },
            },
        iterations: running ? null : history(index),
        centroids: running
          ? null
          : [
              { cluster: 0, original: [index, -index / 3], scaled: [0.1, 0.2] },
              { cluster: 1, original: [1e-300, 2 ** 53], scaled: [0.3, 0.4] },
            ],
        clusterSizes: running ? null : [75 - index, 75 + index],
      });
      await repository.insert(run);
      stored.set(run.id, run);
    }
  });
  after(async () => {
    await server?.stop();
  });

  /** What `send` returns and the SQL statements it cost. */
  async function counted<T>(send: () => Promise<T>): Promise<{ statements: number; nodes: T }> {
    const { statements, result } = await fewestStatements(server, send);
    return { statements, nodes: result };
  }
  const plain = (first: number) =>
    counted(async () => dataOf(await server.graphql(RunsListingDocument, { first }), 'modelRuns').modelRuns.edges.map((edge) => edge.node));
  const withHistories = (first: number) =>
    counted(async () => dataOf(await server.graphql(RunsListingWithHistoryDocument, { first }), 'modelRuns').modelRuns.edges.map((edge) => edge.node));

  it('lists 50 runs with the stored values, and with the history asked, each run’s history exactly as stored and the other fields unchanged', async () => {
    const without = await plain(RUNS);
    const withHistory = await withHistories(RUNS);
    assert.equal(without.nodes.length, RUNS);
    // Newest first.
    assert.deepEqual(
      without.nodes.map((node) => node.id),
      [...stored.keys()].reverse(),
    );
    for (const node of without.nodes) {
      const run = stored.get(node.id)!;
      assert.deepEqual(
        [node.status, node.progress.iteration, node.metrics?.inertia ?? null, node.metrics?.silhouette ?? null, node.clusterSizes, node.finishedAt],
        [
          run.status,
          run.progress.iteration,
          run.metrics?.inertia ?? null,
          run.metrics?.silhouette ?? null,
          run.clusterSizes,
          run.finishedAt?.toISOString() ?? null,
        ],
        node.id,
      );
      assert.deepEqual(node.centroids, run.centroids?.map(({ cluster, original }) => ({ cluster, original })) ?? null, node.id);
    }
    assert.deepEqual(
      withHistory.nodes.map(({ iterations: _iterations, ...rest }) => rest),
      without.nodes,
      'the same values with the history as without',
    );
    for (const node of withHistory.nodes) assert.deepEqual(node.iterations, stored.get(node.id)!.iterations, node.id);
  });

  it('costs as many statements for 50 runs with their histories as for 10, one more than without them', async () => {
    const ten = await withHistories(10);
    const fifty = await withHistories(RUNS);
    const fiftyWithout = await plain(RUNS);
    assert.equal(ten.nodes.length, 10);
    assert.equal(fifty.nodes.filter((node) => node.iterations !== null).length, 40, 'the histories were read');
    assert.equal(fifty.statements, ten.statements);
    assert.equal(fifty.statements, fiftyWithout.statements + 1);
  });

  it('lists runs without reading their histories: a run whose stored history is not JSON still lists with its values', async () => {
    const broken = 'listing-history-07';
    const datastore = server.app.datastore;
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    await datastore.execute({
      sql: `UPDATE ${q('ai_model_run')} SET ${q('iterations')} = ? WHERE ${q('id')} = ?`,
      parameters: ['not JSON', broken],
      kind: 'update',
    });
    const { nodes } = await plain(RUNS);
    const node = nodes.find((candidate) => candidate.id === broken);
    assert.deepEqual([node?.status, node?.metrics?.inertia, node?.clusterSizes], ['SUCCEEDED', 100 + 7 / 8, [68, 82]]);
  });
});

/** Run `index`'s history: 1 to 3 restarts of a few iterations, doubles that JSON must keep exactly. */
function history(index: number): IterationRecord[] {
  const records: IterationRecord[] = [];
  for (let restart = 1; restart <= 1 + (index % 3); restart++) {
    for (let iteration = 1; iteration <= 2 + (index % 4); iteration++) {
      records.push({
        k: 2 + (index % 2),
        restart,
        iteration,
        centroidShift: 1 / (index + restart * iteration + 1),
        inertia: 100 + index / 8 + 1 / (iteration * 3),
        clusterSizes: [75 - index + iteration, 75 + index - iteration],
      });
    }
  }
  return records;
}
