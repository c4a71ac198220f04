import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/errors/app-error';
import { RunClaimer } from '../../../../src/modules/run/run-claimer';
import { RunEvents } from '../../../../src/modules/run/run.events';
import type { ModelRunRecord, RunStatus } from '../../../../src/modules/run/run.record';
import { runRecord } from '../../../support/runs';
import { eventually } from '../../telemetry/fixtures';

/**
 * RunClaimer over an in-memory queue standing in for ai_model_run (the SQL is tested on every database
 * in test/integration/run-queue/): at most RUN_CONCURRENCY runs at once, oldest first, a freed slot
 * claims the next; a run that cannot begin while the database is away is given back to the queue while it
 * has claims left (RUN_MAX_ATTEMPTS), and one that cannot begin for any other reason fails at once.
 */
interface Row {
  status: RunStatus;
  owner: string | null;
  attempts: number;
  errorCode?: unknown;
}

/** `failToBegin`: how many times each run fails to begin, and with what. */
function harness(concurrency: number, ids: string[], failToBegin = new Map<string, { times: number; error: Error }>(), maxAttempts = 3) {
  const rows = new Map<string, Row>(ids.map((id) => [id, { status: 'QUEUED', owner: null, attempts: 0 }]));
  const events: string[] = [];
  const reported = new RunEvents();
  reported.on('changed', (runId) => Promise.resolve(void events.push(`changed ${runId}`)));
  reported.on('ended', (runId) => Promise.resolve(void events.push(`ended ${runId}`)));
  const executing = new Map<string, () => void>();
  const log: string[] = [];
  const errors: (string | undefined)[] = [];
  const runs = {
    oldestQueued: (limit: number) => Promise.resolve(ids.filter((id) => rows.get(id)!.status === 'QUEUED').slice(0, limit)),
    claim: (id: string, owner: string) => {
      const row = rows.get(id)!;
      if (row.status !== 'QUEUED') return Promise.resolve(false);
      Object.assign(row, { status: 'RUNNING', owner, attempts: row.attempts + 1 });
      return Promise.resolve(true);
    },
    findByIds: (found: readonly string[]) =>
      Promise.resolve(found.map((id) => runRecord('ds', { id, status: rows.get(id)!.status, owner: rows.get(id)!.owner, attempts: rows.get(id)!.attempts }))),
    transition: (id: string, from: readonly RunStatus[], to: RunStatus, changes: Record<string, unknown> = {}, _executor?: unknown, owner?: string) => {
      const row = rows.get(id)!;
      if (!from.includes(row.status) || (owner !== undefined && row.owner !== owner)) return Promise.resolve(false);
      Object.assign(row, { status: to, ...('error_code' in changes ? { errorCode: changes.error_code } : {}) });
      return Promise.resolve(true);
    },
    giveBack: (id: string, owner: string, max: number) => {
      const row = rows.get(id)!;
      if (row.status !== 'RUNNING' || row.owner !== owner || row.attempts >= max) return Promise.resolve(false);
      Object.assign(row, { status: 'QUEUED', owner: null });
      return Promise.resolve(true);
    },
  };
  const claimer = new RunClaimer({
    runs: runs,
    execute: (run: ModelRunRecord) => {
      log.push(`start ${run.id}`);
      const failure = failToBegin.get(run.id);
      if (failure && failure.times > 0) {
        failure.times -= 1;
        return Promise.reject(failure.error);
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
    events: reported,
    tracer: { requeued: (run: ModelRunRecord) => void events.push(`traced requeued ${run.id} after ${run.attempts}`) },
    onError: (_error, runId) => errors.push(runId),
    owner: 'replica-1',
    concurrency,
    maxAttempts,
    pollMs: 60_000,
  });
  return { claimer, rows, executing, log, errors, events };
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
    await claimer.stop();
    assert.deepEqual(log, ['start r1', 'start r2', 'end r1', 'start r3', 'end r2', 'start r4', 'end r3', 'end r4']);
    assert.deepEqual(
      [...rows.values()].map((row) => [row.status, row.owner]),
      Array(4).fill(['SUCCEEDED', 'replica-1']),
    );
  });

  it('a claimed run that cannot begin while the database is away goes back to the queue unowned and is claimed again', async () => {
    const unavailable = new AppError('DB_UNAVAILABLE', 'the database cannot be reached');
    const { claimer, executing, log, rows, errors, events } = harness(1, ['r1'], new Map([['r1', { times: 1, error: unavailable }]]));
    claimer.start();
    await eventually(() => executing.has('r1'), 'r1 executing on its second claim');
    assert.deepEqual(log, ['start r1', 'start r1']);
    assert.deepEqual(errors, ['r1']);
    assert.deepEqual(events, ['traced requeued r1 after 1', 'changed r1']);
    assert.deepEqual(rows.get('r1'), { status: 'RUNNING', owner: 'replica-1', attempts: 2 });
    executing.get('r1')!();
    await claimer.whenIdle();
    await claimer.stop();
  });

  it('a run that never begins while the database is away is claimed RUN_MAX_ATTEMPTS (3) times, then FAILED with DB_UNAVAILABLE, not looped', async () => {
    const unavailable = new AppError('DB_UNAVAILABLE', 'the database cannot be reached');
    const { claimer, log, rows, events } = harness(1, ['r1'], new Map([['r1', { times: Infinity, error: unavailable }]]));
    claimer.start();
    await eventually(() => rows.get('r1')!.status === 'FAILED', 'r1 failed');
    await claimer.whenIdle();
    await claimer.stop();
    assert.deepEqual(log, ['start r1', 'start r1', 'start r1']);
    assert.deepEqual(rows.get('r1'), { status: 'FAILED', owner: 'replica-1', attempts: 3, errorCode: 'DB_UNAVAILABLE' });
    assert.deepEqual(events, ['traced requeued r1 after 1', 'changed r1', 'traced requeued r1 after 2', 'changed r1', 'ended r1']);
  });

  it('a run that cannot begin for a cause a retry cannot fix is FAILED with its code on its first claim', async () => {
    const gone = new AppError('CONFLICT', 'Dataset ds was deleted while the run was queued');
    const { claimer, log, rows, events } = harness(1, ['r1', 'r2'], new Map([['r1', { times: Infinity, error: gone }]]));
    claimer.start();
    await eventually(() => rows.get('r1')!.status === 'FAILED' && log.includes('start r2'), 'r1 failed and r2 started');
    assert.deepEqual(rows.get('r1'), { status: 'FAILED', owner: 'replica-1', attempts: 1, errorCode: 'CONFLICT' });
    assert.deepEqual(events, ['ended r1']);
    assert.deepEqual(log, ['start r1', 'start r2']);
    await claimer.stop();
  });
});

