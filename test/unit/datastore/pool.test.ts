import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { ConnectionPool, type PoolOptions } from '../../../src/datastore/pool';
import { SeededRandom } from '../../../src/shared/seeded-random';

/** A stand-in for an ODBC connection: only its identity matters to the pool. */
interface FakeConnection {
  readonly id: number;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Test doubles for create/destroy/validate that record every call and count the connections that are
 * open or being opened, so a test can check the pool's bound from the database's side.
 */
class FakeDatabase {
  private nextId = 1;
  readonly createCalls: number[] = [];
  readonly destroyed: number[] = [];
  readonly validated: number[] = [];
  /** Connections being opened plus those opened and not yet destroyed. */
  live = 0;
  peakLive = 0;
  /** The next create() calls wait for these instead of succeeding at once (first in, first used). */
  readonly pendingCreates: Deferred<void>[] = [];
  /** The next create() calls fail with these errors, in order. */
  readonly createFailures: Error[] = [];
  /** What validate() does; default: the connection is fine. */
  validateWith: (connection: FakeConnection) => Promise<boolean> = () => Promise.resolve(true);
  /** A tick of latency on create so concurrent acquirers really overlap. */
  createLatency = false;

  readonly create = async (): Promise<FakeConnection> => {
    const id = this.nextId++;
    this.createCalls.push(id);
    this.live += 1;
    this.peakLive = Math.max(this.peakLive, this.live);
    try {
      const gate = this.pendingCreates.shift();
      if (gate) await gate.promise;
      if (this.createLatency) await new Promise<void>((resolve) => setImmediate(resolve));
      const failure = this.createFailures.shift();
      if (failure) throw failure;
      return { id };
    } catch (error) {
      this.live -= 1;
      throw error;
    }
  };

  readonly destroy = (connection: FakeConnection): Promise<void> => {
    this.destroyed.push(connection.id);
    this.live -= 1;
    return Promise.resolve();
  };

  readonly validate = async (connection: FakeConnection): Promise<boolean> => {
    this.validated.push(connection.id);
    return this.validateWith(connection);
  };
}

const pools: ConnectionPool<FakeConnection>[] = [];

function makePool(
  database: FakeDatabase,
  options: Partial<Omit<PoolOptions<FakeConnection>, 'create' | 'destroy' | 'validate'>> = {},
): ConnectionPool<FakeConnection> {
  const pool = new ConnectionPool<FakeConnection>({
    max: 2,
    acquireTimeoutMs: 5_000,
    idleTimeoutMs: 60_000,
    validateAfterIdleMs: 60_000,
    create: database.create,
    destroy: database.destroy,
    validate: database.validate,
    ...options,
  });
  pools.push(pool);
  return pool;
}

/** Polls until `condition` holds; the bound is generous because it only guards against a hang. */
async function eventually(condition: () => boolean, what: string, withinMs = 5_000): Promise<void> {
  const giveUpAt = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) assert.fail(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

/** Lets every queued promise callback run (the pool hands connections over through promises). */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

function assertConsistent(pool: ConnectionPool<FakeConnection>): void {
  const state = pool.state();
  assert.equal(state.size, state.idle + state.inUse, `size = idle + inUse in ${JSON.stringify(state)}`);
  assert.ok(state.size <= state.max, `size <= max in ${JSON.stringify(state)}`);
  assert.ok(state.size >= 0, `size >= 0 in ${JSON.stringify(state)}`);
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

describe('ConnectionPool', () => {
  it('with 20 concurrent acquirers, never more than max connections are open or being opened', async () => {
    const database = new FakeDatabase();
    database.createLatency = true;
    const pool = makePool(database, { max: 3 });
    const random = new SeededRandom(20240102);
    let peakSize = 0;
    let peakInUse = 0;

    const worker = async (round: number) => {
      const connection = await pool.acquire();
      const state = pool.state();
      peakSize = Math.max(peakSize, state.size);
      peakInUse = Math.max(peakInUse, state.inUse);
      await sleep(1 + random.integer(5));
      // Every fifth worker reports its connection broken, so replacements happen under load too.
      pool.release(connection, round % 5 === 0);
    };
    await Promise.all(Array.from({ length: 20 }, (_, round) => worker(round)));

    assert.ok(peakSize <= 3, `peak pool size ${peakSize} exceeded max 3`);
    assert.ok(peakInUse <= 3, `peak in use ${peakInUse} exceeded max 3`);
    assert.ok(database.peakLive <= 3, `peak live connections on the database ${database.peakLive} exceeded max 3`);
    assert.equal(peakInUse, 3, 'the pool was actually saturated');
    const state = pool.state();
    assert.equal(state.waiting, 0);
    assert.equal(state.inUse, 0);
    assert.equal(state.acquireTimeouts, 0);
    assert.equal(state.created - state.destroyed, state.size);
    assertConsistent(pool);
  });

  it('when connections are released, waiters are served in the order they started waiting', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 1 });
    const held = await pool.acquire();
    const served: string[] = [];
    const waiter = async (name: string) => {
      const connection = await pool.acquire();
      served.push(`${name}:${connection.id}`);
      await settle();
      pool.release(connection);
    };
    const waiters = [waiter('first'), waiter('second'), waiter('third')];
    await settle();
    assert.equal(pool.state().waiting, 3);

    pool.release(held);
    await Promise.all(waiters);

    assert.deepEqual(served, ['first:1', 'second:1', 'third:1']);
    assert.deepEqual(database.createCalls, [1], 'the released connection was handed over, not a new one opened');
    assert.deepEqual(pool.state(), { ...pool.state(), size: 1, idle: 1, inUse: 0, waiting: 0 });
  });

  it('when every connection is in use, acquire waits and fails with DB_POOL_TIMEOUT after acquireTimeoutMs, and the waiter is removed', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 1, acquireTimeoutMs: 100 });
    const held = await pool.acquire();

