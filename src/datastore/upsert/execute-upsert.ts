import type { Executor } from '../contracts';
import type { UpsertSpec } from '../types';

/**
 * Runs an UPSERT's statements in order on one executor, building each next statement while the
 * database runs the one before (the driver runs it off the JavaScript thread): a million rows take a
 * few seconds of JavaScript to encode. Never two statements at once on the connection; when building
 * a statement fails, the one running is awaited before the error goes to the caller's rollback.
 */
export async function executeUpsert(executor: Executor, spec: UpsertSpec): Promise<void> {
  let running: Promise<number> | undefined;
  try {
    for (const statement of executor.dialect.upsertStatements(spec)) {
      if (running) await running;
      running = executor.execute(statement);
    }
  } catch (error) {
    await running?.catch(() => undefined);
    throw error;
  }
  await running;
}