describe('RunClaimer.stop', () => {
  it('resolves only once a claim under way has settled, so a shutdown that then looks for its runs finds the run it just claimed', async () => {
    let settleClaim: (won: boolean) => void = () => undefined;
    const steps: string[] = [];
    const claimer = new RunClaimer({
      runs: {
        oldestQueued: () => Promise.resolve(['r1']),
        claim: () => {
          steps.push('claim sent');
          return new Promise<boolean>((resolve) => (settleClaim = resolve));
        },
        findByIds: () => new Promise<ModelRunRecord[]>(() => undefined),
        transition: () => Promise.resolve(false),
        giveBack: () => Promise.resolve(false),
      },
      execute: () => Promise.resolve(),
      events: new RunEvents(),
      tracer: { requeued: () => undefined },
      onError: () => undefined,
      owner: 'replica-1',
      concurrency: 1,
      maxAttempts: 3,
      pollMs: 60_000,
    });
    claimer.start();
    await eventually(() => steps.length === 1, 'the claim sent');
    const stopped = claimer.stop().then(() => steps.push('stopped'));
    await new Promise((resolve) => setImmediate(resolve));
    steps.push('claim won');
    settleClaim(true);
    await stopped;
    assert.deepEqual(steps, ['claim sent', 'claim won', 'stopped']);
  });
});
