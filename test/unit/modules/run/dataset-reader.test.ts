import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RowBatch } from '../../../../src/datastore/row-batch';
import { type KeyRange, type OrderedRead } from '../../../../src/datastore/types';
import { type Streamer } from '../../../../src/datastore/contracts';
import { PostgresqlDialect } from '../../../../src/datastore/dialects/postgresql';
import type { Row } from '../../../../src/datastore/types';
import { RunCancelledError } from '../../../../src/modules/modeling/model';
import { entityKey, readFeatureTable } from '../../../../src/modules/run/dataset-reader';
import type { RunParams } from '../../../../src/modules/run/run.record';

// ODBC type codes (sql.h) as the driver describes result columns.
const SQL_VARCHAR = 12;
const SQL_DOUBLE = 8;
const SQL_BIGINT = -5;
const SQL_TYPE_TIMESTAMP = 93;

/**
 * The datastore edge: hands the given batches to onBatch in order as the driver would (each row an array
 * in the read's column order, values as the driver gives them) and records what it was asked.
 */
class FakeStreamer implements Streamer {
  readonly calls: { read: OrderedRead; fetchSize: number }[] = [];
  batchesDelivered = 0;

  constructor(
    private readonly batches: Record<string, unknown>[][],
    private readonly types: Record<string, number> = {},
  ) {}

  splitOrdered(): Promise<KeyRange[]> {
    return Promise.resolve([{}]);
  }

