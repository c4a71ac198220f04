import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { StartModelRunDocument } from '../../generated/graphql';
import { startTestServer } from '../../support/app-harness';
import { dataOf, runRecord, runState, startInput, waitForRun } from '../../support/runs';

/** ModelRun.attempts: the claims a run got, so a client sees retries; rows older than the column read 0. */
describe('ModelRun.attempts', () => {
  it('reads 0 for a run never claimed and for an older row whose attempts is NULL, 2 for a run claimed twice, 1 for a run that ran once', async () => {
    const server = await startTestServer({ RUN_HEARTBEAT_MS: '600000' });
    try {
      const runs = new RunRepository(server.app.datastore);
      const ended = new Date();
      const neverClaimed = runRecord('demo-iris', { status: 'CANCELLED', owner: null, attempts: 0, finishedAt: ended });
      const olderRow = runRecord('demo-iris', { status: 'CANCELLED', owner: null, attempts: 1, finishedAt: ended });
      const claimedTwice = runRecord('demo-iris', { status: 'FAILED', attempts: 2, finishedAt: ended, error: { code: 'INTERRUPTED', message: 'stopped' } });
      for (const record of [neverClaimed, olderRow, claimedTwice]) await runs.insert(record);
      const q = (name: string) => server.app.datastore.dialect.quoteIdentifier(name);
      await server.app.datastore.execute({
        sql: `UPDATE ${q('ai_model_run')} SET ${q('attempts')} = NULL WHERE ${q('id')} = ?`,
        parameters: [olderRow.id],
        kind: 'update',
      });
      const ranOnce = dataOf(
        await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 3, seed: 5 }) }),
        'start',
      ).startModelRun;
      assert.equal(ranOnce.attempts, 0, 'queued, not yet claimed');
      assert.equal((await waitForRun(server, ranOnce.id)).status, 'SUCCEEDED');

      const attempts = [];
      for (const id of [neverClaimed.id, olderRow.id, claimedTwice.id, ranOnce.id]) attempts.push((await runState(server, id)).attempts);
      assert.deepEqual(attempts, [0, 0, 2, 1]);
    } finally {
      await server.stop();
    }
  });
});
