import type { Executor } from './contracts';
import type { Statement } from './types';

/**
 * Runs `statements` in order, one in flight at a time, taking the next from the iterable (building it,
 * which can be the costly part) while the database runs the one before. A failure, of a statement or of
 * building the next, is thrown once the statement in flight has ended, so the caller's transaction is
 * not rolled back under it.
 */
export async function executeInTurn(executor: Executor, statements: Iterable<Statement>): Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  try {
    for (const statement of statements) {
      await running;
      running = executor.execute(statement);
    }
  } catch (error) {
    await running.catch(() => undefined);
    throw error;
  }
  await running;
}
