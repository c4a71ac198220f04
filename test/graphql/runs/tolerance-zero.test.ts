import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelRunResultDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, startInput, waitForRun } from '../../support/runs';

/** tolerance: 0 is scikit-learn's tol=0: iterate until no centroid moves. On the embedded default. */
describe('startModelRun with tolerance: 0', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ RUN_HEARTBEAT_MS: '600000' });
  });
  after(async () => {
    await server?.stop();
  });

  const run = async (tolerance: number) => {
    const input = startInput({
      datasetId: 'demo-iris',
      k: 4,
      initialization: 'RANDOM',
      nInit: 1,
      maxIterations: 10_000,
      tolerance,
      seed: 11,
      publishOutcomes: false,
    });
    const started = dataOf(await server.graphql(StartModelRunDocument, { input }), 'startModelRun').startModelRun;
    assert.equal((await waitForRun(server, started.id)).status, 'SUCCEEDED');
    return dataOf(await server.graphql(ModelRunResultDocument, { id: started.id }), 'modelRun').modelRun!;
  };

  it('iris, k 4 from random rows: the run SUCCEEDS converged, its last iteration moved no centroid, and it stored tolerance 0', async () => {
    const result = await run(0);
    assert.equal(result.params.tolerance, 0);
    assert.equal(result.metrics?.converged, true);
    assert.equal(result.iterations?.at(-1)?.centroidShift, 0);
    assert.equal(result.metrics?.iterations, result.iterations?.length);
    // The same start with a loose tolerance stops sooner: 0 was not read as "the default".
    const loose = await run(0.5);
    assert.ok(loose.metrics!.iterations < result.metrics.iterations, `${loose.metrics!.iterations} < ${result.metrics.iterations}`);
  });
});
