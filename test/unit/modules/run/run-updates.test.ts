import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPubSub } from '@graphql-yoga/subscription';
import { currentThenUpdates } from '../../../../src/modules/run/run-updates';
import type { ModelRunRecord, RunStatus } from '../../../../src/modules/run/run.record';
import { runRecord } from '../../../support/runs';

const MODEL_RUN_UPDATED = 'MODEL_RUN_UPDATED';
const createRunPubSub = () => createPubSub<{ [MODEL_RUN_UPDATED]: [id: string, run: ModelRunRecord] }>();
const state = (base: ModelRunRecord, status: RunStatus, iteration: number): ModelRunRecord => ({ ...base, status, progress: { ...base.progress, iteration } });
const seen = (runs: readonly ModelRunRecord[]) => runs.map((run) => [run.status, run.progress.iteration]);

describe('currentThenUpdates (what modelRunUpdated sends)', () => {
  it('sends the current state, skips updates not newer than the last sent, and ends after the terminal state', async () => {
    const pubSub = createRunPubSub();
    const run = runRecord('d');
    const updates = pubSub.subscribe(MODEL_RUN_UPDATED, run.id);
    const stream = currentThenUpdates(state(run, 'RUNNING', 10), updates);
    const received: ModelRunRecord[] = [];
    const reading = (async () => {
      for await (const value of stream) received.push(value);
    })();
    await new Promise((resolve) => setImmediate(resolve));
    // Read before the current state (QUEUED, RUNNING 5, RUNNING 10 again), then newer ones, then one after the end.
    for (const [status, iteration] of [
      ['QUEUED', 0],
      ['RUNNING', 5],
      ['RUNNING', 10],
      ['RUNNING', 20],
      ['RUNNING', 15],
      ['SUCCEEDED', 30],
      ['SUCCEEDED', 31],
    ] as const) {
      pubSub.publish(MODEL_RUN_UPDATED, run.id, state(run, status, iteration));
    }
    await reading;
    assert.deepEqual(seen(received), [
      ['RUNNING', 10],
      ['RUNNING', 20],
      ['SUCCEEDED', 30],
    ]);
  });

  it('a run already ended: one state, then the end, without waiting for an update', async () => {
    const run = runRecord('d');
    const stream = currentThenUpdates(state(run, 'FAILED', 3), createRunPubSub().subscribe(MODEL_RUN_UPDATED, run.id));
    const received: ModelRunRecord[] = [];
    for await (const value of stream) received.push(value);
    assert.deepEqual(seen(received), [['FAILED', 3]]);
  });

  it('return() while waiting for an update that never comes ends at once, and the pending next() is done', async () => {
    const run = runRecord('d');
    const stream = currentThenUpdates(state(run, 'QUEUED', 0), createRunPubSub().subscribe(MODEL_RUN_UPDATED, run.id));
    assert.equal((await stream.next()).done, false);
    const pending = stream.next();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await stream.return!(), { done: true, value: undefined });
    assert.deepEqual(await pending, { done: true, value: undefined });
  });
});
