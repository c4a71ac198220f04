import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Streamer } from '../../../../src/datastore/datastore';
import { MysqlDialect } from '../../../../src/datastore/dialects/mysql';
import { OracleDialect } from '../../../../src/datastore/dialects/oracle';
import { PostgresqlDialect } from '../../../../src/datastore/dialects/postgresql';
import type { Row, Statement } from '../../../../src/datastore/types';
import { RunCancelledError } from '../../../../src/modules/modeling/model';
import { entityKey, readFeatureTable } from '../../../../src/modules/run/dataset-reader';
import type { RunParams } from '../../../../src/modules/run/run.record';

/** The datastore edge: hands the given batches to onBatch in order and records what it was asked. */
class FakeStreamer implements Streamer {
  readonly calls: { statement: Statement; fetchSize: number }[] = [];
  batchesDelivered = 0;

  constructor(private readonly batches: Row[][]) {}

  async stream(statement: Statement, fetchSize: number, onBatch: (rows: Row[]) => void | Promise<void>): Promise<number> {
    this.calls.push({ statement, fetchSize });
    let total = 0;
    for (const batch of this.batches) {
      await onBatch(batch);
      this.batchesDelivered += 1;
      total += batch.length;
    }
    return total;
  }
}

function params(overrides: Partial<RunParams> = {}): RunParams {
  return {
    k: 2,
    kRange: null,
    initialization: 'KMEANS_PLUS_PLUS',
    nInit: 1,
    maxIterations: 300,
    tolerance: 1e-6,
    seed: 7,
    preparation: { missing: 'DROP', scaling: 'STANDARD' },
    publishOutcomes: true,
    table: 'measurements',
    keyColumns: ['id'],
    featureColumns: ['x', 'y'],
    ...overrides,
  };
}

const never = () => false;

describe('entityKey', () => {
  it('a single text key is its text', () => {
    assert.equal(entityKey(['plant-7']), 'plant-7');
  });

  it('a single numeric key is its decimal text', () => {
    assert.equal(entityKey([42]), '42');
    assert.equal(entityKey([-1.5]), '-1.5');
  });

  it('a single Date key is ISO 8601 in UTC', () => {
    assert.equal(entityKey([new Date(Date.UTC(2024, 1, 29, 13, 5, 9, 120))]), '2024-02-29T13:05:09.120Z');
  });

  it('a composite key is a JSON array of its parts, numbers as numbers and Dates as ISO UTC text', () => {
    const key = entityKey(['north', 3, new Date(Date.UTC(2023, 11, 31, 23, 59, 59))]);
    assert.equal(key, '["north",3,"2023-12-31T23:59:59.000Z"]');
    assert.deepEqual(JSON.parse(key), ['north', 3, '2023-12-31T23:59:59.000Z']);
  });

  it('a composite key of text that looks like a number stays distinct from the number', () => {
    assert.notEqual(entityKey(['1', 'a']), entityKey([1, 'a']));
  });
});

