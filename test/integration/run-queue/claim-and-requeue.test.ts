import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import { createLogger } from '../../../src/logging/logger';
import { RunEvents } from '../../../src/modules/run/run.events';
import type { RunExecutor } from '../../../src/modules/run/run-executor';
import { RunLifecycle } from '../../../src/modules/run/run-lifecycle';
import type { ModelRunRecord } from '../../../src/modules/run/run.record';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { openRoundTripStore, ROUND_TRIP_TARGETS, type RoundTripStore } from '../../support/round-trip-targets';
import { runRecord } from '../../support/runs';

/**
 * The database as the run queue, on every dialect (H2 in Oracle mode for Oracle and Tibero): the oldest
 * QUEUED runs are found, a claim by conditional UPDATE is won by exactly one replica, a dead owner's
 * run goes back to the queue only while that owner still holds it stale, and after RUN_MAX_ATTEMPTS
 * claims it ends INTERRUPTED. Every run row is read back and compared field by field.
 */
const at = (iso: string) => new Date(iso);
const queued = (id: string, createdAt: string) => runRecord('ds-queue', { id, status: 'QUEUED', owner: null, heartbeatAt: null, createdAt: at(createdAt) });
const state = (run: ModelRunRecord | undefined) => [
  run?.status,
  run?.owner,
  run?.attempts,
  run?.startedAt?.toISOString() ?? null,
  run?.heartbeatAt?.toISOString() ?? null,
  run?.error?.code ?? null,
];

/** A lifecycle of replica 'this-replica' (3 claims a run) over `runs`, with a claimer and an executor that only report. */
function lifecycleOf(
  runs: RunRepository,
  hooks: { wake?: () => void; cancel?: (id: string) => void; events?: RunEvents; requeued: (run: ModelRunRecord) => void },
): RunLifecycle {
  return new RunLifecycle({
    runs,
    claimer: { start: () => undefined, stop: () => Promise.resolve(), wake: hooks.wake ?? (() => undefined), whenIdle: () => Promise.resolve() },
    executor: { stop: () => undefined, cancel: (id: string) => (hooks.cancel?.(id), true) } as unknown as RunExecutor,
    events: hooks.events ?? new RunEvents(),
    tracer: { requeued: hooks.requeued },
    logger: createLogger('silent'),
    owner: 'this-replica',
    heartbeatMs: 60_000,
    maxAttempts: 3,
  });
}

