import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { AppError } from '../../../../src/errors/app-error';
import { RunScheduler } from '../../../../src/modules/run/run-scheduler';

/** A task the test finishes by hand; it records when it started. */
class ControlledTask {
  started = false;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  private readonly done: Promise<void>;

  constructor(
    readonly id: string,
    private readonly log: { started: string[]; running: number; peak: number },
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  readonly run = async (): Promise<void> => {
    this.started = true;
    this.log.started.push(this.id);
    this.log.running += 1;
    this.log.peak = Math.max(this.log.peak, this.log.running);
    try {
      await this.done;
    } finally {
      this.log.running -= 1;
    }
  };

  finish(): void {
    this.settle.resolve();
  }

  fail(error: unknown): void {
    this.settle.reject(error);
  }
}

function harness(concurrency: number, queueLimit: number) {
  const log = { started: [] as string[], running: 0, peak: 0 };
  const errors: { error: unknown; id: string }[] = [];
  const scheduler = new RunScheduler(concurrency, queueLimit, (error, id) => errors.push({ error, id }));
  const tasks = new Map<string, ControlledTask>();
  const submit = (id: string) => {
    const task = new ControlledTask(id, log);
    tasks.set(id, task);
    scheduler.submit(id, task.run);
    return task;
  };
  return { scheduler, log, errors, tasks, submit };
}

/** Lets promise callbacks (a finished task's .finally and the next start) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

const isQueueFull = (error: unknown) => error instanceof AppError && error.code === 'RUN_QUEUE_FULL';

describe('RunScheduler', () => {
  it('with concurrency 2, five tasks never run more than two at a time and all finish', async () => {
    const { scheduler, log, submit, tasks } = harness(2, 10);
    for (const id of ['a', 'b', 'c', 'd', 'e']) submit(id);
    assert.deepEqual(scheduler.state(), { running: 2, queued: 3, concurrency: 2, queueLimit: 10 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      tasks.get(id)!.finish();
      await settle();
      assert.ok(log.running <= 2, `running ${log.running} ≤ 2`);
    }
    await scheduler.whenIdle();
    assert.equal(log.peak, 2);
    assert.deepEqual(scheduler.state(), { running: 0, queued: 0, concurrency: 2, queueLimit: 10 });
  });

  it('queued tasks start in submission order (FIFO) as slots free up', async () => {
    const { scheduler, log, submit, tasks } = harness(1, 10);
    for (const id of ['first', 'second', 'third', 'fourth']) submit(id);
    assert.deepEqual(log.started, ['first']);
    tasks.get('first')!.finish();
    await settle();
    assert.deepEqual(log.started, ['first', 'second']);
    tasks.get('second')!.finish();
    tasks.get('third')!.finish();
    await settle();
    tasks.get('fourth')!.finish();
    await scheduler.whenIdle();
    assert.deepEqual(log.started, ['first', 'second', 'third', 'fourth']);
  });

  it('a freed slot takes the oldest queued task even when several finish together', async () => {
    const { scheduler, log, submit, tasks } = harness(2, 10);
    for (const id of ['a', 'b', 'c', 'd', 'e']) submit(id);
    tasks.get('b')!.finish();
    tasks.get('a')!.finish();
    await settle();
    assert.deepEqual(log.started, ['a', 'b', 'c', 'd']);
    for (const id of ['c', 'd', 'e']) tasks.get(id)!.finish();
    await scheduler.whenIdle();
    assert.deepEqual(log.started, ['a', 'b', 'c', 'd', 'e']);
  });

  it('with running = concurrency and queued = queueLimit, assertCapacity and submit throw RUN_QUEUE_FULL', async () => {
    const { scheduler, submit, tasks } = harness(1, 2);
    assert.doesNotThrow(() => scheduler.assertCapacity());
    submit('running');
    submit('queued-1');
    assert.doesNotThrow(() => scheduler.assertCapacity(), 'one queue place left');
    submit('queued-2');
    assert.deepEqual(scheduler.state(), { running: 1, queued: 2, concurrency: 1, queueLimit: 2 });
    assert.throws(() => scheduler.assertCapacity(), isQueueFull);
    let ranRefused = false;
    assert.throws(
      () =>
        scheduler.submit('refused', () => {
          ranRefused = true;
          return Promise.resolve();
        }),
      isQueueFull,
    );
    assert.deepEqual(scheduler.state(), { running: 1, queued: 2, concurrency: 1, queueLimit: 2 }, 'the refused task was not queued');

    // Room again once the running task finishes and the next one starts.
    tasks.get('running')!.finish();
    await settle();
    assert.doesNotThrow(() => scheduler.assertCapacity());
    for (const id of ['queued-1', 'queued-2']) tasks.get(id)!.finish();
    await scheduler.whenIdle();
    assert.equal(ranRefused, false);
  });

  it('queueLimit 0: a task starts while a slot is free and the next is refused with RUN_QUEUE_FULL', async () => {
    const { scheduler, submit, tasks } = harness(1, 0);
    submit('only');
    assert.throws(() => submit('extra'), isQueueFull);
    tasks.get('only')!.finish();
    await scheduler.whenIdle();
  });

  it('remove() of a queued task returns true and the task never runs', async () => {
    const { scheduler, log, submit, tasks } = harness(1, 10);
    submit('a');
    const removed = submit('b');
    submit('c');
    assert.equal(scheduler.remove('b'), true);
    assert.equal(scheduler.state().queued, 1);
    tasks.get('a')!.finish();
    await settle();
    tasks.get('c')!.finish();
    await scheduler.whenIdle();
    assert.equal(removed.started, false);
    assert.deepEqual(log.started, ['a', 'c']);
  });

  it('remove() returns false for a running task, an unknown id and a task already removed', async () => {
    const { scheduler, submit, tasks } = harness(1, 10);
    submit('running');
    submit('queued');
    assert.equal(scheduler.remove('running'), false);
    assert.equal(scheduler.remove('nope'), false);
    assert.equal(scheduler.remove('queued'), true);
    assert.equal(scheduler.remove('queued'), false);
    assert.equal(scheduler.state().running, 1);
    tasks.get('running')!.finish();
    await scheduler.whenIdle();
  });

  it('a task that rejects is reported to onTaskError with its id and the queue goes on', async () => {
    const { scheduler, log, errors, submit, tasks } = harness(1, 10);
    submit('bad');
    submit('good');
    const failure = new Error('boom');
    tasks.get('bad')!.fail(failure);
    await settle();
    assert.deepEqual(errors, [{ error: failure, id: 'bad' }]);
    assert.deepEqual(log.started, ['bad', 'good']);
    tasks.get('good')!.finish();
    await scheduler.whenIdle();
    assert.equal(errors.length, 1);
    assert.deepEqual(scheduler.state().running, 0);
  });

  it('whenIdle resolves at once when nothing was submitted', async () => {
    const { scheduler } = harness(1, 1);
    await scheduler.whenIdle();
  });

  it('whenIdle resolves only after every running and queued task has finished', async () => {
    const { scheduler, submit, tasks } = harness(2, 10);
    for (const id of ['a', 'b', 'c']) submit(id);
    let idle = false;
    const waiting = scheduler.whenIdle().then(() => {
      idle = true;
    });
    const second = scheduler.whenIdle();
    tasks.get('a')!.finish();
    tasks.get('b')!.finish();
    await settle();
    assert.equal(idle, false, 'c is still running');
    tasks.get('c')!.finish();
    await waiting;
    await second;
    assert.equal(idle, true);
    assert.deepEqual(scheduler.state(), { running: 0, queued: 0, concurrency: 2, queueLimit: 10 });
  });
});
