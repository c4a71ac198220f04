import { AppError } from '../../errors/app-error';
import { leadingCharacters } from '../../shared/character-count';

// Run ids are UUIDs (RunService.start): anything else names no run, without asking the database.
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a run's id (and so is safe in a file name). */
export function isRunId(id: string): boolean {
  return RUN_ID.test(id);
}

/** What the report page and the exports answer for an id no run has, malformed ones included. */
export function runNotFound(runId: string): AppError {
  return new AppError('NOT_FOUND', `No model run has id "${leadingCharacters(runId, 80)}"`, { field: 'id' });
}
