import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StatementEvent } from '../../../src/datastore/contracts';
import type { Datastore } from '../../../src/datastore/datastore';
import type { ColumnDefinition, ColumnType, Row, SqlValue, TableDefinition } from '../../../src/datastore/types';
import { ddl, mariadbDatabase, openDatastore, postgresqlDatabase, select, sqliteDatabase, type TestDatabase } from '../../support/databases';
import { assertAppError, rejection } from './helpers';

/**
 * The value mapping documented at the top of src/datastore/values.ts, checked on each real database
 * through its real ODBC driver: values go in as bound parameters and are read back through the datastore.
 */

/** What differs between databases, as each one really behaves. */
interface Expectations {
  /** A boolean column (BOOLEAN on PostgreSQL, INTEGER on SQLite, TINYINT(1) on MariaDB) reads back as… */
  readonly booleanTrue: unknown;
  readonly booleanFalse: unknown;
  /** How DECIMAL(12,3) values come back: a number, or (SQLite3 ODBC driver) the text SQLite stored. */
  readonly decimal: (value: number) => unknown;
}

const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'label', type: 'string', length: 100 },
  { name: 'body', type: 'text' },
  { name: 'small', type: 'integer' },
  { name: 'big', type: 'bigint' },
  { name: 'ratio', type: 'double' },
  { name: 'happened_at', type: 'timestamp' },
  { name: 'flag', type: 'boolean' },
];

const WRITTEN_AT = new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 123));
const OTHER_TIME = new Date(Date.UTC(1999, 11, 31, 0, 0, 0, 7));
const KOREAN_LABEL = '한국어 데이터셋';
const KOREAN_BODY = '안녕하세요, 세계! 군집 분석 결과입니다. 가나다라마바사';
const UNSAFE_BIGINT = 9007199254740993n; // 2^53 + 1: a double would round it to …992

// One row per scenario: everything filled in (twice, with the values that differ) and everything NULL.
const ROWS: readonly (readonly SqlValue[])[] = [
  // id, label, body, small, big, ratio, happened_at, flag, amount, amount_numeric
  [1, KOREAN_LABEL, KOREAN_BODY, 7, UNSAFE_BIGINT, 3.25, WRITTEN_AT, true, -123.25, -123.25],
  [2, 'plain', 'ascii text', -1, 42n, -0.5, OTHER_TIME, false, 987654321.125, 987654321.125],
  [3, null, null, null, null, null, null, null, null, null],
];

