import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OrderedRead } from '../../../src/datastore/types';
import { ddl, openDatastore, sqliteDatabase } from '../../support/databases';

/**
 * A packed read starts the next page's statement before it hands a page over (KeysetReader.streamPacked).
 * When that statement fails while the batch handler runs, the read rejects with the failure, and Node
 * sees no unhandled rejection (which ends the server's process by default).
 */
describe('a packed read whose next page fails while a batch is handed over (SQLite)', () => {
  const READ: OrderedRead = { table: 'prefetch_fail', columns: ['id', 'x'], keyColumns: ['id'], numbers: ['x'] };

  async function withUnhandled(work: () => Promise<void>): Promise<unknown[]> {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    // node:test has its own listener; this one records what reaches it.
    process.prependListener('unhandledRejection', listener);
    try {
      await work();
      await sleep(50);
    } finally {
      process.off('unhandledRejection', listener);
    }
    return unhandled;
  }

  async function setUp() {
    const { datastore } = await openDatastore(sqliteDatabase());
    await datastore.execute(ddl('CREATE TABLE `prefetch_fail` (`id` INTEGER PRIMARY KEY, `x` DOUBLE)'));
    await datastore.execute(ddl(`INSERT INTO \`prefetch_fail\` VALUES ${Array.from({ length: 1_000 }, (_, i) => `(${i}, ${i / 7})`).join(', ')}`));
    return datastore;
  }

  it('the table dropped by the batch handler: the read rejects, no rejection goes unhandled', async () => {
    const datastore = await setUp();
    let batches = 0;
    let readError: unknown;
    const unhandled = await withUnhandled(async () => {
      await datastore
        .streamOrdered(READ, 100, async () => {
          if (batches++ === 0) await datastore.execute(ddl('DROP TABLE `prefetch_fail`'));
          await sleep(100);
        })
        .catch((error: unknown) => (readError = error));
    });
    await datastore.close();
    assert.ok(readError, 'the read fails: its table is gone');
    assert.deepEqual(unhandled.map(String), [], 'no unhandled rejection');
  });

  it('the datastore closed during a read: the read rejects, no rejection goes unhandled', async () => {
    const datastore = await setUp();
    let closing: Promise<void> | undefined;
    let readError: unknown;
    const unhandled = await withUnhandled(async () => {
      await datastore
        .streamOrdered(READ, 100, () => {
          closing ??= datastore.close();
        })
        .catch((error: unknown) => (readError = error));
      await closing;
    });
    assert.match(String(readError), /pool is closed/);
    assert.deepEqual(unhandled.map(String), [], 'no unhandled rejection');
  });
});