  async streamOrdered(read: OrderedRead, fetchSize: number, onBatch: (batch: RowBatch) => void | Promise<void>): Promise<number> {
    this.calls.push({ read, fetchSize });
    const columns = read.columns.map((name) => ({ name, dataType: this.types[name] ?? SQL_DOUBLE }));
    let total = 0;
    for (const batch of this.batches) {
      await onBatch(
        new RowBatch(
          columns,
          batch.map((row) => read.columns.map((name) => row[name])),
          new PostgresqlDialect(),
        ),
      );
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

const never = { shouldCancel: () => false };

/** Every key of a read, in row order. */
const keysOf = (table: { keys: { length: number; keyOf(row: number): string } }): string[] =>
  Array.from({ length: table.keys.length }, (_, row) => table.keys.keyOf(row));

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
    assert.deepEqual(keysOf(table), ['3', '1', '2']);
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
    assert.deepEqual(
      keysOf(table),
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
    assert.equal(streamer.calls[0]!.fetchSize, batchRows);
  });

  it('no rows gives an empty table', async () => {
    const table = await readFeatureTable(new FakeStreamer([]), new PostgresqlDialect(), params(), 100, never);
    assert.equal(table.rows, 0);
    assert.equal(table.values.length, 0);
    assert.deepEqual(keysOf(table), []);
  });

  it('composite keys with a timestamp become JSON-array entity keys, the timestamp as ISO UTC and a safe BIGINT as a number', async () => {
    const streamer = new FakeStreamer([[{ site: 'a', day: '2024-01-02 00:00:00', n: 7n, x: 1, y: 2 }]], {
      site: SQL_VARCHAR,
      day: SQL_TYPE_TIMESTAMP,
      n: SQL_BIGINT,
    });
    const table = await readFeatureTable(streamer, new PostgresqlDialect(), params({ keyColumns: ['site', 'day', 'n'] }), 10, never);
    assert.deepEqual(keysOf(table), ['["a","2024-01-02T00:00:00.000Z",7]']);
  });

  it('a single BIGINT key is its exact decimal text, past 2^53 too; BIGINT and DECIMAL-text features become doubles', async () => {
    const streamer = new FakeStreamer(
      [
        [
          { id: 9007199254740993n, x: 5n, y: '-123.25' },
          { id: 1n, x: null, y: '  7 ' },
        ],
      ],
      { id: SQL_BIGINT, x: SQL_BIGINT, y: SQL_VARCHAR },
    );
    const table = await readFeatureTable(streamer, new PostgresqlDialect(), params(), 10, never);
    assert.deepEqual(keysOf(table), ['9007199254740993', '1']);
    assert.deepEqual(Array.from(table.values), [5, -123.25, Number.NaN, 7]);
  });

  it('asks for the key then feature columns of the table, ordered by the key columns, fetchSize rows at a time', async () => {
    const streamer = new FakeStreamer([]);
    await readFeatureTable(streamer, new PostgresqlDialect(), params({ keyColumns: ['site', 'day'] }), 500, never);
    assert.equal(streamer.calls.length, 1);
    const { read, fetchSize } = streamer.calls[0]!;
    assert.deepEqual(read, { table: 'measurements', columns: ['site', 'day', 'x', 'y'], keyColumns: ['site', 'day'], numbers: ['x', 'y'] });
    assert.equal(fetchSize, 500);
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
    await assert.rejects(readFeatureTable(streamer, new PostgresqlDialect(), params(), 1, { shouldCancel }), RunCancelledError);
    assert.equal(streamer.batchesDelivered, 1, 'the third batch was never handed over');
  });

  describe('in parts (key ranges read side by side)', () => {
    /** Each range's batches, handed over with a pause between batches so the parts interleave. */
    class RangedStreamer implements Streamer {
      readonly splits: { parts: number; minRowsPerPart: number }[] = [];
      readonly ranges: KeyRange[] = [];
      readonly stopped: string[] = [];

      constructor(private readonly byRange: { range: KeyRange; batches: Record<string, unknown>[][]; failAt?: number; delayMs: number }[]) {}

      splitOrdered(_read: OrderedRead, parts: number, minRowsPerPart: number): Promise<KeyRange[]> {
        this.splits.push({ parts, minRowsPerPart });
        return Promise.resolve(this.byRange.map(({ range }) => range));
      }

      async streamOrdered(read: OrderedRead, _fetchSize: number, onBatch: (batch: RowBatch) => void | Promise<void>, range: KeyRange = {}): Promise<number> {
        this.ranges.push(range);
        const part = this.byRange.find((candidate) => candidate.range === range) ?? this.byRange[0]!;
        const columns = read.columns.map((name) => ({ name, dataType: SQL_DOUBLE }));
        let total = 0;
        for (const [index, batch] of part.batches.entries()) {
          await new Promise((resolve) => setTimeout(resolve, part.delayMs));
          if (part.failAt === index) throw new Error(`part after ${JSON.stringify(range.after)} failed`);
          try {
            await onBatch(
              new RowBatch(
                columns,
                batch.map((row) => read.columns.map((name) => row[name])),
                new PostgresqlDialect(),
              ),
            );
          } catch (error) {
            this.stopped.push(`${JSON.stringify(range.after ?? null)}: ${(error as Error).constructor.name}`);
            throw error;
          }
          total += batch.length;
        }
        return total;
      }
    }

    const rowsFrom = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ id: from + i, x: (from + i) * 2, y: -(from + i) }));

    it('joins the parts in range order whatever order their batches arrive in', async () => {
      const streamer = new RangedStreamer([
        { range: { through: [4] }, batches: [rowsFrom(0, 3), rowsFrom(3, 2)], delayMs: 15 },
        { range: { after: [4], through: [9] }, batches: [rowsFrom(5, 2), rowsFrom(7, 3)], delayMs: 1 },
        { range: { after: [9] }, batches: [rowsFrom(10, 1)], delayMs: 5 },
      ]);
      const table = await readFeatureTable(streamer, new PostgresqlDialect(), params(), 10, never, 3);
      assert.deepEqual(streamer.splits, [{ parts: 3, minRowsPerPart: 50_000 }]);
      assert.equal(streamer.ranges.length, 3);
      assert.deepEqual(
        keysOf(table),
        Array.from({ length: 11 }, (_, i) => String(i)),
      );
      assert.deepEqual(Array.from(table.values), Array.from({ length: 11 }, (_, i) => [i * 2, -i]).flat());
    });