    const waiting = pool.acquire();
    await settle();
    assert.equal(pool.state().waiting, 1);
    await assert.rejects(waiting, { name: 'AppError', code: 'DB_POOL_TIMEOUT' });

    const state = pool.state();
    assert.equal(state.waiting, 0);
    assert.equal(state.acquireTimeouts, 1);
    assert.equal(state.inUse, 1);

    // The timed-out caller must not swallow the next released connection.
    pool.release(held);
    assert.equal(pool.state().idle, 1);
    assert.equal(await pool.acquire(), held);
    assertConsistent(pool);
  });

  it('a connection released as broken is destroyed and the waiter gets a newly created one', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 1 });
    const broken = await pool.acquire();
    const waiting = pool.acquire();
    await settle();

    pool.release(broken, true);
    const replacement = await waiting;

    assert.notEqual(replacement.id, broken.id);
    assert.deepEqual(database.destroyed, [broken.id]);
    assert.deepEqual(database.createCalls, [1, 2]);
    const state = pool.state();
    assert.equal(state.size, 1);
    assert.equal(state.inUse, 1);
    assert.equal(state.destroyed, 1);
    assert.equal(state.created, 2);
    assertConsistent(pool);
  });

  it('releasing a connection the pool does not hold (or releasing twice) changes nothing', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 1 });
    const connection = await pool.acquire();
    pool.release(connection);
    pool.release(connection);
    pool.release({ id: 99 }, true);
    assert.deepEqual(database.destroyed, []);
    assert.equal(pool.state().idle, 1);
    assertConsistent(pool);
  });

  it('when create() fails, acquire rejects with that error and the slot is freed for the next acquire', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 1 });
    const failure = new Error('login failed');
    database.createFailures.push(failure);

    await assert.rejects(pool.acquire(), (error) => error === failure);
    assert.equal(pool.state().size, 0);

    const connection = await pool.acquire();
    assert.equal(connection.id, 2);
    assert.equal(pool.state().created, 1);
    assertConsistent(pool);
  });

  it('when create() fails while another caller waits, the waiter is woken and opens its own connection', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 1 });
    const gate = deferred<void>();
    database.pendingCreates.push(gate);
    database.createFailures.push(new Error('network unreachable'));

    const first = pool.acquire();
    const second = pool.acquire();
    await settle();
    assert.equal(pool.state().waiting, 1);
    assert.equal(pool.state().size, 1, 'a connection being opened counts towards size');

    gate.resolve();
    await assert.rejects(first, /network unreachable/);
    const connection = await second;
    assert.equal(connection.id, 2);
    assert.equal(pool.state().waiting, 0);
    assertConsistent(pool);
  });

  it('a connection idle for less than validateAfterIdleMs is handed out again without validation', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 1, validateAfterIdleMs: 60_000 });
    const connection = await pool.acquire();
    pool.release(connection);
    assert.equal(await pool.acquire(), connection);
    assert.deepEqual(database.validated, []);
  });

  it('a connection idle longer than validateAfterIdleMs is validated and reused when validate returns true', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 1, validateAfterIdleMs: 20 });
    const connection = await pool.acquire();
    pool.release(connection);
    await sleep(80);

    assert.equal(await pool.acquire(), connection);
    assert.deepEqual(database.validated, [connection.id]);
    assert.deepEqual(database.destroyed, []);
  });

  for (const [scenario, validateWith] of [
    ['returns false', () => Promise.resolve(false)],
    ['throws', () => Promise.reject(new Error('connection reset by peer'))],
  ] as const) {
    it(`a connection idle longer than validateAfterIdleMs whose validate() ${scenario} is destroyed and replaced by a new one`, async () => {
      const database = new FakeDatabase();
      const pool = makePool(database, { max: 1, validateAfterIdleMs: 20 });
      const stale = await pool.acquire();
      pool.release(stale);
      await sleep(80);
      database.validateWith = validateWith;

      const fresh = await pool.acquire();

      assert.notEqual(fresh.id, stale.id);
      assert.deepEqual(database.validated, [stale.id]);
      assert.deepEqual(database.destroyed, [stale.id]);
      const state = pool.state();
      assert.equal(state.size, 1);
      assert.equal(state.inUse, 1);
      assert.equal(state.destroyed, 1);
      assertConsistent(pool);
    });
  }

  it('a connection released as broken makes the idle ones suspect: each is validated at its next acquire, however recently used, and a dead one replaced', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 3, validateAfterIdleMs: 60_000 });
    const [a, b, c] = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
    pool.release(a);
    pool.release(b);
    database.validateWith = (connection) => Promise.resolve(connection.id !== b.id); // b died with c; a survived
    pool.release(c, true);

    const first = await pool.acquire();
    assert.equal(first, a, 'a, checked and found alive');
    assert.deepEqual(database.validated, [b.id, a.id], 'both idle ones checked, the most recently used (b) first');
    await settle();
    assert.deepEqual([...database.destroyed].sort(), [b.id, c.id].sort(), 'the broken one and the dead idle one are closed');
    pool.release(first);
    assert.equal(await pool.acquire(), a, 'released normally, it is trusted again');
    assert.deepEqual(database.validated, [b.id, a.id]);
    assertConsistent(pool);
  });

  it('an idle connection is closed by the evictor after idleTimeoutMs while one in use is kept', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 2, idleTimeoutMs: 300 });
    const kept = await pool.acquire();
    const idle = await pool.acquire();
    pool.release(idle);
    assert.equal(pool.state().idle, 1);

    await eventually(() => database.destroyed.length > 0, 'the idle connection to be evicted');

    assert.deepEqual(database.destroyed, [idle.id]);
    const state = pool.state();
    assert.equal(state.idle, 0);
    assert.equal(state.inUse, 1);
    assert.equal(state.size, 1);
    assert.equal(state.destroyed, 1);
    assertConsistent(pool);
    pool.release(kept);
  });

  it('close() rejects waiting callers with DB_UNAVAILABLE, and a connection released after close is destroyed', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 1 });
    const held = await pool.acquire();
    const waiting = pool.acquire();
    await settle();

    await pool.close();
    await assert.rejects(waiting, { name: 'AppError', code: 'DB_UNAVAILABLE' });
    assert.equal(pool.state().waiting, 0);
    assert.deepEqual(database.destroyed, [], 'a connection in use is not closed under its user');

    pool.release(held);
    assert.deepEqual(database.destroyed, [held.id]);
    const state = pool.state();
    assert.equal(state.size, 0);
    assert.equal(state.inUse, 0);
  });

  it('close() destroys idle connections, and acquire afterwards fails with DB_UNAVAILABLE', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 2 });
    const first = await pool.acquire();
    const second = await pool.acquire();
    pool.release(first);
    pool.release(second);

    await pool.close();

    assert.deepEqual([...database.destroyed].sort(), [first.id, second.id].sort());
    assert.deepEqual(pool.state(), { ...pool.state(), size: 0, idle: 0, inUse: 0, destroyed: 2 });
    await assert.rejects(pool.acquire(), { name: 'AppError', code: 'DB_UNAVAILABLE' });
    await pool.close(); // a second close is harmless
  });

  it('a connection whose create() finishes after close() is destroyed, the caller gets DB_UNAVAILABLE, and size returns to 0', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 1 });
    const gate = deferred<void>();
    database.pendingCreates.push(gate);

    const opening = pool.acquire();
    await settle();
    await pool.close();
    gate.resolve();

    await assert.rejects(opening, { name: 'AppError', code: 'DB_UNAVAILABLE' });
    assert.deepEqual(database.destroyed, [1]);
    const state = pool.state();
    assert.equal(state.size, 0, `size after close in ${JSON.stringify(state)}`);
    assert.equal(state.created, 1);
    assert.equal(state.destroyed, 1);
  });

  it('state() counts a connection being opened in size, and size = idle + inUse once nothing is being opened', async () => {
    const database = new FakeDatabase();
    const pool = makePool(database, { max: 3 });
    assert.deepEqual(pool.state(), {
      max: 3,
      size: 0,
      idle: 0,
      inUse: 0,
      waiting: 0,
      created: 0,
      destroyed: 0,
      acquireTimeouts: 0,
    });

    const a = await pool.acquire();
    const b = await pool.acquire();
    const gate = deferred<void>();
    database.pendingCreates.push(gate);
    const opening = pool.acquire();
    await settle();
    assert.deepEqual(pool.state(), { ...pool.state(), size: 3, idle: 0, inUse: 2 });

    gate.resolve();
    const c = await opening;
    assertConsistent(pool);
    pool.release(a);
    pool.release(b, true);
    assert.deepEqual(pool.state(), {
      max: 3,
      size: 2,
      idle: 1,
      inUse: 1,
      waiting: 0,
      created: 3,
      destroyed: 1,
      acquireTimeouts: 0,
    });
    pool.release(c);
    assertConsistent(pool);
  });
});
