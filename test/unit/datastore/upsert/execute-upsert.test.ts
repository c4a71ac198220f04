import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Executor } from '../../../../src/datastore/contracts';
import { PostgresqlDialect } from '../../../../src/datastore/dialects/postgresql';
import { SqliteDialect } from '../../../../src/datastore/dialects/sqlite';
import type { SqlDialect } from '../../../../src/datastore/dialects/dialect';
import type { SqlValue, Statement, UpsertSpec } from '../../../../src/datastore/types';
import { executeUpsert } from '../../../../src/datastore/upsert/execute-upsert';

/** An executor whose statements finish when the test says so, recording what ran and what overlapped. */
class ControlledExecutor implements Executor {
  readonly executed: Statement[] = [];
  readonly events: string[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    readonly dialect: SqlDialect,
    private readonly failAt = -1,
  ) {}

  query(): Promise<never> {
    throw new Error('not used');
  }

  execute(statement: Statement): Promise<number> {
    const index = this.executed.length;
    this.executed.push(statement);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.events.push(`start ${index}`);
    return new Promise((resolve, reject) => {
      // Finish on a later turn of the event loop, as a driver call does.
      setTimeout(() => {
        this.inFlight -= 1;
        this.events.push(`end ${index}`);
        if (index === this.failAt) reject(new Error(`statement ${index} failed`));
        else resolve(1);
      }, 5);
    });
  }
}

const COLUMNS = [
  { name: 'id', type: 'integer' as const },
  { name: 'score', type: 'double' as const },
];

function spec(rows: number, scoreAt: (id: number) => SqlValue = (id) => id / 4): UpsertSpec {
  return { table: 't', keyColumns: ['id'], columns: COLUMNS, rows: Array.from({ length: rows }, (_, id) => ({ id, score: scoreAt(id) })) };
}

// 2,500 rows: three statements of the multi-row VALUES form (1,000 rows each), or of a small array form.
class SmallArrays extends PostgresqlDialect {
  override readonly maxRowsPerArrayStatement = 1_000;
}

describe('executeUpsert: the statements of one UPSERT, each built while the one before runs', () => {
  for (const dialect of [new SqliteDialect(), new SmallArrays()]) {
    it(`${dialect.variant}: runs every statement compileUpsert gives, in order, never two at once`, async () => {
      const executor = new ControlledExecutor(dialect);
      await executeUpsert(executor, spec(2_500));
      assert.deepEqual(executor.executed, dialect.compileUpsert(spec(2_500)));
      assert.equal(executor.executed.length, 3);
      assert.equal(executor.maxInFlight, 1);
      assert.deepEqual(executor.events, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
    });

    it(`${dialect.variant}: a statement that fails stops the UPSERT with its error; no later statement is sent`, async () => {
      const executor = new ControlledExecutor(dialect, 1);
      await assert.rejects(executeUpsert(executor, spec(2_500)), /statement 1 failed/);
      assert.equal(executor.executed.length, 2);
      assert.equal(executor.inFlight, 0);
    });
  }

  it('a value that cannot be encoded in a later statement (NaN) fails the UPSERT only once the running statement has finished', async () => {
    const executor = new ControlledExecutor(new SmallArrays());
    await assert.rejects(
      executeUpsert(
        executor,
        spec(2_500, (id) => (id === 1_500 ? Number.NaN : id)),
      ),
      (error: { code?: string }) => {
        // The caller rolls back on this error: the connection must be idle by then.
        assert.equal(executor.inFlight, 0);
        assert.equal(error.code, 'BAD_USER_INPUT');
        return true;
      },
    );
    assert.equal(executor.executed.length, 1);
  });

  it('a batch refused as a whole (a repeated key) sends nothing', async () => {
    const executor = new ControlledExecutor(new SmallArrays());
    const rows = [...spec(2_500).rows, { id: 7, score: 1 }];
    await assert.rejects(executeUpsert(executor, { ...spec(0), rows }), { code: 'UPSERT_INVALID' });
    assert.equal(executor.executed.length, 0);
  });

  it('an empty batch sends nothing', async () => {
    const executor = new ControlledExecutor(new SmallArrays());
    await executeUpsert(executor, spec(0));
    assert.equal(executor.executed.length, 0);
  });
});
