import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { RunsWithDatasetsDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, fewestStatements, runRecord } from '../../support/runs';

/**
 * A page of runs with their datasets costs one SQL statement, whatever the number of runs: the page
 * reads its runs' datasets by a LEFT JOIN and hands them to the request's dataset loader, so nothing
 * else in the request reads them again.
 */
describe('modelRuns with each run’s dataset, metrics and centroids', () => {
  let server: TestServer;
  const DATASETS = ['demo-iris', 'demo-station-readings'];

  before(async () => {
    // No heartbeat during the test: only the request's own statements are counted.
    // No response cache: a query asked again executes, and its statements are what is counted.
    server = await startTestServer({ RUN_HEARTBEAT_MS: '600000', GRAPHQL_CACHE_MS: '0' });
    const repository = new RunRepository(server.app.datastore);
    const base = Date.UTC(2025, 0, 1);
    for (let index = 0; index < 50; index++) {
      const createdAt = new Date(base + index * 60_000);
      const finishedAt = new Date(createdAt.getTime() + 1_000);
      await repository.insert(
        runRecord(DATASETS[index % 2]!, {
          status: 'SUCCEEDED',
          createdAt,
          startedAt: createdAt,
          finishedAt,
          heartbeatAt: finishedAt,
          metrics: {
            inertia: 100 + index,
            silhouette: 0.5,
            silhouetteSampled: false,
            silhouetteSampleSize: 150,
            daviesBouldin: 0.7,
            calinskiHarabasz: 500,
            iterations: 5,
            converged: true,
            timings: { readMs: 1, prepareMs: 1, clusterMs: 1, scoreMs: 1, publishMs: null },
          },
          centroids: [
            { cluster: 0, original: [1, 2], scaled: [0.1, 0.2] },
            { cluster: 1, original: [3, 4], scaled: [0.3, 0.4] },
          ],
          clusterSizes: [75, 75],
        }),
      );
    }
  });
  after(async () => {
    await server?.stop();
  });

  /** Sends the query for `first` runs; returns the statements it cost and its runs. */
  async function measured(first: number) {
    const { statements, result } = await fewestStatements(server, () => server.graphql(RunsWithDatasetsDocument, { first }));
    return { statements, edges: dataOf(result, 'modelRuns').modelRuns.edges };
  }

  it('answers 50 runs with their dataset names, inertia and centroids in one SQL statement', async () => {
    const { statements, edges } = await measured(50);
    assert.equal(edges.length, 50);
    // Newest first: the last inserted run (index 49, station_readings) leads.
    assert.equal(edges[0]?.node.metrics?.inertia, 149);
    assert.deepEqual(new Set(edges.map(({ node }) => node.dataset?.name)), new Set(['iris', 'station_readings']));
    assert.ok(edges.every(({ node }) => node.centroids?.map((centroid) => centroid.cluster).join() === '0,1'));
    assert.equal(statements, 1);
  });

  it('costs the same number of statements for 10 runs as for 50', async () => {
    const ten = await measured(10);
    const fifty = await measured(50);
    assert.equal(ten.edges.length, 10);
    assert.equal(fifty.edges.length, 50);
    assert.equal(fifty.statements, ten.statements);
  });
});
