import type { Datastore } from '../../src/datastore/datastore';
import type { Statement } from '../../src/datastore/types';
import { ddl } from './databases';

/**
 * TESTS ONLY: locks a test takes in a transaction of its own and holds until it releases them, to stop
 * runs at a known point without sleeping. A run computes, then in one transaction locks its dataset's
 * row, stores its assignments and becomes SUCCEEDED (run-executor.ts): while a gate is held, the runs
 * it stops stay RUNNING (their owners keep beating), and they go on once it is released.
 */
export interface Gate {
  release(): Promise<void>;
}

/**
 * Runs `statement` in a transaction: resolves once it has run (its locks are held); the transaction
 * ends, rolled back (nothing was written), when `release` is called.
 */
async function hold(datastore: Datastore, statement: Statement): Promise<Gate> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held!: () => void;
  const taken = new Promise<void>((resolve) => (held = resolve));
  const transaction = datastore
    .transaction(async (executor) => {
      await executor.query(statement);
      held();
      await released;
      throw new Released();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Released)) throw error;
    });
  await Promise.race([taken, transaction]);
  return {
    async release() {
      release();
      await transaction;
    },
  };
}

class Released extends Error {}

/** The final transaction of every run of the dataset waits (for its row) while this is held; so does startModelRun on it. */
export function holdDataset(datastore: Datastore, datasetId: string): Promise<Gate> {
  return hold(datastore, datastore.dialect.lockRowStatement('ai_dataset', 'id', datasetId));
}

/**
 * No run can store its assignments while this is held (runs of every dataset stop there, RUNNING).
 * PostgreSQL: a SHARE lock on the table lets readers through and stops writers. MariaDB (InnoDB,
 * REPEATABLE READ): a locking read of the whole table takes next-key locks up to the supremum, so an
 * insert anywhere waits.
 */
export function holdAssignmentWrites(datastore: Datastore): Promise<Gate> {
  const table = datastore.dialect.quoteIdentifier('ai_run_assignment_chunk');
  if (datastore.dialect.variant === 'postgresql') return hold(datastore, ddl(`LOCK TABLE ${table} IN SHARE MODE`));
  return hold(datastore, { sql: `SELECT ${datastore.dialect.quoteIdentifier('run_id')} FROM ${table} FOR UPDATE`, parameters: [], kind: 'select' });
}
