import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { startTestServer } from '../../support/app-harness';
import { pollUntil, runRecord, TERMINAL } from '../../support/runs';

/**
 * A claimed run that can never begin (its dataset's row is gone, deleted behind the API's back) ends at
 * once FAILED with a coded error on its first claim: it is not given back to the queue again and again.
 */
describe('a claimed run whose dataset vanished while it was queued', () => {
  it('is FAILED with CONFLICT on its first claim (attempts 1), not given back to the queue for ever', async () => {
    const server = await startTestServer({ RUN_HEARTBEAT_MS: '600000', RUN_MAX_ATTEMPTS: '3' });
    try {
      const runs = new RunRepository(server.app.datastore);
      const orphan = runRecord('dataset-deleted-behind-the-api', { status: 'QUEUED', owner: null, heartbeatAt: null });
      // Claimed by the server's next look at the queue (about once a second).
      await runs.insert(orphan);
      // Ends, or shows the loop: more claims than RUN_MAX_ATTEMPTS allows.
      const seen = await pollUntil(
        async () => (await runs.findByIds([orphan.id]))[0]!,
        (run) => TERMINAL.includes(run.status) || run.attempts > 3,
        'the run ending or being claimed past RUN_MAX_ATTEMPTS',
      );
      assert.deepEqual(
        [seen.status, seen.attempts, seen.error?.code, seen.error?.message, seen.owner === null, seen.finishedAt !== null],
        ['FAILED', 1, 'CONFLICT', 'Dataset dataset-deleted-behind-the-api was deleted while the run was queued', false, true],
      );
    } finally {
      await server.stop();
    }
  });
});
