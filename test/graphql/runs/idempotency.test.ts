import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FormattedExecutionResult } from 'graphql';
import { StartModelRunDocument, type StartModelRunInput, type StartModelRunMutation } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { allRunIds, assertGraphqlError, dataOf, startInput, waitForRun } from '../../support/runs';

type Fields = Partial<StartModelRunInput>;

/**
 * startModelRun with an idempotencyKey: the same key with the same request is the same run; with
 * another request it is refused (IDEMPOTENCY_KEY_REUSED, naming the run); a replay takes no slot of
 * the per-caller rate limit. On the embedded default.
 */
describe('startModelRun idempotency keys', () => {
  let server: TestServer;
  let key = 0;
  const nextKey = () => `idempotency-test-${++key}`;
  const start = (fields: Fields): Promise<FormattedExecutionResult<StartModelRunMutation>> =>
    server.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', publishOutcomes: false, ...fields }) });
  const started = async (fields: Fields) => dataOf(await start(fields), 'startModelRun').startModelRun;
  /** The second request is refused with IDEMPOTENCY_KEY_REUSED naming the first's run, and writes nothing. */
  const assertReused = async (first: Fields, second: Fields, differences: string[]) => {
    const idempotencyKey = nextKey();
    const run = await started({ ...first, idempotencyKey });
    const runs = await allRunIds(server);
    const error = assertGraphqlError(
      await start({ ...second, idempotencyKey }),
      'IDEMPOTENCY_KEY_REUSED',
      new RegExp(`idempotencyKey "${idempotencyKey}" already started run ${run.id} with other parameters \\(${differences.join(', ')}\\)`),
    );
    assert.equal(error.extensions?.runId, run.id);
    assert.equal(error.extensions?.field, 'idempotencyKey');
    assert.deepEqual(error.extensions?.differences, differences);
    assert.deepEqual(await allRunIds(server), runs, 'no run written');
    await waitForRun(server, run.id);
  };
  /** The second request returns the first's run, and writes nothing. */
  const assertReplayed = async (first: Fields, second: Fields) => {
    const idempotencyKey = nextKey();
    const run = await started({ ...first, idempotencyKey });
    const runs = await allRunIds(server);
    const again = await started({ ...second, idempotencyKey });
    assert.equal(again.id, run.id);
    assert.equal(again.params.seed, run.params.seed);
    assert.deepEqual(await allRunIds(server), runs, 'no run written');
    await waitForRun(server, run.id);
  };

  before(async () => {
    server = await startTestServer({ RUN_HEARTBEAT_MS: '600000' });
  });
  after(async () => {
    await server?.stop();
  });

  it('a replay of the same request returns the same run', async () => {
    await assertReplayed({ k: 3, seed: 5 }, { k: 3, seed: 5 });
  });

  it('a replay with the seed left out both times is the same request, although a seed was drawn for the first', async () => {
    await assertReplayed({ k: 3 }, { k: 3 });
  });

  it('a default given explicitly is the same request as the default left out (maxIterations 300, STANDARD scaling)', async () => {
    await assertReplayed({ k: 3, seed: 1 }, { k: 3, seed: 1, maxIterations: 300, preparation: { missing: null, scaling: 'STANDARD' } });
  });

  it('the same key with another k is refused with IDEMPOTENCY_KEY_REUSED carrying the existing run’s id', async () => {
    await assertReused({ k: 3, seed: 5 }, { k: 4, seed: 5 }, ['k']);
  });

  it('the same key with another given seed, or with a seed given only the second time, is refused', async () => {
    await assertReused({ k: 3, seed: 5 }, { k: 3, seed: 6 }, ['seed']);
    await assertReused({ k: 3 }, { k: 3, seed: 6 }, ['seed']);
    await assertReused({ k: 3, seed: 6 }, { k: 3 }, ['seed']);
  });

  it('the same key with another dataset, or several other fields, is refused naming each', async () => {
    await assertReused({ k: 3, seed: 1 }, { datasetId: 'demo-station-readings', k: 3, seed: 1 }, ['datasetId']);
    await assertReused(
      { k: 3, seed: 1 },
      { k: null, kRange: { min: 2, max: 3 }, seed: 1, tolerance: 0, publishOutcomes: true, preparation: { missing: 'MEAN', scaling: null } },
      ['k', 'kRange', 'tolerance', 'preparation.missing', 'publishOutcomes'],
    );
  });

  it('two starts with one key and different k at the same time: one run, and the other call is refused with its id', async () => {
    const idempotencyKey = nextKey();
    const before = await allRunIds(server);
    const [a, b] = await Promise.all([start({ k: 3, seed: 1, idempotencyKey }), start({ k: 4, seed: 1, idempotencyKey })]);
    const [won, lost] = a.errors ? [b, a] : [a, b];
    const run = dataOf(won, 'the start that won').startModelRun;
    const error = assertGraphqlError(lost, 'IDEMPOTENCY_KEY_REUSED', /already started run/);
    assert.equal(error.extensions?.runId, run.id);
    assert.deepEqual(
      (await allRunIds(server)).filter((id) => !before.includes(id)),
      [run.id],
    );
    await waitForRun(server, run.id);
  });
});

describe('startModelRun idempotency keys and the rate limit (RATE_LIMIT_RUNS_PER_MINUTE=3)', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ RUN_HEARTBEAT_MS: '600000', RATE_LIMIT_RUNS_PER_MINUTE: '3' });
  });
  after(async () => {
    await server?.stop();
  });

  it('five replays of a start take no slot: two more new runs start, and only the third new one is RATE_LIMITED', async () => {
    const start = (fields: Fields) =>
      server.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 3, publishOutcomes: false, ...fields }) });
    const first = dataOf(await start({ seed: 1, idempotencyKey: 'rate-limited replay' }), 'the first start').startModelRun;
    for (let replay = 1; replay <= 5; replay++) {
      assert.equal(dataOf(await start({ seed: 1, idempotencyKey: 'rate-limited replay' }), `replay ${replay}`).startModelRun.id, first.id);
    }
    dataOf(await start({ seed: 2 }), 'the second new run');
    dataOf(await start({ seed: 3 }), 'the third new run');
    assertGraphqlError(await start({ seed: 4 }), 'RATE_LIMITED', /At most 3 model runs started per 60 s per caller/);
    // A replay is still answered once the limit is reached: it starts nothing.
    assert.equal(dataOf(await start({ seed: 1, idempotencyKey: 'rate-limited replay' }), 'a replay at the limit').startModelRun.id, first.id);
  });
});
