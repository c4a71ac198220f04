import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Executor } from '../../../../src/datastore/contracts';
import { SqliteDialect } from '../../../../src/datastore/dialects/sqlite';
import type { Statement } from '../../../../src/datastore/types';
import { AssignmentRepository } from '../../../../src/modules/run/assignment.repository';

/**
 * AssignmentRepository.saveColumns keeps one INSERT in flight while it packs the next chunk. When the
 * packing fails, the statement in flight must end before the error leaves saveColumns: the caller
 * then rolls its transaction back, which must not race a statement still running on that connection.
 * An executor that records when each statement starts and ends stands in for the database.
 */
function recordingExecutor(events: string[]): Executor {
  let count = 0;
  return {
    dialect: new SqliteDialect(),
    query: () => Promise.reject(new Error('not used')),
    execute: (statement: Statement) => {
      const index = count++;
      events.push(`start ${index} (${statement.sql.split(' ')[0]})`);
      return new Promise((resolve) =>
        setTimeout(() => {
          events.push(`end ${index}`);
          resolve(1);
        }, 30),
      );
    },
  };
}

describe('AssignmentRepository.saveColumns, one INSERT in flight', () => {
  it('sends one INSERT a chunk, each only once the one before has ended', async () => {
    const events: string[] = [];
    const executor = recordingExecutor(events);
    const keys = Array.from({ length: 10 }, (_, row) => `k${row}`);
    await new AssignmentRepository(executor, 4).saveColumns('run', { keys, clusters: new Int32Array(10), distances: new Float64Array(10) }, executor, true);
    assert.deepEqual(events, ['start 0 (INSERT)', 'end 0', 'start 1 (INSERT)', 'end 1', 'start 2 (INSERT)', 'end 2']);
  });

  it('a chunk that cannot be packed fails the save only after the INSERT in flight has ended, and nothing more is sent', async () => {
    const events: string[] = [];
    const executor = recordingExecutor(events);
    const keys = Array.from({ length: 10 }, (_, row) => `k${row}`);
    // Chunk 1 (rows 4–7) has two distances for four keys: packing it throws while chunk 0 is stored.
    const columns = { keys, clusters: new Int32Array(10), distances: new Float64Array(6) };
    await assert.rejects(new AssignmentRepository(executor, 4).saveColumns('run', columns, executor, true), (error: Error) => {
      events.push('rejected');
      return error.message.includes('one cluster and one distance per key');
    });
    assert.deepEqual(events, ['start 0 (INSERT)', 'end 0', 'rejected']);
  });
});
