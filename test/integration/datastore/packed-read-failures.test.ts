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

/**
 * SQLite keeps text in an INTEGER column; its ODBC driver reads such a key as NULL (BigInt=1: SQL_BIGINT),
 * so keys cannot page past it. Where the packed form stops at such a key (or at a REAL one), a whole read
 * goes on by OFFSET and delivers every row once; a range of keys fails with DB_ERROR instead of ending
 * early (found by a review helper: 16 of 23 rows were lost).
 */
describe('keys the driver would read as NULL or as another key, after the packed form stops (SQLite)', () => {
  const READ: OrderedRead = { table: 'odd_key_types', columns: ['id', 'x'], keyColumns: ['id'], numbers: ['x'] };
  const KEYS = ['5.5', '19', '12', "'txt'", '13', '1', '13', '-8', '4', '11', '12', '-2', '11', '-6', '-9', '19', '13', '8', '-10', '6', '10', '1', '18'];

  async function setUp(keys: readonly string[]) {
    const { datastore } = await openDatastore(sqliteDatabase());
    await datastore.execute(ddl('CREATE TABLE `odd_key_types` (`id` INTEGER, `x` DOUBLE)'));
    await datastore.execute(ddl(`INSERT INTO \`odd_key_types\` VALUES ${keys.map((key, index) => `(${key}, ${index + 0.25})`).join(', ')}`));
    return datastore;
  }

  it('a whole read delivers every row once, in key order, whatever the page size', async () => {
    const datastore = await setUp(KEYS);
    try {
      // Each row's x is its insert position + 0.25: the multiset of x says every row came once.
      const expected = KEYS.map((_, index) => index + 0.25).sort((a, b) => a - b);
      for (const pageSize of [2, 3, 5, 16, 100]) {
        const xs: number[] = [];
        const count = await datastore.streamOrdered(READ, pageSize, (batch) => {
          for (let row = 0; row < batch.length; row++) xs.push(batch.value(row, 1) as number);
        });
        assert.equal(count, KEYS.length, `page size ${pageSize}: the rows counted`);
        assert.deepEqual(
          [...xs].sort((a, b) => a - b),
          expected,
          `page size ${pageSize}: every row once`,
        );
        // In key order: the integers ascending (5.5 between 4 and 6), then the text.
        const order = xs.map((x) => KEYS[x - 0.25]!);
        const numeric = order.filter((key) => key !== "'txt'").map(Number);
        assert.deepEqual(
          numeric,
          [...numeric].sort((a, b) => a - b),
          `page size ${pageSize}: in key order`,
        );
        assert.equal(order.at(-1), "'txt'", `page size ${pageSize}: the text key last`);
      }
    } finally {
      await datastore.close();
    }
  });

  it('a range of keys read from an integer on goes on through the text keys after it, each as stored', async () => {
    const datastore = await setUp(['1', '2', '3', "'a'", "'b'", "'c'", "'d'"]);
    try {
      const keys: unknown[] = [];
      await datastore.streamOrdered(
        READ,
        2,
        (batch) => {
          for (let row = 0; row < batch.length; row++) keys.push(batch.value(row, 0));
        },
        { after: [1] },
      );
      assert.deepEqual(keys, [2, 3, 'a', 'b', 'c', 'd']);
    } finally {
      await datastore.close();
    }
  });

  it('keys the driver reads as a key already passed (2.5 as 2 in an untyped column) no longer send the read round for ever', { timeout: 20_000 }, async () => {
    const { datastore } = await openDatastore(sqliteDatabase());
    try {
      await datastore.execute(ddl('CREATE TABLE `untyped_keys` (`id`, `x` DOUBLE)'));
      const keys = ['1', '2', '1e300', "'txt'", '3', '-5', '2.5', "'abc'", '7'];
      await datastore.execute(ddl(`INSERT INTO \`untyped_keys\` VALUES ${keys.map((key, index) => `(${key}, ${index})`).join(', ')}`));
      const xs: number[] = [];
      const read: OrderedRead = { table: 'untyped_keys', columns: ['id', 'x'], keyColumns: ['id'], numbers: ['x'] };
      const count = await datastore.streamOrdered(read, 5, (batch) => {
        for (let row = 0; row < batch.length; row++) xs.push(batch.value(row, 1) as number);
      });
      assert.equal(count, keys.length);
      assert.deepEqual(
        [...xs].sort((a, b) => a - b),
        keys.map((_, index) => index),
        'every row once',
      );
    } finally {
      await datastore.close();
    }
  });
});
