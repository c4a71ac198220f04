import assert from 'node:assert/strict';
import type { Datastore } from '../../../src/datastore/datastore';
import type { PoolState } from '../../../src/datastore/pool';
import { AppError } from '../../../src/errors/app-error';
import type { ErrorCode } from '../../../src/errors/catalogue';

/** What a promise rejected with; fails the test if it resolved instead. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail(`${what} resolved, expected it to reject`);
}

/** Asserts an AppError with the given code and returns it, typed. */
export function assertAppError(error: unknown, code: ErrorCode): AppError {
  assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
  assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  return error;
}

/**
 * Polls `condition` until it holds. The bound is generous (a slow machine must not fail it); it exists
 * only so a condition that never comes true fails the test instead of hanging it.
 */
export async function waitUntil(condition: () => Promise<boolean>, what: string, boundMs = 15_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Samples a datastore's pool state every few milliseconds while work runs; `stop()` returns the largest
 * size and in-use count seen. A sample can miss a short peak, never invent one. stop() may be called again.
 */
export function samplePool(datastore: Datastore): { stop(): { maxSize: number; maxInUse: number; last: PoolState } } {
  let maxSize = 0;
  let maxInUse = 0;
  const sample = () => {
    const { size, inUse } = datastore.state().pool;
    maxSize = Math.max(maxSize, size);
    maxInUse = Math.max(maxInUse, inUse);
  };
  sample();
  const timer = setInterval(sample, 5);
  // Unref'd: a test that fails before stop() must not keep the process alive.
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { maxSize, maxInUse, last: datastore.state().pool };
    },
  };
}
