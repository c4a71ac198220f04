import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { ModelRunRecord, RunStatus } from '../../../../src/modules/run/run.record';
import { createRunUpdateChannel, type RunEventTarget } from '../../../../src/modules/run/run-update-channel';
import { runRecord } from '../../../support/runs';

const state = (base: ModelRunRecord, status: RunStatus, iteration: number): ModelRunRecord => ({ ...base, status, progress: { ...base.progress, iteration } });

/** A channel without Redis over a fake runs table; every findByIds call is recorded. setTimeout is mocked: ticks happen when the test says. */
function polledChannel(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const table = new Map<string, ModelRunRecord>();
  const calls: string[][] = [];
  const errors: unknown[] = [];
  let failNext = 0;
  const channel = createRunUpdateChannel({
    runs: {
      findByIds: (ids) => {
        calls.push([...ids]);
        if (failNext > 0) {
          failNext -= 1;
          return Promise.reject(new Error('database away'));
        }
        return Promise.resolve(ids.flatMap((id) => (table.has(id) ? [table.get(id)!] : [])));
      },
    },
    prefix: 'test:',
    pollMs: 1_000,
    onError: (error) => errors.push(error),
  });
  const tick = async () => {
    t.mock.timers.tick(1_000);
    // The read and its publishing run on promises: let them settle.
    for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  };
  return { channel, table, calls, errors, tick, failTimes: (times: number) => (failNext = times) };
}

describe('createRunUpdateChannel without Redis: polling the runs this replica’s subscribers follow', () => {
  it('listens from subscribe(): an update published before the first next() is delivered', async (t) => {
    const { channel } = polledChannel(t);
    const run = runRecord('d');
    const updates = await channel.subscribe(run.id);
    channel.publish(state(run, 'RUNNING', 3));
    assert.deepStrictEqual((await updates.next()).value, state(run, 'RUNNING', 3));
    await updates.return?.();
  });

  it('one findByIds per tick for every followed id, none while nobody follows; only changed runs are published', async (t) => {
    const { channel, table, calls, tick } = polledChannel(t);
    const [first, second] = [runRecord('d'), runRecord('d')];
    table.set(first.id, state(first, 'RUNNING', 1));
    table.set(second.id, state(second, 'QUEUED', 0));

    await tick();
    assert.deepEqual(calls, [], 'nobody follows: no query');
    const firstUpdates = await channel.subscribe(first.id);
    const secondUpdates = await channel.subscribe(second.id);
    await tick();
    assert.deepEqual(calls, [[first.id, second.id]]);
    assert.deepStrictEqual((await firstUpdates.next()).value, state(first, 'RUNNING', 1));
    assert.deepStrictEqual((await secondUpdates.next()).value, state(second, 'QUEUED', 0));

    // Unchanged first, changed second: only the second is published.
    table.set(second.id, state(second, 'RUNNING', 4));
    await tick();
    assert.deepEqual(calls.length, 2);
    const pendingFirst = firstUpdates.next();
    assert.deepStrictEqual((await secondUpdates.next()).value, state(second, 'RUNNING', 4));
    table.set(first.id, state(first, 'SUCCEEDED', 9));
    await tick();
    assert.deepStrictEqual((await pendingFirst).value, state(first, 'SUCCEEDED', 9));

    // Unfollowed runs are no longer read; with none left, polling stops.
    await firstUpdates.return?.();
    await tick();
    assert.deepEqual(calls.at(-1), [second.id]);
    await secondUpdates.return?.();
    const before = calls.length;
    await tick();
    await tick();
    assert.equal(calls.length, before);
    await channel.stop();
  });

  it('a failing read is reported once per streak, and polling goes on', async (t) => {
    const { channel, table, errors, tick, failTimes } = polledChannel(t);
    const run = runRecord('d');
    table.set(run.id, state(run, 'RUNNING', 2));
    const updates = await channel.subscribe(run.id);
    failTimes(3);
    await tick();
    await tick();
    await tick();
    assert.equal(errors.length, 1);
    await tick();
    assert.deepStrictEqual((await updates.next()).value, state(run, 'RUNNING', 2));
    await updates.return?.();
    await channel.stop();
  });
});

/** An in-memory stand-in for the Redis event target: records listeners added and removed; `deliver: false` drops every message (Redis away). */
function fakeSharedTarget(deliver = true) {
  const target = new EventTarget();
  const added: string[] = [];
  const removed: string[] = [];
  const eventTarget = {
    addEventListener: (type: string, listener: (event: Event) => void) => (added.push(type), target.addEventListener(type, listener)),
    removeEventListener: (type: string, listener: (event: Event) => void) => (removed.push(type), target.removeEventListener(type, listener)),
    dispatchEvent: (event: Event) => (deliver ? target.dispatchEvent(event) : true),
  } as unknown as RunEventTarget;
  return { eventTarget, added, removed };
}

function sharedChannel(eventTarget: RunEventTarget) {
  return createRunUpdateChannel({
    runs: { findByIds: () => Promise.resolve([]) },
    prefix: 'test:',
    shared: { eventTarget, listening: () => Promise.resolve() },
    pollMs: 1_000,
    onError: (error) => assert.fail(String(error)),
  });
}

describe('createRunUpdateChannel with a shared transport', () => {
  it('two subscribers of one run on a replica share one transport subscription, both get another replica’s update, and the last to leave ends it', async () => {
    const { eventTarget, added, removed } = fakeSharedTarget();
    const [here, elsewhere] = [sharedChannel(eventTarget), sharedChannel(eventTarget)];
    const run = runRecord('d');
    const [first, second] = [await here.subscribe(run.id), await here.subscribe(run.id)];
    assert.deepEqual(added, [`test:run-updated:${run.id}`]);
    elsewhere.publish(state(run, 'RUNNING', 7));
    assert.deepStrictEqual((await first.next()).value, state(run, 'RUNNING', 7));
    assert.deepStrictEqual((await second.next()).value, state(run, 'RUNNING', 7));
    await first.return?.();
    assert.deepEqual(removed, []);
    await second.return?.();
    assert.deepEqual(removed, [`test:run-updated:${run.id}`]);
  });

  it('this replica’s own update reaches its subscribers even when the transport delivers nothing', async () => {
    const { eventTarget } = fakeSharedTarget(false);
    const channel = sharedChannel(eventTarget);
    const run = runRecord('d');
    const updates = await channel.subscribe(run.id);
    channel.publish(state(run, 'SUCCEEDED', 12));
    assert.deepStrictEqual((await updates.next()).value, state(run, 'SUCCEEDED', 12));
    await updates.return?.();
  });
});
