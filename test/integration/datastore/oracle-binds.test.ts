import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import odbc from 'odbc';
import { Datastore } from '../../../src/datastore/datastore';
import type { ColumnDefinition, Row, SqlValue, TableDefinition } from '../../../src/datastore/types';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import { ApiKeyRepository } from '../../../src/modules/api-key/api-key.repository';
import { DatasetRepository } from '../../../src/modules/dataset/dataset.repository';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { ddl, openDatastore, oracleDatabase, select, tiberoDatabase } from '../../support/databases';
import { openRoundTripStore, ROUND_TRIP_TARGETS, type RoundTripStore } from '../../support/round-trip-targets';
import { runRecord } from '../../support/runs';
import { assertAppError, rejection } from './helpers';

/**
 * How the Oracle and Tibero dialects hand values to the driver (docs/databases-and-tibero.md, "Binding
 * values on Oracle and Tibero"), run on H2 in Oracle mode, which refuses what Oracle refuses: a 64-bit
 * integer bind (test/support/oracle-driver-rules.ts), text bound where a TIMESTAMP is expected, a text
 * over 4,000 bytes inside an expression (scripts/services/h2/oracle-rules.mjs). The engine's JVM runs in
 * Asia/Seoul.
 */

const NUMBERS: TableDefinition = {
  name: 'binds_numbers',
  columns: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'big', type: 'bigint' },
    { name: 'ratio', type: 'double' },
    { name: 'flag', type: 'boolean' },
  ],
  primaryKey: ['id'],
};

// Whole numbers as a JS number and as a BigInt, whole-valued doubles (3.0, 2^60, 1e21 and the largest
// double, whose shortest text has an exponent) beside fractions, which the driver binds as doubles anyway.
const NUMBER_ROWS: readonly Record<string, SqlValue>[] = [
  { id: 1, big: 0, ratio: 3, flag: true },
  { id: 2, big: -1, ratio: 0.1, flag: false },
  { id: 3, big: Number.MAX_SAFE_INTEGER, ratio: 2 ** 60, flag: null },
  { id: 4, big: -9_007_199_254_740_991n, ratio: 1e21, flag: true },
  { id: 5, big: 4_611_686_018_427_387_904n, ratio: Number.MAX_VALUE, flag: false },
  { id: 6, big: null, ratio: -0.5, flag: true },
];

/** A row as readNumbers gives it back: `big` as the database's decimal text of it, a boolean as 1/0. */
function asRead(row: Record<string, SqlValue>): Row {
  return { id: row.id, big: row.big === null ? null : String(row.big), ratio: row.ratio, flag: row.flag === null ? null : row.flag ? 1 : 0 };
}

