import type { Executor } from '../../datastore/contracts';
import type { Assignment, AssignmentRepository } from './assignment.repository';

/** Assignments built and stored at a time: a multiple of every dialect's rows per statement (500, 1,000, 50,000), so the statements are one save's. */
export const ASSIGNMENT_SAVE_ROWS = 100_000;

/**
 * Stores a run's `rows` assignments through AssignmentRepository.save, ASSIGNMENT_SAVE_ROWS at a time in
 * the caller's transaction, so that no more Assignment objects than that live at once (10M of them, with
 * their rows for the statement, took gigabytes). The one place a run's assignments are written.
 */
export async function saveAssignments(
  repository: Pick<AssignmentRepository, 'save'>,
  runId: string,
  rows: number,
  assignmentOf: (index: number) => Assignment,
  transaction: Executor,
): Promise<void> {
  for (let start = 0; start < rows; start += ASSIGNMENT_SAVE_ROWS) {
    const chunk = Array.from({ length: Math.min(ASSIGNMENT_SAVE_ROWS, rows - start) }, (_, offset) => assignmentOf(start + offset));
    await repository.save(runId, chunk, transaction);
  }
}
