import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunClaimer } from '../../../../src/modules/run/run-claimer';
import type { ModelRunRecord, RunStatus } from '../../../../src/modules/run/run.record';
import { runRecord } from '../../../support/runs';
import { eventually } from '../../telemetry/fixtures';

/**
 * RunClaimer over an in-memory queue standing in for ai_model_run (the SQL is tested on every database
 * in test/integration/run-queue/): at most RUN_CONCURRENCY runs at once, oldest first, a freed slot
 * claims the next, and a run that cannot begin is given back to the queue.
 */
function harness(concurrency: number, ids: string[], failToBegin = new Set<string>()) {
  const rows = new Map<string, { status: RunStatus; owner: string | null }>(ids.map((id) => [id, { status: 'QUEUED', owner: null }]));
  const executing = new Map<string, () => void>();
  const log: string[] = [];
  const errors: (string | undefined)[] = [];
  const runs = {
    oldestQueued: (limit: number) => Promise.resolve(ids.filter((id) => rows.get(id)!.status === 'QUEUED').slice(0, limit)),
    claim: (id: string, owner: string) => {
      const row = rows.get(id)!;
      if (row.status !== 'QUEUED') return Promise.resolve(false);
      Object.assign(row, { status: 'RUNNING', owner });
      return Promise.resolve(true);
    },
    findByIds: (found: readonly string[]) =>
      Promise.resolve(found.map((id) => runRecord('ds', { id, status: rows.get(id)!.status, owner: rows.get(id)!.owner }))),
    transition: (id: string, from: readonly RunStatus[], to: RunStatus, changes: Record<string, unknown> = {}, _executor?: unknown, owner?: string) => {
      const row = rows.get(id)!;
      if (!from.includes(row.status) || (owner !== undefined && row.owner !== owner)) return Promise.resolve(false);
      Object.assign(row, { status: to, owner: 'owner' in changes ? changes.owner : row.owner });
      return Promise.resolve(true);
    },
  };
  const claimer = new RunClaimer({
    runs: runs,
    execute: (run: ModelRunRecord) => {
      log.push(`start ${run.id}`);
      if (failToBegin.has(run.id)) {
        failToBegin.delete(run.id);
        return Promise.reject(new Error('could not begin'));
      }
      return new Promise<void>((resolve) =>
        executing.set(run.id, () => {
          rows.get(run.id)!.status = 'SUCCEEDED';
          log.push(`end ${run.id}`);
          executing.delete(run.id);
          resolve();
        }),
      );
    },
    onError: (_error, runId) => errors.push(runId),
    owner: 'replica-1',
    concurrency,
    pollMs: 60_000,
  });
  return { claimer, rows, executing, log, errors };
}

describe('RunClaimer', () => {
  it('claims the two oldest of four queued runs with two slots, then the next one each time a run ends, in order', async () => {
    const { claimer, executing, log, rows } = harness(2, ['r1', 'r2', 'r3', 'r4']);
    claimer.start();
    await eventually(() => executing.size === 2, 'two runs executing');
    assert.deepEqual(log, ['start r1', 'start r2']);
    assert.equal(claimer.freeSlots, 0);
    executing.get('r1')!();
    await eventually(() => executing.has('r3'), 'r3 claimed after r1 ended');
    executing.get('r2')!();
    await eventually(() => executing.has('r4'), 'r4 claimed after r2 ended');
    executing.get('r3')!();
    executing.get('r4')!();
    await claimer.whenIdle();
    claimer.stop();
    assert.deepEqual(log, ['start r1', 'start r2', 'end r1', 'start r3', 'end r2', 'start r4', 'end r3', 'end r4']);
    assert.deepEqual(
      [...rows.values()].map((row) => [row.status, row.owner]),
      Array(4).fill(['SUCCEEDED', 'replica-1']),
    );
  });

  it('a claimed run that cannot begin goes back to the queue unowned and is claimed again', async () => {
    const { claimer, executing, log, rows, errors } = harness(1, ['r1'], new Set(['r1']));
    claimer.start();
    await eventually(() => executing.has('r1'), 'r1 executing on its second claim');
    assert.deepEqual(log, ['start r1', 'start r1']);
    assert.deepEqual(errors, ['r1']);
    assert.deepEqual(rows.get('r1'), { status: 'RUNNING', owner: 'replica-1' });
    executing.get('r1')!();
    await claimer.whenIdle();
    claimer.stop();
  });
});
