import { isTerminal, type ModelRunRecord, type RunStatus } from './run.record';

const STAGE: Record<RunStatus, number> = { QUEUED: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 2, CANCELLED: 2 };

/**
 * What `modelRunUpdated(id)` sends: the run's current state, then each newer update, ending after a
 * terminal state (graphql-ws then sends `complete`). `updates` listens before `current` is read
 * (run-update-channel.ts), so none falls between; one older than `current` is skipped. Hand-written rather than a generator:
 * the client's `return()` must end the subscription at once, even while an update is awaited.
 */
export function currentThenUpdates(current: ModelRunRecord, updates: AsyncIterator<ModelRunRecord>): AsyncIterableIterator<ModelRunRecord> {
  let last: ModelRunRecord | null = null;
  let finished = false;
  const finish = async (): Promise<IteratorResult<ModelRunRecord>> => {
    if (!finished) {
      finished = true;
      await updates.return?.();
    }
    return { done: true, value: undefined };
  };
  return {
    async next() {
      if (finished) return { done: true, value: undefined };
      if (last === null) {
        last = current;
        return { done: false, value: current };
      }
      if (isTerminal(last.status)) return finish();
      for (;;) {
        const update = await updates.next();
        if (update.done || finished) return finish();
        if (isNewer(update.value, last)) {
          last = update.value;
          return { done: false, value: update.value };
        }
      }
    },
    return: finish,
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Later in the lifecycle, or further in the computation at the same stage. */
function isNewer(update: ModelRunRecord, sent: ModelRunRecord): boolean {
  const stage = STAGE[update.status] - STAGE[sent.status];
  // The fraction moves where iterations do not (each k scored, the results computed); while the table
  // is read, only the rows read do.
  const { progress } = update;
  return (
    stage > 0 ||
    (stage === 0 &&
      (progress.fraction > sent.progress.fraction || progress.iteration > sent.progress.iteration || (progress.rowsRead ?? 0) > (sent.progress.rowsRead ?? 0)))
  );
}
