import type { Executor, Streamer } from '../../src/datastore/contracts';
import type { Assignment } from '../../src/modules/run/assignment.repository';
import { compareKeys, decodeAssignmentChunk } from '../../src/modules/run/assignment-chunk-codec';

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

/**
 * A run's stored assignments read with plain SQL, whichever way it was stored: its rows in
 * ai_run_assignment (runs before migration 7) and its packed chunks, decoded; in key order (compareKeys).
 */
export async function storedAssignments(executor: Executor, runId: string): Promise<Assignment[]> {
  const q = (name: string) => executor.dialect.quoteIdentifier(name);
  const rows = await executor.query({
    sql: `SELECT ${q('entity_key')}, ${q('cluster')}, ${q('distance')} FROM ${q('ai_run_assignment')} WHERE ${q('run_id')} = ?`,
    parameters: [runId],
    kind: 'select',
  });
  const assignments: Assignment[] = rows.map((row) => ({ entityKey: String(row.entity_key), cluster: Number(row.cluster), distance: Number(row.distance) }));
  const chunks = await executor.query({
    sql: `SELECT ${q('packed')} FROM ${q('ai_run_assignment_chunk')} WHERE ${q('run_id')} = ? ORDER BY ${q('chunk_index')}`,
    parameters: [runId],
    kind: 'select',
  });
  for (const chunk of chunks) {
    const { keys, clusters, distances } = decodeAssignmentChunk(Buffer.from(String(chunk.packed as string), 'base64'));
    keys.forEach((entityKey, row) => assignments.push({ entityKey, cluster: clusters[row]!, distance: distances[row]! }));
  }
  return assignments.sort((a, b) => compareKeys(a.entityKey, b.entityKey));
}

/** How many assignments a run has stored, rows and chunks (plain SQL). */
export async function countStoredAssignments(executor: Executor, runId: string): Promise<number> {
  const q = (name: string) => executor.dialect.quoteIdentifier(name);
  const count = async (sql: string) => Number((await executor.query({ sql, parameters: [runId], kind: 'select' }))[0]?.n ?? 0);
  return (
    (await count(`SELECT COUNT(*) AS n FROM ${q('ai_run_assignment')} WHERE ${q('run_id')} = ?`)) +
    (await count(`SELECT COALESCE(SUM(${q('row_count')}), 0) AS n FROM ${q('ai_run_assignment_chunk')} WHERE ${q('run_id')} = ?`))
  );
}