for (const database of [oracleDatabase(), tiberoDatabase()]) {
  describe(`binding values on ${database.label}`, () => {
    let datastore: Datastore;
    const q = (name: string) => datastore.dialect.quoteIdentifier(name);
    const table = (definition: TableDefinition) => `${definition.name}_${database.dialect}`;

    const recreate = async (definition: TableDefinition) => {
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${q(table(definition))}`));
      await datastore.execute(datastore.dialect.compileCreateTable({ ...definition, name: table(definition) }));
    };
    // NUMBER(19) as the text the database holds: how the driver reads it back is values.ts's concern, not this file's.
    const readNumbers = () =>
      datastore.query(
        select(`SELECT ${q('id')}, TO_CHAR(${q('big')}) AS ${q('big')}, ${q('ratio')}, ${q('flag')} FROM ${q(table(NUMBERS))} ORDER BY ${q('id')}`),
      );

    before(async () => {
      ({ datastore } = await openDatastore(database));
    });
    after(async () => {
      await datastore?.execute(ddl(`DROP TABLE IF EXISTS ${q(table(NUMBERS))}`));
      await datastore?.close();
    });

    it('the target refuses a whole number bound as the driver binds it (SQL_C_SBIGINT), as Oracle’s driver does', async () => {
      const connection = await odbc.connect(database.connectionString);
      try {
        await assert.rejects(connection.query('SELECT 1 AS one FROM DUAL WHERE 1 = ?', [1]), (error: { odbcErrors?: { state?: string }[] }) => {
          assert.equal(error.odbcErrors?.[0]?.state, 'HY004');
          return true;
        });
        // The `odbc` typings leave BigInt out; the package binds it (as SQL_C_SBIGINT).
        await assert.rejects(connection.query('SELECT 1 AS one FROM DUAL WHERE 1 = ?', [1n] as unknown as number[]));
        assert.deepEqual([...(await connection.query<unknown[]>('SELECT 1 AS one FROM DUAL WHERE 1 = ?', ['1']))], [{ one: 1 }]);
      } finally {
        await connection.close();
      }
    });

    it('a connection whose session statements fail is closed, and the statement that needed it fails with DB_UNAVAILABLE', async () => {
      const refused = new Proxy(datastore.dialect, {
        get: (target, property, receiver) =>
          property === 'sessionStatements' ? () => [ddl('ALTER SESSION SET NO_SUCH_SETTING = 1')] : (Reflect.get(target, property, receiver) as unknown),
      });
      const failing = Datastore.create({
        connectionString: database.connectionString,
        dialect: refused,
        poolMax: 1,
        acquireTimeoutMs: 5_000,
        queryTimeoutMs: 10_000,
        idleTimeoutMs: 10_000,
      });
      try {
        assertAppError(await rejection(failing.ping(), 'a ping'), 'DB_UNAVAILABLE');
        assert.equal(failing.state().pool.size, 0);
      } finally {
        await failing.close();
      }
    });

    it('whole numbers, BigInts, booleans and whole-valued doubles written by MERGE, INSERT and UPDATE read back as written', async () => {
      await recreate(NUMBERS);
      const name = table(NUMBERS);
      const columns: readonly ColumnDefinition[] = NUMBERS.columns;
      const [first, second, ...rest] = NUMBER_ROWS;
      await datastore.execute(datastore.dialect.compileInsert(name, columns, first!));
      for (const statement of datastore.dialect.compileUpsert({
        table: name,
        keyColumns: ['id'],
        columns,
        rows: [{ ...second!, big: 7, ratio: 7 }, ...rest],
      })) {
        await datastore.execute(statement);
      }
      const updated = await datastore.execute({
        sql: `UPDATE ${q(name)} SET ${q('big')} = ?, ${q('ratio')} = ?, ${q('flag')} = ? WHERE ${q('id')} = ?`,
        parameters: [second!.big!, second!.ratio!, second!.flag!, second!.id!],
        kind: 'update',
      });
      assert.equal(updated, 1);
      assert.deepEqual(await readNumbers(), NUMBER_ROWS.map(asRead));
    });

    it('whole numbers and BigInts compare in WHERE and IN, and page with OFFSET/FETCH: the rows asked for come back', async () => {
      const name = table(NUMBERS);
      const ids = (rows: Row[]) => rows.map((row) => row.id);
      const where = (condition: string, parameters: SqlValue[]) =>
        datastore.query(select(`SELECT ${q('id')} FROM ${q(name)} WHERE ${condition} ORDER BY ${q('id')}`, parameters));
      assert.deepEqual(ids(await where(`${q('big')} = ?`, [4_611_686_018_427_387_904n])), [5]);
      assert.deepEqual(ids(await where(`${q('big')} < ?`, [-1])), [4]);
      // A whole double no larger than 2^53: H2 compares a DOUBLE column with a text parameter through DECIMAL, from the
      // double's shortest text, so 2^60 would miss there; Oracle converts the text to BINARY_DOUBLE.
      assert.deepEqual(ids(await where(`${q('ratio')} = ?`, [3])), [1]);
      assert.deepEqual(ids(await where(`${q('flag')} = ?`, [true])), [1, 4, 6]);
      assert.deepEqual(ids(await where(`${q('id')} IN (${datastore.dialect.inList([2, 5])})`, [2, 5])), [2, 5]);
      const ordered = select(`SELECT ${q('id')} FROM ${q(name)} ORDER BY ${q('id')}`);
      assert.deepEqual(ids(await datastore.query(datastore.dialect.paginate(ordered, { limit: 2, offset: 3 }))), [4, 5]);
      assert.deepEqual(ids(await datastore.query(datastore.dialect.paginate(ordered, { limit: 10, offset: 0 }))), [1, 2, 3, 4, 5, 6]);
    });
  });
}

// Instants the engine's time zone could move: year 1, 1900 (Seoul's offset then was +8:28), 02:30 on
// 1988-05-08 (skipped in Seoul by its daylight saving time), a leap day with milliseconds, the last millisecond.
const INSTANTS = [
  '0001-01-01T00:00:00.000Z',
  '1900-01-01T00:00:00.000Z',
  '1988-05-08T02:30:00.000Z',
  '2024-02-29T23:59:58.123Z',
  '9999-12-31T23:59:59.999Z',
].map((text) => new Date(text));
const time = (date: Date | null) => date?.toISOString() ?? null;

// Texts around Oracle's 4,000-byte limit on a bind inside an expression: at it and just past it in one-,
// three- and four-byte characters (an emoji straddling the boundary), and long ones.
const LONG_TEXTS: readonly string[] = [
  'a'.repeat(4_000),
  'a'.repeat(4_001),
  '한'.repeat(1_333) + 'a',
  '한'.repeat(1_334),
  `${'a'.repeat(3_998)}😀${'b'.repeat(10)}`,
  `${'a'.repeat(3_999)}😀`,
  '군집 분석 결과입니다. '.repeat(1_700),
  Array.from({ length: 30_000 }, (_, index) => ['a', 'é', '한', '😀', '\n'][index % 5]).join(''),
];

const TIMESTAMP_KEYS: TableDefinition = {
  name: 'binds_ts_keys',
  columns: [
    { name: 'at', type: 'timestamp', nullable: false },
    { name: 'v', type: 'double' },
  ],
  primaryKey: ['at'],
};

for (const target of ROUND_TRIP_TARGETS.filter((candidate) => candidate.name === 'oracle' || candidate.name === 'tibero')) {
  describe(`the app's statements on ${target.name} (H2 in Oracle mode)`, () => {
    let store: RoundTripStore;

    before(async () => {
      store = await openRoundTripStore(target, 'rtbind_');
      await migrate(store.datastore, APP_MIGRATIONS);
    });
    after(async () => {
      await store?.drop([TIMESTAMP_KEYS.name]);
      await store?.close();
    });

    it("a run's timestamps written by insert, transition, progress and heartbeat read back as the same instants; findStale and list compare instants", async () => {
      const runs = new RunRepository(store.datastore);
      for (const [index, at] of INSTANTS.entries()) {
        await runs.insert(runRecord('binds', { id: `run-${index}`, createdAt: at, heartbeatAt: at, owner: `owner-${index}` }));
      }
      assert.ok(await runs.transition('run-0', ['QUEUED'], 'RUNNING', { started_at: INSTANTS[1]!, heartbeat_at: INSTANTS[1]! }));
      // findStale looks at RUNNING runs only (a queued run has no owner to miss heartbeats).
      assert.ok(await runs.transition('run-1', ['QUEUED'], 'RUNNING', { started_at: INSTANTS[1]!, heartbeat_at: INSTANTS[1]! }));
      assert.ok(await runs.recordProgress('run-0', { iteration: 3, maxIterations: 300, lastShift: 0.5, fraction: 3 / 300 }, INSTANTS[3]!));
      await runs.heartbeat('owner-2', INSTANTS[4]!);

      const read = new Map((await runs.findByIds(INSTANTS.map((_, index) => `run-${index}`))).map((run) => [run.id, run]));
      const expectedHeartbeats = [INSTANTS[3], INSTANTS[1], INSTANTS[4], INSTANTS[3], INSTANTS[4]];
      for (const [index, at] of INSTANTS.entries()) {
        const run = read.get(`run-${index}`)!;
        assert.equal(time(run.createdAt), time(at), `run-${index} created_at`);
        assert.equal(time(run.heartbeatAt), time(expectedHeartbeats[index]!), `run-${index} heartbeat_at`);
      }
      assert.equal(time(read.get('run-0')!.startedAt), time(INSTANTS[1]!));

      assert.deepEqual(
        (await runs.findStale(INSTANTS[3]!)).map((run) => run.id),
        ['run-1'],
      );
      const listed = await runs.list(
        { createdAfter: INSTANTS[1]!, createdBefore: INSTANTS[4]! },
        { field: 'CREATED_AT', direction: 'ASC' },
        { limit: 10, after: null },
      );
      assert.deepEqual(
        listed.map((run) => run.id),
        ['run-2', 'run-3'],
      );
    });

    it('an API key revoked at an instant lists as revoked at that instant', async () => {
      const keys = new ApiKeyRepository(store.datastore);
      const record = {
        id: 'key-1',
        name: 'binds',
        role: 'viewer' as const,
        keyHash: 'f'.repeat(64),
        keyPrefix: 'ffff',
        createdAt: INSTANTS[0]!,
        revokedAt: null,
      };
      await keys.insert(record);
      assert.ok(await keys.revoke('key-1', INSTANTS[2]!));
      const [listed] = await keys.list();
      assert.deepEqual(
        { createdAt: time(listed!.createdAt), revokedAt: time(listed!.revokedAt) },
        { createdAt: time(INSTANTS[0]!), revokedAt: time(INSTANTS[2]!) },
      );
    });

    it('dataset descriptions of every length, up to 30,000 characters with Korean and emoji across 4,000-byte boundaries, written by INSERT and MERGE read back as written', async () => {
      const datasets = new DatasetRepository(store.datastore);
      for (const [index, description] of LONG_TEXTS.entries()) {
        const record = {
          id: `ds-${index}`,
          name: `binds ${index}`,
          table: 't',
          keyColumns: ['k'],
          featureColumns: ['f'],
          description,
          outcomeTable: null,
          createdAt: INSTANTS[3]!,
          updatedAt: INSTANTS[3]!,
        };
        await datasets.insert(record);
        assert.equal((await datasets.findByName(record.name))?.description, description, `description ${index} inserted`);
        const replaced = LONG_TEXTS[(index + 1) % LONG_TEXTS.length]!;
        await datasets.save({ ...record, description: replaced });
        assert.equal((await datasets.findByName(record.name))?.description, replaced, `description ${index} replaced by MERGE`);
      }
    });

    it('a table keyed by timestamps, split into key ranges and read range by range, gives every row once in key order', async () => {
      const { datastore } = store;
      await store.drop([TIMESTAMP_KEYS.name]);
      await datastore.execute(datastore.dialect.compileCreateTable(TIMESTAMP_KEYS));
      const keys = [
        ...INSTANTS,
        ...INSTANTS.slice(1, 4).map((at) => new Date(at.getTime() + 1)),
        ...INSTANTS.slice(1, 4).map((at) => new Date(at.getTime() + 999)),
      ];
      const rows = keys.map((at, index) => ({ at, v: index + 0.5 }));
      for (const statement of datastore.dialect.compileUpsert({ table: TIMESTAMP_KEYS.name, keyColumns: ['at'], columns: TIMESTAMP_KEYS.columns, rows })) {
        await datastore.execute(statement);
      }
      const read = { table: TIMESTAMP_KEYS.name, columns: ['at', 'v'], keyColumns: ['at'] };
      const ranges = await datastore.splitOrdered(read, 4, 1);
      assert.equal(ranges.length, 4);
      const seen: (string | null)[] = [];
      for (const range of ranges) {
        await datastore.streamOrdered(
          read,
          5,
          (batch) => {
            for (let row = 0; row < batch.length; row++) seen.push(time(batch.value(row, 0) as Date));
          },
          range,
        );
      }
      assert.deepEqual(seen, keys.map(time).sort());
    });
  });
}