    it('counted ranges fill their slots of one matrix: keys and values in range order, composite Unicode keys, NULL features first, between and last', async () => {
      const rows = (from: number, count: number) =>
        Array.from({ length: count }, (_, i) => ({
          site: `站-${from + i}-é`,
          n: from + i,
          x: (from + i) % 4 === 0 ? null : from + i,
          y: (from + i) % 5 === 0 ? null : -(from + i),
        }));
      const streamer = new RangedStreamer([
        { range: { through: ['c', 3], rows: 4 }, batches: [rows(0, 3), rows(3, 1)], delayMs: 9 },
        { range: { after: ['c', 3], through: ['h', 7], rows: 4 }, batches: [rows(4, 4)], delayMs: 1 },
        { range: { after: ['h', 7], rows: 3 }, batches: [rows(8, 2), rows(10, 1)], delayMs: 4 },
      ]);
      const table = await readFeatureTable(streamer, new PostgresqlDialect(), params({ keyColumns: ['site', 'n'] }), 10, never, 3);
      assert.deepEqual(
        keysOf(table),
        Array.from({ length: 11 }, (_, i) => JSON.stringify([`站-${i}-é`, i])),
      );
      assert.deepEqual(Array.from(table.values), Array.from({ length: 11 }, (_, i) => [i % 4 === 0 ? Number.NaN : i, i % 5 === 0 ? Number.NaN : -i]).flat());
    });

    it('ranges holding more or fewer rows than counted (the table changed during the read) still give every row once, in range order', async () => {
      const streamer = new RangedStreamer([
        { range: { through: [4], rows: 2 }, batches: [rowsFrom(0, 3), rowsFrom(3, 2)], delayMs: 3 },
        { range: { after: [4], through: [9], rows: 6 }, batches: [rowsFrom(5, 1)], delayMs: 1 },
        { range: { after: [9], rows: 1 }, batches: [rowsFrom(10, 1), rowsFrom(11, 2)], delayMs: 2 },
      ]);
      const table = await readFeatureTable(streamer, new PostgresqlDialect(), params(), 10, never, 3);
      assert.deepEqual(keysOf(table), ['0', '1', '2', '3', '4', '5', '10', '11', '12']);
      assert.deepEqual(
        Array.from(table.values),
        [0, 1, 2, 3, 4, 5, 10, 11, 12].flatMap((i) => [i * 2, -i]),
      );
    });

    it('one part is not split at all', async () => {
      const streamer = new RangedStreamer([{ range: {}, batches: [rowsFrom(0, 2)], delayMs: 0 }]);
      const table = await readFeatureTable(streamer, new PostgresqlDialect(), params(), 10, never, 1);
      assert.deepEqual(streamer.splits, [], 'no split was asked for');
      assert.equal(table.rows, 2);
    });

    it('a failing part stops the others at their next batch, and its own error is the one thrown', async () => {
      const streamer = new RangedStreamer([
        { range: { through: [99] }, batches: [rowsFrom(0, 1), rowsFrom(1, 1), rowsFrom(2, 1), rowsFrom(3, 1)], delayMs: 10 },
        { range: { after: [99] }, batches: [rowsFrom(100, 1), rowsFrom(101, 1)], failAt: 1, delayMs: 2 },
      ]);
      await assert.rejects(readFeatureTable(streamer, new PostgresqlDialect(), params(), 10, never, 2), /part after \[99\] failed/);
      assert.deepEqual(streamer.stopped, ['null: SiblingFailed'], 'the first part stopped at its next batch');
    });

    it('a cancel stops every part with RunCancelledError', async () => {
      const streamer = new RangedStreamer([
        { range: { through: [99] }, batches: [rowsFrom(0, 1), rowsFrom(1, 1)], delayMs: 3 },
        { range: { after: [99] }, batches: [rowsFrom(100, 1), rowsFrom(101, 1)], delayMs: 3 },
      ]);
      let batches = 0;
      await assert.rejects(readFeatureTable(streamer, new PostgresqlDialect(), params(), 10, { shouldCancel: () => ++batches > 2 }, 2), RunCancelledError);
    });
  });
});