for (const target of ROUND_TRIP_TARGETS) {
  describe(`run queue on ${target.name}`, () => {
    let store: RoundTripStore;
    let runs: RunRepository;
    const read = async (id: string) => (await runs.findByIds([id]))[0];

    before(async () => {
      store = await openRoundTripStore(target, 'rq_');
      await migrate(store.datastore, APP_MIGRATIONS);
      runs = new RunRepository(store.datastore);
    });
    beforeEach(async () => {
      const q = (name: string) => store.datastore.dialect.quoteIdentifier(name);
      await store.datastore.execute({ sql: `DELETE FROM ${q('ai_model_run')}`, parameters: [], kind: 'delete' });
    });
    after(async () => {
      await store?.close();
    });

    it('the oldest queued runs come first; of two replicas claiming the same run one wins, and the row names it with attempt 1', async () => {
      await runs.insert(queued('run-c', '2026-05-01T10:00:02.000Z'));
      await runs.insert(queued('run-b', '2026-05-01T10:00:01.000Z'));
      await runs.insert(queued('run-a', '2026-05-01T10:00:01.000Z'));
      await runs.insert(runRecord('ds-queue', { id: 'run-old-done', status: 'SUCCEEDED', createdAt: at('2026-05-01T09:00:00.000Z') }));
      assert.deepEqual(await runs.oldestQueued(2), ['run-a', 'run-b'], 'by creation time, then id');
      assert.equal(await runs.countQueued(), 3);

      const claimedAt = at('2026-05-01T10:00:05.123Z');
      const results = await Promise.all([runs.claim('run-a', 'replica-1', claimedAt), runs.claim('run-a', 'replica-2', claimedAt)]);
      assert.deepEqual(
        results.filter((won) => won),
        [true],
        'exactly one claim wins',
      );
      const winner = results[0] ? 'replica-1' : 'replica-2';
      assert.deepEqual(state(await read('run-a')), ['RUNNING', winner, 1, claimedAt.toISOString(), claimedAt.toISOString(), null]);
      assert.equal(await runs.claim('run-a', 'replica-3', claimedAt), false, 'a running run is not claimed again');
      assert.equal(await runs.claim('run-old-done', 'replica-3', claimedAt), false, 'nor a finished one');
      assert.deepEqual(await runs.oldestQueued(5), ['run-b', 'run-c']);
      assert.equal(await runs.countQueued(), 2);
    });

    it('three replicas claiming 12 queued runs side by side: each run is claimed exactly once', async () => {
      const ids = Array.from({ length: 12 }, (_, index) => `run-${String(index).padStart(2, '0')}`);
      for (const [index, id] of ids.entries()) await runs.insert(queued(id, new Date(Date.parse('2026-05-02T00:00:00.000Z') + index).toISOString()));
      const claimedBy = new Map<string, string[]>();
      const replica = async (owner: string) => {
        for (;;) {
          const next = await runs.oldestQueued(2);
          if (next.length === 0) return;
          for (const id of next) if (await runs.claim(id, owner, new Date())) claimedBy.set(id, [...(claimedBy.get(id) ?? []), owner]);
        }
      };
      await Promise.all(['replica-1', 'replica-2', 'replica-3'].map(replica));
      assert.deepEqual([...claimedBy.keys()].sort(), ids);
      for (const id of ids) {
        const run = await read(id);
        assert.deepEqual([run?.status, run?.attempts, [run?.owner]], ['RUNNING', 1, claimedBy.get(id)], id);
      }
    });

    it("a dead owner's run is requeued only while that owner holds it stale, then claimed again as attempt 2 with its progress reset", async () => {
      const claimedAt = at('2026-05-03T08:00:00.250Z');
      await runs.insert(queued('run-r', '2026-05-03T07:59:00.000Z'));
      assert.equal(await runs.claim('run-r', 'dead-replica', claimedAt), true);
      assert.equal(
        await runs.recordProgress(
          'run-r',
          { iteration: 9, maxIterations: 300, lastShift: 0.5, fraction: 9 / 300, rowsRead: 4_000, rowsPerSecond: 2_000 },
          claimedAt,
          'dead-replica',
        ),
        true,
        'the first attempt got somewhere',
      );

      assert.equal(await runs.requeue('run-r', 'other-replica', at('2026-05-03T08:01:00.000Z')), false, 'another owner');
      assert.equal(await runs.requeue('run-r', 'dead-replica', claimedAt), false, 'a beat exactly at the bound is not stale');
      assert.deepEqual(state(await read('run-r')), ['RUNNING', 'dead-replica', 1, claimedAt.toISOString(), claimedAt.toISOString(), null]);
      assert.deepEqual(
        (await runs.findStale(at('2026-05-03T08:01:00.000Z'))).map((run) => run.id),
        ['run-r'],
      );

      assert.equal(await runs.requeue('run-r', 'dead-replica', at('2026-05-03T08:01:00.000Z')), true);
      assert.deepEqual(state(await read('run-r')), ['QUEUED', null, 1, null, claimedAt.toISOString(), null]);
      assert.deepEqual(await runs.findStale(at('2026-05-03T08:01:00.000Z')), [], "a queued run is no one's: never stale");
      assert.equal(await runs.requeue('run-r', 'dead-replica', at('2026-05-03T08:01:00.000Z')), false, 'requeued once');

      const againAt = at('2026-05-03T08:01:01.500Z');
      assert.equal(await runs.claim('run-r', 'live-replica', againAt), true);
      const again = await read('run-r');
      assert.deepEqual(state(again), ['RUNNING', 'live-replica', 2, againAt.toISOString(), againAt.toISOString(), null]);
      assert.deepEqual(
        [again?.progress.iteration, again?.progress.lastShift, again?.progress.rowsRead, again?.progress.rowsPerSecond],
        [0, null, null, null],
        "the new attempt's progress starts from nothing",
      );
    });

    it('a former owner can neither record progress on nor end a run requeued and claimed by another; the new owner can', async () => {
      const firstClaim = at('2026-05-04T09:00:00.000Z');
      await runs.insert(queued('run-moved', '2026-05-04T08:59:00.000Z'));
      assert.equal(await runs.claim('run-moved', 'stalled-replica', firstClaim), true);
      assert.equal(await runs.requeue('run-moved', 'stalled-replica', at('2026-05-04T09:01:00.000Z')), true);
      const lateBeat = at('2026-05-04T09:01:30.000Z');
      assert.equal(
        await runs.recordProgress('run-moved', { iteration: 9, maxIterations: 300, lastShift: 0.5, fraction: 9 / 300 }, lateBeat, 'stalled-replica'),
        false,
        'queued again: not RUNNING',
      );
      const secondClaim = at('2026-05-04T09:02:00.000Z');
      assert.equal(await runs.claim('run-moved', 'new-replica', secondClaim), true);

      assert.equal(
        await runs.recordProgress('run-moved', { iteration: 9, maxIterations: 300, lastShift: 0.5, fraction: 9 / 300 }, lateBeat, 'stalled-replica'),
        false,
        'claimed elsewhere',
      );
      assert.equal(
        await runs.transition('run-moved', ['RUNNING'], 'FAILED', { finished_at: lateBeat, error_code: 'INTERNAL' }, undefined, 'stalled-replica'),
        false,
      );
      assert.deepEqual(state(await read('run-moved')), ['RUNNING', 'new-replica', 2, secondClaim.toISOString(), secondClaim.toISOString(), null]);

      const beat = at('2026-05-04T09:02:01.250Z');
      assert.equal(await runs.recordProgress('run-moved', { iteration: 4, maxIterations: 300, lastShift: 0.25, fraction: 4 / 300 }, beat, 'new-replica'), true);
      const finished = at('2026-05-04T09:03:00.000Z');
      assert.equal(await runs.transition('run-moved', ['RUNNING'], 'SUCCEEDED', { finished_at: finished }, undefined, 'new-replica'), true);
      const ended = await read('run-moved');
      assert.deepEqual(
        [...state(ended), ended?.progress.iteration, ended?.finishedAt?.toISOString()],
        ['SUCCEEDED', 'new-replica', 2, secondClaim.toISOString(), beat.toISOString(), null, 4, finished.toISOString()],
      );
    });

    it('a run is given back to the queue only by its owner, only while RUNNING and with claims left; the claim stays counted', async () => {
      const claimedAt = at('2026-05-05T10:00:00.500Z');
      await runs.insert(queued('run-g', '2026-05-05T09:59:00.000Z'));
      await runs.insert(queued('run-q', '2026-05-05T09:59:30.000Z'));
      assert.equal(await runs.claim('run-g', 'replica-1', claimedAt), true);
      assert.equal(await runs.giveBack('run-g', 'replica-2', 3), false, 'another owner');
      assert.equal(await runs.giveBack('run-g', 'replica-1', 1), false, 'its one claim (RUN_MAX_ATTEMPTS 1) is spent');
      assert.deepEqual(state(await read('run-g')), ['RUNNING', 'replica-1', 1, claimedAt.toISOString(), claimedAt.toISOString(), null]);
      assert.equal(await runs.giveBack('run-g', 'replica-1', 2), true);
      assert.deepEqual(state(await read('run-g')), ['QUEUED', null, 1, null, claimedAt.toISOString(), null]);
      assert.equal(await runs.giveBack('run-g', 'replica-1', 2), false, 'given back once');
      assert.equal(await runs.giveBack('run-q', 'replica-1', 2), false, 'a queued run is no one to give back');
      const againAt = at('2026-05-05T10:00:02.000Z');
      assert.equal(await runs.claim('run-g', 'replica-2', againAt), true);
      assert.deepEqual(state(await read('run-g')), ['RUNNING', 'replica-2', 2, againAt.toISOString(), againAt.toISOString(), null]);
    });

    it("a graceful stop gives this replica's running runs with claims left back to the queue and fails one on its last claim INTERRUPTED; others' runs and queued runs are left alone", async () => {
      const now = new Date();
      const mine = { status: 'RUNNING' as const, owner: 'this-replica', heartbeatAt: now, startedAt: now };
      await runs.insert(runRecord('ds-queue', { ...mine, id: 'mine-1', attempts: 1 }));
      await runs.insert(runRecord('ds-queue', { ...mine, id: 'mine-3', attempts: 3 }));
      await runs.insert(runRecord('ds-queue', { id: 'theirs', status: 'RUNNING', owner: 'alive', attempts: 1, heartbeatAt: now, startedAt: now }));
      await runs.insert(queued('waiting', '2020-01-01T00:00:00.000Z'));
      const cancelled: string[] = [];
      const traced: [string, number, string | null][] = [];
      const reported: string[] = [];
      const events = new RunEvents();
      events.on('changed', (id) => Promise.resolve(void reported.push(`changed ${id}`)));
      events.on('ended', (id) => Promise.resolve(void reported.push(`ended ${id}`)));
      const lifecycle = lifecycleOf(runs, {
        cancel: (id) => void cancelled.push(id),
        events,
        requeued: (run) => void traced.push([run.id, run.attempts, run.owner]),
      });
      await lifecycle.start();
      await lifecycle.stop(0);

      assert.deepEqual(state(await read('mine-1')), ['QUEUED', null, 1, null, now.toISOString(), null]);
      const interrupted = await read('mine-3');
      assert.deepEqual(
        [interrupted?.status, interrupted?.owner, interrupted?.attempts, interrupted?.error?.code, interrupted?.error?.message],
        ['FAILED', 'this-replica', 3, 'INTERRUPTED', 'The server shut down while the run was running, on its last attempt (3 of 3)'],
      );
      assert.deepEqual(state(await read('theirs')), ['RUNNING', 'alive', 1, now.toISOString(), now.toISOString(), null]);
      assert.deepEqual(state(await read('waiting')), ['QUEUED', null, 0, null, null, null]);
      assert.deepEqual(cancelled.sort(), ['mine-1', 'mine-3'], 'both computations stopped here');
      assert.deepEqual(traced, [['mine-1', 1, 'this-replica']], 'run-requeued traced with the attempts made');
      assert.deepEqual(reported.sort(), ['changed mine-1', 'ended mine-3']);
    });

    it('the lifecycle requeues a stale run with claims left and fails one on its last claim INTERRUPTED; live and queued runs are left alone', async () => {
      const longAgo = at('2020-01-01T00:00:00.000Z');
      await runs.insert(runRecord('ds-queue', { id: 'stale-1', status: 'RUNNING', owner: 'dead', attempts: 1, heartbeatAt: longAgo, startedAt: longAgo }));
      await runs.insert(runRecord('ds-queue', { id: 'stale-3', status: 'RUNNING', owner: 'dead', attempts: 3, heartbeatAt: longAgo, startedAt: longAgo }));
      const now = new Date();
      await runs.insert(runRecord('ds-queue', { id: 'live', status: 'RUNNING', owner: 'alive', attempts: 1, heartbeatAt: now, startedAt: now }));
      await runs.insert(queued('waiting', '2020-01-01T00:00:00.000Z'));
      let wakes = 0;
      const traced: [string, number, string | null][] = [];
      const lifecycle = lifecycleOf(runs, { wake: () => void (wakes += 1), requeued: (run) => void traced.push([run.id, run.attempts, run.owner]) });
      await lifecycle.start();
      await lifecycle.stop(0);

      assert.deepEqual(state(await read('stale-1')), ['QUEUED', null, 1, null, longAgo.toISOString(), null]);
      const interrupted = await read('stale-3');
      assert.deepEqual([interrupted?.status, interrupted?.owner, interrupted?.attempts, interrupted?.error?.code], ['FAILED', 'dead', 3, 'INTERRUPTED']);
      assert.deepEqual(state(await read('live')), ['RUNNING', 'alive', 1, now.toISOString(), now.toISOString(), null]);
      assert.deepEqual(state(await read('waiting')), ['QUEUED', null, 0, null, null, null]);
      assert.equal(wakes, 1, 'the claimer is woken for the requeued run');
      assert.deepEqual(traced, [['stale-1', 1, 'dead']], 'run-requeued traced with the attempts made and the dead owner');
    });

    it("a publish whose server stopped gets publishError INTERRUPTED; a live owner's publish, kept fresh by its heartbeat, and a run publishing nothing are left alone", async () => {
      const longAgo = at('2020-01-01T00:00:00.000Z');
      const now = new Date();
      const succeeded = (id: string, owner: string, heartbeatAt: Date) =>
        runRecord('ds-queue', { id, status: 'SUCCEEDED', owner, attempts: 1, heartbeatAt, startedAt: longAgo, finishedAt: longAgo });
      await runs.insert(succeeded('publish-dead', 'dead', longAgo));
      await runs.insert(succeeded('publish-live', 'alive', now));
      await runs.insert(succeeded('publish-none', 'dead', longAgo));
      await runs.insert(succeeded('published-mine', 'this-replica', longAgo));
      await runs.insert(succeeded('publishing-mine', 'this-replica', longAgo));
      for (const id of ['publish-dead', 'publish-live', 'publishing-mine']) {
        assert.ok(await runs.transition(id, ['SUCCEEDED'], 'SUCCEEDED', { publishing_since: longAgo }));
      }
      // The heartbeat keeps this replica's publishing run fresh, not its finished ones.
      const beat = new Date(now.getTime() + 1_000);
      await runs.heartbeat('this-replica', beat);
      assert.equal((await read('publishing-mine'))?.heartbeatAt?.toISOString(), beat.toISOString());
      assert.equal((await read('published-mine'))?.heartbeatAt?.toISOString(), longAgo.toISOString());

      const changed: string[] = [];
      const events = new RunEvents();
      events.on('changed', (id: string) => {
        changed.push(id);
        return Promise.resolve();
      });
      const lifecycle = lifecycleOf(runs, { events, requeued: () => undefined });
      await lifecycle.start();
      await lifecycle.stop(0);

      const dead = await read('publish-dead');
      assert.equal(dead?.status, 'SUCCEEDED');
      assert.equal(dead?.outcomesPublishedAt, null);
      assert.equal(dead?.publishError?.code, 'INTERRUPTED');
      assert.match(dead?.publishError?.message ?? '', /stopped before it ended \(no heartbeat since 2020-01-01T00:00:00\.000Z\); none of them were written/);
      for (const id of ['publish-live', 'publish-none', 'publishing-mine', 'published-mine']) assert.equal((await read(id))?.publishError, null, id);
      assert.deepEqual(changed, ['publish-dead']);
      // Recorded once: its column is cleared, so a later pass finds only the publishes still in progress.
      assert.deepEqual((await runs.findStalePublishes(new Date(now.getTime() + 60_000))).map((run) => run.id).sort(), ['publish-live', 'publishing-mine']);
    });
  });
}