describe('readFeatureTable', () => {
  it('rows come back row-major with NaN for NULL (and undefined) features, entity keys in read order', async () => {
    const streamer = new FakeStreamer([
      [
        { id: 3, x: 1.5, y: 2 },
        { id: 1, x: null, y: '4.25' },
        { id: 2, x: -7, y: undefined },
      ],
    ]);
    const table = await readFeatureTable(streamer, new PostgresqlDialect(), params(), 10, never);
    assert.equal(table.rows, 3);
    assert.equal(table.columns, 2);
    assert.equal(table.values.length, 6);
    assert.deepEqual(Array.from(table.values), [1.5, 2, Number.NaN, 4.25, -7, Number.NaN]);
    assert.deepEqual(table.entityKeys, ['3', '1', '2']);
  });

  it('several batches larger than the first allocation grow the table and keep every row in order', async () => {
    const batchRows = 2;
    const batches: Row[][] = [];
    let id = 0;
    for (const size of [2, 2, 3, 1, 2]) {
      const batch: Row[] = [];
      for (let i = 0; i < size; i++, id++) batch.push({ id, x: id * 10, y: id * 10 + 1, z: -id });
      batches.push(batch);
    }
    const streamer = new FakeStreamer(batches);
    const table = await readFeatureTable(streamer, new PostgresqlDialect(), params({ featureColumns: ['x', 'y', 'z'] }), batchRows, never);
    assert.equal(table.rows, 10);
    assert.equal(table.columns, 3);
    assert.equal(table.values.length, 30);
    const expected = Array.from({ length: 10 }, (_, i) => [i * 10, i * 10 + 1, -i]).flat();
    assert.deepEqual(Array.from(table.values), expected);
    assert.deepEqual(table.entityKeys, Array.from({ length: 10 }, (_, i) => String(i)));
    assert.equal(streamer.calls[0]!.fetchSize, batchRows);
  });

  it('no rows gives an empty table', async () => {
    const table = await readFeatureTable(new FakeStreamer([]), new PostgresqlDialect(), params(), 100, never);
    assert.equal(table.rows, 0);
    assert.equal(table.values.length, 0);
    assert.deepEqual(table.entityKeys, []);
  });

  it('composite keys with a Date become JSON-array entity keys', async () => {
    const day = new Date(Date.UTC(2024, 0, 2));
    const streamer = new FakeStreamer([[{ site: 'a', day, x: 1, y: 2 }]]);
    const table = await readFeatureTable(streamer, new PostgresqlDialect(), params({ keyColumns: ['site', 'day'] }), 10, never);
    assert.deepEqual(table.entityKeys, ['["a","2024-01-02T00:00:00.000Z"]']);
  });

  it('the SELECT quotes key then feature columns and the table through the dialect and orders by the key columns (PostgreSQL)', async () => {
    const streamer = new FakeStreamer([]);
    await readFeatureTable(streamer, new PostgresqlDialect(), params({ keyColumns: ['site', 'day'] }), 500, never);
    assert.equal(streamer.calls.length, 1);
    const { statement, fetchSize } = streamer.calls[0]!;
    assert.equal(statement.sql, 'SELECT "site", "day", "x", "y" FROM "measurements" ORDER BY "site", "day"');
    assert.deepEqual(statement.parameters, []);
    assert.equal(statement.kind, 'select');
    assert.equal(fetchSize, 500);
  });

  it('the SELECT uses backticks on MySQL and upper-cased quoted names on Oracle', async () => {
    const mysql = new FakeStreamer([]);
    await readFeatureTable(mysql, new MysqlDialect(), params(), 10, never);
    assert.equal(mysql.calls[0]!.statement.sql, 'SELECT `id`, `x`, `y` FROM `measurements` ORDER BY `id`');
    const oracle = new FakeStreamer([]);
    await readFeatureTable(oracle, new OracleDialect(), params(), 10, never);
    assert.equal(oracle.calls[0]!.statement.sql, 'SELECT "ID", "X", "Y" FROM "MEASUREMENTS" ORDER BY "ID"');
  });

  it('a column name that is not a plain identifier is refused with INVALID_IDENTIFIER before anything is streamed', async () => {
    const streamer = new FakeStreamer([[{ id: 1, x: 1, y: 1 }]]);
    await assert.rejects(readFeatureTable(streamer, new PostgresqlDialect(), params({ featureColumns: ['x; DROP TABLE t'] }), 10, never), {
      code: 'INVALID_IDENTIFIER',
    });
    assert.equal(streamer.calls.length, 0);
  });

  it('shouldCancel turning true stops the read with RunCancelledError at the next batch', async () => {
    const streamer = new FakeStreamer([[{ id: 1, x: 1, y: 1 }], [{ id: 2, x: 2, y: 2 }], [{ id: 3, x: 3, y: 3 }]]);
    let batchesSeen = 0;
    const shouldCancel = () => {
      batchesSeen += 1;
      return batchesSeen >= 2;
    };
    await assert.rejects(readFeatureTable(streamer, new PostgresqlDialect(), params(), 1, shouldCancel), RunCancelledError);
    assert.equal(streamer.batchesDelivered, 1, 'the third batch was never handed over');
  });
});
