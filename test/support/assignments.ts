import type { Executor, Streamer } from '../../src/datastore/contracts';
import type { Assignment } from '../../src/modules/run/assignment.repository';

/** All of a run's stored assignments, `batchSize` at a time, in entity-key order (Streamer.streamOrdered); resolves to the count. */
export function streamAssignments(
  streamer: Streamer & Pick<Executor, 'dialect'>,
  runId: string,
  batchSize: number,
  onBatch: (assignments: Assignment[]) => Promise<void>,
): Promise<number> {
  const read = {
    table: 'ai_run_assignment',
    columns: ['entity_key', 'cluster', 'distance'],
    keyColumns: ['entity_key'],
    where: { sql: `${streamer.dialect.quoteIdentifier('run_id')} = ?`, parameters: [runId] },
  };
  return streamer.streamOrdered(read, batchSize, (batch) => {
    const assignments: Assignment[] = [];
    for (let row = 0; row < batch.length; row++) {
      assignments.push({ entityKey: String(batch.value(row, 0)), cluster: Number(batch.value(row, 1)), distance: Number(batch.value(row, 2)) });
    }
    return onBatch(assignments);
  });
}
