import path from 'node:path';

/**
 * Where the file sink puts things under the trace folder (TRACE_DIR): the rolling daily files
 * `trace-YYYY-MM-DD.N.ndjson` with every document (what Filebeat ships), and `runs/<run id>.ndjson`
 * with each run's events again, so reading one run's trace reads that run's file only.
 */
export const RUNS_FOLDER = 'runs';

export const DAILY_FILE = /^trace-(\d{4}-\d{2}-\d{2})\.(\d+)\.ndjson$/;

// Run ids are UUIDs; anything else never becomes a file name (no separators, no dots).
const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The run's own trace file, or null for an id that cannot name one. */
export function runFile(directory: string, runId: string): string | null {
  return RUN_ID.test(runId) ? path.join(directory, RUNS_FOLDER, `${runId}.ndjson`) : null;
}
