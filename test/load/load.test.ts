import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLoad } from '../../bench/load';

// The short version of `npm run bench:load`: what it asserts is correctness under load (no error, no
// run lost), never a time. The long version's latencies and throughput are in bench/RESULTS.md.
describe('load (short): 10 clients for 5 s mixing reads with model runs, on the embedded default', () => {
  it('answers every request without an HTTP or GraphQL error, and every model run started reaches a terminal state', async (context) => {
    const result = await runLoad({ connections: 10, durationSeconds: 5, runs: 4, env: {} });
    context.diagnostic(JSON.stringify(result));
    assert.ok(result.requests > 0, 'requests were sent');
    assert.equal(result.httpErrors, 0);
    assert.equal(result.graphqlErrors, 0);
    assert.equal(result.runsStarted, 4);
    assert.equal(result.runsLost, 0);
    assert.equal(result.runsSucceeded, 4);
  });
});