function describeValueMapping(database: TestDatabase, table: string, expected: Expectations): void {
  describe(`value mapping on ${database.label}`, () => {
    let datastore: Datastore;
    const events: StatementEvent[] = [];
    const rows = new Map<number, Row>();

    const quote = (name: string) => datastore.dialect.quoteIdentifier(name);
    // psqlODBC sends text parameters as varchar, which PostgreSQL will not assign to a timestamp or boolean
    // column without a cast (the PostgreSQL dialect's UPSERT placeholders carry the same casts).
    const placeholder = (type: ColumnType | 'decimal') => {
      if (datastore.dialect.variant !== 'postgresql') return '?';
      if (type === 'timestamp') return 'CAST(? AS TIMESTAMP)';
      if (type === 'boolean') return 'CAST(? AS BOOLEAN)';
      return '?';
    };

    before(async () => {
      ({ datastore } = await openDatastore(database, { observer: (event) => events.push(event) }));
      const definition: TableDefinition = { name: table, columns: COLUMNS, primaryKey: ['id'] };
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${quote(table)}`));
      await datastore.execute(datastore.dialect.compileCreateTable(definition));
      // DECIMAL is not one of the app's column types: raw DDL. NUMERIC alongside, for comparison.
      await datastore.execute(ddl(`ALTER TABLE ${quote(table)} ADD COLUMN ${quote('amount')} DECIMAL(12,3)`));
      await datastore.execute(ddl(`ALTER TABLE ${quote(table)} ADD COLUMN ${quote('amount_numeric')} NUMERIC(12,3)`));

      const names = [...COLUMNS.map((column) => column.name), 'amount', 'amount_numeric'];
      const placeholders = [...COLUMNS.map((column) => placeholder(column.type)), '?', '?'];
      const insert = `INSERT INTO ${quote(table)} (${names.map(quote).join(', ')}) VALUES (${placeholders.join(', ')})`;
      for (const parameters of ROWS) await datastore.execute({ sql: insert, parameters, kind: 'insert' });

      const readBack = await datastore.query(select(`SELECT ${names.map(quote).join(', ')} FROM ${quote(table)} ORDER BY ${quote('id')}`));
      for (const row of readBack) rows.set(Number(row.id), row);
    });

    after(async () => {
      await datastore?.close();
    });

    function value(id: number, column: string): unknown {
      const row = rows.get(id);
      assert.ok(row, `row ${id} was not read back`);
      assert.ok(column in row, `row ${id} has no column ${column}: ${Object.keys(row).join(', ')}`);
      return row[column];
    }

    it('every inserted row reads back, with columns named as written', () => {
      assert.deepEqual([...rows.keys()], [1, 2, 3]);
      assert.deepEqual(Object.keys(rows.get(1)!).sort(), [...COLUMNS.map((column) => column.name), 'amount', 'amount_numeric'].sort());
    });

    it('BIGINT 9007199254740993 (beyond 2^53) reads back as its exact decimal text', () => {
      assert.equal(value(1, 'big'), '9007199254740993');
    });

    it('BIGINT 42 reads back as the number 42', () => {
      assert.equal(value(2, 'big'), 42);
    });

    it('INTEGER reads back as a number, negative ones too', () => {
      assert.equal(value(1, 'small'), 7);
      assert.equal(value(2, 'small'), -1);
    });

    it('DOUBLE reads back as a number', () => {
      assert.equal(value(1, 'ratio'), 3.25);
      assert.equal(value(2, 'ratio'), -0.5);
    });

    const decimalOutcome = typeof expected.decimal(-123.25) === 'number' ? 'numbers' : "the text the database stored ('-123.25', '987654321.125')";
    it(`DECIMAL(12,3) -123.25 (not using the full scale) and 987654321.125 (full precision) read back as ${decimalOutcome}`, () => {
      assert.equal(value(1, 'amount'), expected.decimal(-123.25));
      assert.equal(value(2, 'amount'), expected.decimal(987654321.125));
    });

    it('NUMERIC(12,3) -123.25 and 987654321.125 read back as numbers', () => {
      assert.equal(value(1, 'amount_numeric'), -123.25);
      assert.equal(value(2, 'amount_numeric'), 987654321.125);
    });

    it('TIMESTAMP reads back as a Date equal to the one written, milliseconds included (UTC)', () => {
      const first = value(1, 'happened_at');
      assert.ok(first instanceof Date, `expected a Date, got ${typeof first} ${String(first)}`);
      assert.equal(first.toISOString(), WRITTEN_AT.toISOString());
      assert.deepEqual(value(2, 'happened_at'), OTHER_TIME);
    });

    it(`boolean true/false read back as ${String(expected.booleanTrue)}/${String(expected.booleanFalse)}`, () => {
      assert.equal(value(1, 'flag'), expected.booleanTrue);
      assert.equal(value(2, 'flag'), expected.booleanFalse);
    });

    it('Korean text in VARCHAR and TEXT columns reads back intact', () => {
      assert.equal(value(1, 'label'), KOREAN_LABEL);
      assert.equal(value(1, 'body'), KOREAN_BODY);
    });

    it('NULL in every column reads back as null', () => {
      const row = rows.get(3);
      assert.ok(row);
      for (const [name, column] of Object.entries(row)) if (name !== 'id') assert.equal(column, null, `column ${name}`);
    });

    it('a Date parameter in a WHERE clause finds the row written with that Date', async () => {
      const found = await datastore.query(select(`SELECT ${quote('id')} AS id FROM ${quote(table)} WHERE ${quote('happened_at')} = ?`, [WRITTEN_AT]));
      assert.deepEqual(found, [{ id: 1 }]);
    });

    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      it(`a parameter of ${bad} is refused with BAD_USER_INPUT before any statement reaches the database`, async () => {
        const statementsBefore = events.length;
        const error = await rejection(
          datastore.execute({
            sql: `INSERT INTO ${quote(table)} (${quote('id')}, ${quote('ratio')}) VALUES (?, ?)`,
            parameters: [99, bad],
            kind: 'insert',
          }),
          `an insert with ${bad}`,
        );
        assert.match(assertAppError(error, 'BAD_USER_INPUT').message, /Parameter 2\b/);
        assert.equal(events.length, statementsBefore, 'the statement observer saw a statement run');
        const written = await datastore.query(select(`SELECT ${quote('id')} AS id FROM ${quote(table)} WHERE ${quote('id')} = ?`, [99]));
        assert.deepEqual(written, []);
        assert.equal(datastore.state().pool.inUse, 0, 'the connection was given back');
      });
    }
  });
}

describeValueMapping(sqliteDatabase(), 'values_sqlite', {
  // The dialect declares booleans INTEGER: SQLite stores 1/0 and the driver describes the column as SQL_INTEGER.
  booleanTrue: 1,
  booleanFalse: 0,
  // The SQLite3 ODBC driver knows NUMERIC but not DECIMAL: it describes a DECIMAL column as SQL_VARCHAR,
  // so the datastore cannot tell it from text and passes on the text SQLite stored.
  decimal: (amount) => String(amount),
});

describeValueMapping(postgresqlDatabase(), 'values_pg', {
  // BOOLEAN, described as SQL_BIT with BoolsAsChar=0; the driver's '1'/'0' become true/false.
  booleanTrue: true,
  booleanFalse: false,
  decimal: (amount) => amount,
});

describeValueMapping(mariadbDatabase(), 'values_mariadb', {
  // TINYINT(1), described as SQL_TINYINT: a plain number.
  booleanTrue: 1,
  booleanFalse: 0,
  decimal: (amount) => amount,
});
